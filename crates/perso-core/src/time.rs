//! The little calendar arithmetic the engine needs: RFC 3339 instants in bundles
//! (schedules, expiry) and the hour and weekday of an instant. Time always comes in
//! as milliseconds since the Unix epoch from the host; a date-time crate would cost
//! more wasm than these few functions.

const MS_PER_DAY: i64 = 86_400_000;

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
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
    let (date, rest) = match text.find(['T', 't', ' ']) {
        Some(i) => (&text[..i], Some(&text[i + 1..])),
        None => (text, None),
    };
    let mut parts = date.split('-');
    let year = number(parts.next()?, 4)?;
    let month = number(parts.next()?, 2)?;
    let day = number(parts.next()?, 2)?;
    if parts.next().is_some() || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let days = days_from_civil(i64::from(year), month, day);
    let Some(rest) = rest else {
        return Some(days * MS_PER_DAY);
    };
    let (clock, offset_minutes) = if let Some(clock) = rest.strip_suffix(['Z', 'z']) {
        (clock, 0i64)
    } else {
        let split = rest.rfind(['+', '-'])?;
        let (clock, offset) = rest.split_at(split);
        let sign = if offset.starts_with('-') { -1 } else { 1 };
        let (h, m) = offset[1..].split_once(':')?;
        (clock, sign * (i64::from(number(h, 2)?) * 60 + i64::from(number(m, 2)?)))
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
            let padded = format!("{f:0<3}");
            padded[..3].parse::<i64>().ok()?
        }
        Some(_) => return None,
        None => 0,
    };
    let seconds = i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second) - offset_minutes * 60;
    Some(days * MS_PER_DAY + seconds * 1000 + millis)
}

/// Hour of day (0-23) and ISO weekday (1 = Monday .. 7 = Sunday) of an instant,
/// shifted by a UTC offset.
pub fn hour_and_weekday(now_ms: i64, utc_offset_minutes: i32) -> (u8, u8) {
    let local = now_ms + i64::from(utc_offset_minutes) * 60_000;
    let days = local.div_euclid(MS_PER_DAY);
    let hour = local.rem_euclid(MS_PER_DAY) / 3_600_000;
    let weekday = (days + 3).rem_euclid(7) + 1;
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
    }
}
