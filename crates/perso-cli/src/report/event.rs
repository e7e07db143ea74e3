//! What every reader produces: exposures and orders in one normalized shape, whatever
//! the export (GA4 JSON lines, CSV or Parquet; the plain CSV pair), and the one error
//! type of reading, which names the line (or Parquet row) and the field.

use std::borrow::Cow;

/// How an exposure was logged. Experiment exposures carry the variant; a
/// `view_promotion` says only that a campaign was shown, so it is used only for
/// campaigns that have no experiment exposure at all (reported without lift).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExposureKind {
    Experiment,
    Promotion,
}

/// The variant name given to `view_promotion` exposures.
pub const SHOWN: &str = "shown";

#[derive(Debug, Clone, PartialEq)]
pub enum Event<'a> {
    Exposure {
        visitor: Cow<'a, str>,
        ts_us: i64,
        campaign: Cow<'a, str>,
        variant: Cow<'a, str>,
        kind: ExposureKind,
    },
    /// `order_id: None`: an order without a transaction id (each such event is its own order).
    Order {
        visitor: Cow<'a, str>,
        ts_us: i64,
        order_id: Option<Cow<'a, str>>,
        revenue: f64,
    },
    /// Any other event of the export (page views, ...): counted, not used.
    Other,
}

/// A row or line that cannot be used. `line` is 1-based (a CSV's header is line 1); for
/// Parquet it is the 1-based row number.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReadError {
    #[error("line {line}: not JSON: {message}")]
    NotJson { line: u64, message: String },
    #[error("line {line}, field `{field}`: {message}")]
    Field { line: u64, field: String, message: String },
    #[error("line {line}: {message}")]
    Row { line: u64, message: String },
    #[error("line 1: {message}")]
    Header { message: String },
    #[error("row {row}: {message}")]
    Parquet { row: u64, message: String },
    #[error("{message}")]
    Io { message: String },
}

impl ReadError {
    pub fn field(line: u64, field: impl Into<String>, message: impl Into<String>) -> ReadError {
        ReadError::Field { line, field: field.into(), message: message.into() }
    }
}

/// Microseconds since the Unix epoch of an RFC 3339 instant (`2026-11-24T10:15:00Z`,
/// `...+01:00`, fractions to the microsecond) or of `YYYY-MM-DD HH:MM:SS[.ffffff]`
/// (UTC, optionally followed by ` UTC`, `Z` or `+00`, as BigQuery, DuckDB and Spark write
/// timestamps into CSV).
pub fn parse_timestamp_us(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    if bytes.len() < 19 || !matches!(bytes[10], b'T' | b't' | b' ') {
        return None;
    }
    let day = crate::profiles::orders::parse_day(&text[..10])?;
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = text.get(range)?;
        part.bytes().all(|b| b.is_ascii_digit()).then(|| part.parse().ok())?
    };
    if bytes[13] != b':' || bytes[16] != b':' {
        return None;
    }
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut rest = &text[19..];
    let mut micros = 0i64;
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || digits > 9 {
            return None;
        }
        // Digits past the microsecond are dropped, as the engines' microsecond timestamps do.
        let kept = &fraction[..digits.min(6)];
        micros = kept.parse::<i64>().ok()? * 10i64.pow(6 - kept.len() as u32);
        rest = &fraction[digits..];
    }
    let offset_s = match rest {
        "" | "Z" | "z" | " UTC" | "+00" | " +00" | "+00:00" => 0,
        _ => {
            let sign = match rest.as_bytes().first() {
                Some(b'+') => 1,
                Some(b'-') => -1,
                _ => return None,
            };
            let zone = &rest[1..];
            let (h, m) = match zone.len() {
                5 if zone.as_bytes()[2] == b':' => (zone.get(0..2)?, zone.get(3..5)?),
                4 => (zone.get(0..2)?, zone.get(2..4)?),
                2 => (zone, "00"),
                _ => return None,
            };
            let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
            if h > 23 || m > 59 {
                return None;
            }
            sign * (h * 3600 + m * 60)
        }
    };
    let seconds = day * 86_400 + hour * 3600 + minute * 60 + second - offset_s;
    Some(seconds * 1_000_000 + micros)
}

/// `YYYY-MM-DDTHH:MM:SS.ffffffZ` of a microsecond timestamp (UTC).
pub fn format_timestamp_us(ts_us: i64) -> String {
    let seconds = ts_us.div_euclid(1_000_000);
    let micros = ts_us.rem_euclid(1_000_000);
    let day = seconds.div_euclid(86_400);
    let in_day = seconds.rem_euclid(86_400);
    let date = crate::profiles::orders::civil_from_days(day);
    let (h, m, s) = (in_day / 3600, in_day / 60 % 60, in_day % 60);
    if micros == 0 {
        format!("{date}T{h:02}:{m:02}:{s:02}Z")
    } else {
        format!("{date}T{h:02}:{m:02}:{s:02}.{micros:06}Z")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_in_the_forms_exports_use() {
        let base = parse_timestamp_us("2026-11-24T10:15:00Z").unwrap();
        assert_eq!(base, 1_795_515_300_000_000);
        assert_eq!(parse_timestamp_us("2026-11-24 10:15:00"), Some(base));
        assert_eq!(parse_timestamp_us("2026-11-24 10:15:00 UTC"), Some(base));
        assert_eq!(parse_timestamp_us("2026-11-24 10:15:00+00"), Some(base));
        assert_eq!(parse_timestamp_us("2026-11-24T11:15:00+01:00"), Some(base));
        assert_eq!(parse_timestamp_us("2026-11-24T10:15:00.25Z"), Some(base + 250_000));
        assert_eq!(parse_timestamp_us("2026-11-24T10:15:00.123456789Z"), Some(base + 123_456));
        for bad in ["2026-11-24", "2026-11-24T25:00:00Z", "2026-11-24T10:15:00 CET", "2026-02-30T00:00:00Z", "x"] {
            assert_eq!(parse_timestamp_us(bad), None, "{bad}");
        }
        assert_eq!(format_timestamp_us(base + 250_000), "2026-11-24T10:15:00.250000Z");
        assert_eq!(parse_timestamp_us(&format_timestamp_us(base)), Some(base));
    }
}
