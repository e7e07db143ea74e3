//! The little calendar arithmetic the engine needs: RFC 3339 instants in bundles
//! (schedules, expiry) and the hour and weekday of an instant. Time always comes in
//! as milliseconds since the Unix epoch from the host; a date-time crate would cost
//! more wasm than these few functions.

const MS_PER_DAY: i64 = 86_400_000;

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
/// Checked throughout: the reader only passes 4-digit years, where nothing overflows,
/// so `None` would mean a caller passed an absurd year.
fn days_from_civil(year: i64, month: u32, day: u32) -> Option<i64> {
    let y = if month <= 2 { year.checked_sub(1)? } else { year };
    let era = if y >= 0 { y } else { y.checked_sub(399)? } / 400;
    let yoe = y.checked_sub(era.checked_mul(400)?)?;
    let m = i64::from(month);
    // Months counted from March (0) to February (11).
    let march_based = if m > 2 { m.checked_sub(3)? } else { m.checked_add(9)? };
    let doy = (march_based.checked_mul(153)?.checked_add(2)? / 5).checked_add(i64::from(day))?.checked_sub(1)?;
    let doe = yoe.checked_mul(365)?.checked_add(yoe / 4)?.checked_sub(yoe / 100)?.checked_add(doy)?;
    era.checked_mul(146_097)?.checked_add(doe)?.checked_sub(719_468)
}

fn number(text: &str, digits: usize) -> Option<u32> {
    if text.len() != digits || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Parses `YYYY-MM-DD` (midnight UTC) or `YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)`
/// into milliseconds since the epoch.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    let text = text.trim();
    let (date, rest) = match text.split_once(['T', 't', ' ']) {
        Some((date, rest)) => (date, Some(rest)),
        None => (text, None),
    };
    let mut parts = date.split('-');
    let year = number(parts.next()?, 4)?;
    let month = number(parts.next()?, 2)?;
    let day = number(parts.next()?, 2)?;
    if parts.next().is_some() || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let days = days_from_civil(i64::from(year), month, day)?;
    let Some(rest) = rest else {
        return days.checked_mul(MS_PER_DAY);
    };
    // The offset east of UTC, in minutes.
    let (clock, offset_minutes) = if let Some(clock) = rest.strip_suffix(['Z', 'z']) {
        (clock, 0i64)
    } else {
        let split = rest.rfind(['+', '-'])?;
        let (clock, offset) = rest.split_at_checked(split)?;
        let (h, m) = offset.get(1..)?.split_once(':')?;
        let minutes = i64::from(number(h, 2)?).checked_mul(60)?.checked_add(i64::from(number(m, 2)?))?;
        (clock, if offset.starts_with('-') { minutes.checked_neg()? } else { minutes })
    };
    let (hms, fraction) = match clock.split_once('.') {
        Some((hms, fraction)) => (hms, Some(fraction)),
        None => (clock, None),
    };
    let mut hms = hms.split(':');
    let hour = number(hms.next()?, 2)?;
    let minute = number(hms.next()?, 2)?;
    let second = number(hms.next()?, 2)?;
    if hms.next().is_some() || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let millis = match fraction {
        Some(f) if !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()) => {
            // The first three digits, padded with zeros (".5" is 500 ms); no `format!`,
            // so the lean wasm links no formatting code.
            let mut digits = f.bytes().chain(core::iter::repeat(b'0'));
            let mut millis = 0i64;
            for _ in 0..3 {
                let digit = digits.next().map_or(0, |b| b.saturating_sub(b'0'));
                millis = millis.checked_mul(10)?.checked_add(i64::from(digit))?;
            }
            millis
        }
        Some(_) => return None,
        None => 0,
    };
    let seconds = i64::from(hour)
        .checked_mul(3600)?
        .checked_add(i64::from(minute).checked_mul(60)?)?
        .checked_add(i64::from(second))?
        .checked_sub(offset_minutes.checked_mul(60)?)?;
    days.checked_mul(MS_PER_DAY)?.checked_add(seconds.checked_mul(1000)?)?.checked_add(millis)
}

/// Hour of day (0-23) and ISO weekday (1 = Monday .. 7 = Sunday) of an instant,
/// shifted by a UTC offset. The clock is the host's and may be absurd: the shift
/// saturates, so an instant near `i64::MAX` or `i64::MIN` reads as the hour and
/// weekday of the extreme instant rather than wrapping to another day.
pub fn hour_and_weekday(now_ms: i64, utc_offset_minutes: i32) -> (u8, u8) {
    let local = now_ms.saturating_add(i64::from(utc_offset_minutes).saturating_mul(60_000));
    let days = local.div_euclid(MS_PER_DAY);
    let hour = local.rem_euclid(MS_PER_DAY) / 3_600_000;
    // 1970-01-01 was a Thursday (4); `days` is at most about 1.1e11 in magnitude, so
    // the shift by 3 cannot saturate.
    let weekday = days.saturating_add(3).rem_euclid(7).saturating_add(1);
    (hour as u8, weekday as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_instants() {
        let cases = [
            ("1970-01-01", Some(0)),
            ("1970-01-01T00:00:01Z", Some(1000)),
            ("2026-11-25T00:00:00Z", Some(1_795_564_800_000)),
            ("2026-11-25T02:00:00+02:00", Some(1_795_564_800_000)),
            ("2026-11-24T19:00:00.5-05:00", Some(1_795_564_800_500)),
            ("2026-13-01", None),
            ("2026-11-25T25:00:00Z", None),
            ("next tuesday", None),
            ("2026-11-25T10:00:00", None),
            ("0000-01-01", Some(-62_167_219_200_000)),
            ("9999-12-31T23:59:60.999-23:59", Some(253_402_300_800_999 + 23 * 3_600_000 + 59 * 60_000)),
            ("2026-11-25T00:00:00+", None),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_rfc3339(text), expected, "{text}");
        }
    }

    #[test]
    fn hour_and_weekday_of_instants() {
        // 2026-11-25 is a Wednesday.
        let midnight = 1_795_564_800_000;
        assert_eq!(hour_and_weekday(midnight, 0), (0, 3));
        assert_eq!(hour_and_weekday(midnight + 13 * 3_600_000, 0), (13, 3));
        assert_eq!(hour_and_weekday(midnight, -60), (23, 2));
        assert_eq!(hour_and_weekday(0, 0), (0, 4));
        // Absurd host clocks saturate instead of wrapping to another day (or
        // panicking with overflow checks on).
        // i64::MAX ms is a Sunday, 07:xx UTC; i64::MIN ms a Sunday, 16:xx UTC.
        assert_eq!(hour_and_weekday(i64::MAX, 0), (7, 7));
        assert_eq!(hour_and_weekday(i64::MAX, 840), (7, 7));
        assert_eq!(hour_and_weekday(i64::MAX - 1, 840), (7, 7));
        assert_eq!(hour_and_weekday(i64::MIN, 0), (16, 7));
        assert_eq!(hour_and_weekday(i64::MIN, -840), (16, 7));
    }
}
