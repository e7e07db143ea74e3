//! Streaming reader of the order-history CSV: one line at a time, never the whole
//! file in memory. A bad row is reported with its line number and field and skipped
//! (or, in strict mode, stops the run).
//!
//! Columns (header required, any order, extra columns ignored):
//! `customer_id, order_id, date, sku, category, quantity, price`.
//! `date` is `YYYY-MM-DD` or an RFC 3339 instant (its UTC date counts);
//! `quantity` a positive integer; `price` a non-negative unit price.

use std::io::Read;

pub const COLUMNS: [&str; 7] = ["customer_id", "order_id", "date", "sku", "category", "quantity", "price"];

/// One valid order line.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderLine {
    pub customer_id: String,
    pub order_id: String,
    /// Days since 1970-01-01 (UTC).
    pub day: i64,
    pub sku: String,
    pub category: String,
    pub quantity: i64,
    /// Line value in cents: `round(price * 100) * quantity` (same rule in the SQL).
    pub value_cents: i64,
}

/// A row that was skipped.
#[derive(Debug, Clone, PartialEq)]
pub struct RowError {
    /// 1-based line number in the file (the header is line 1).
    pub line: u64,
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}, field `{}`: {}", self.line, self.field, self.message)
    }
}

pub struct OrderReader<R: Read> {
    reader: csv::Reader<R>,
    index: [usize; 7],
    record: csv::StringRecord,
}

impl<R: Read> OrderReader<R> {
    pub fn new(input: R) -> Result<OrderReader<R>, String> {
        let mut reader = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(input);
        let headers = reader.headers().map_err(|e| format!("line 1: cannot read the header: {e}"))?.clone();
        let mut index = [0usize; 7];
        for (slot, column) in index.iter_mut().zip(COLUMNS) {
            *slot = headers.iter().position(|h| h.eq_ignore_ascii_case(column)).ok_or_else(|| {
                format!("line 1: missing column `{column}` (the header must name {})", COLUMNS.join(", "))
            })?;
        }
        Ok(OrderReader { reader, index, record: csv::StringRecord::new() })
    }

    /// Bytes read so far (for a progress bar).
    pub fn bytes_read(&self) -> u64 {
        self.reader.position().byte()
    }

    /// The next row and its line number: `None` at the end, `Some(Err)` for a row that
    /// must be skipped.
    pub fn next_line(&mut self) -> Option<Result<(u64, OrderLine), RowError>> {
        match self.reader.read_record(&mut self.record) {
            Ok(false) => None,
            Ok(true) => {
                let line = self.record.position().map_or(0, |p| p.line());
                Some(parse_record(&self.record, &self.index, line).map(|parsed| (line, parsed)))
            }
            Err(error) => {
                let line = error.position().map_or(0, |p| p.line());
                Some(Err(RowError { line, field: "(row)".into(), message: error.to_string() }))
            }
        }
    }
}

fn parse_record(record: &csv::StringRecord, index: &[usize; 7], line: u64) -> Result<OrderLine, RowError> {
    let field = |i: usize| -> Result<&str, RowError> {
        let name = COLUMNS[i];
        match record.get(index[i]) {
            Some(value) if !value.is_empty() => Ok(value),
            Some(_) => Err(RowError { line, field: name.into(), message: "empty".into() }),
            None => Err(RowError {
                line,
                field: name.into(),
                message: format!("missing (the row has {} fields)", record.len()),
            }),
        }
    };
    let bad = |name: &str, message: String| RowError { line, field: name.into(), message };
    let customer_id = field(0)?.to_owned();
    let order_id = field(1)?.to_owned();
    let date = field(2)?;
    let day = parse_day(date).ok_or_else(|| bad("date", format!("`{date}` is not a date (YYYY-MM-DD or RFC 3339)")))?;
    let sku = field(3)?.to_owned();
    let category = field(4)?.to_owned();
    let quantity_text = field(5)?;
    let quantity: i64 = quantity_text
        .parse()
        .ok()
        .filter(|q| *q > 0 && *q <= 1_000_000)
        .ok_or_else(|| bad("quantity", format!("`{quantity_text}` is not a positive whole number")))?;
    let price_text = field(6)?;
    let price: f64 = price_text
        .parse()
        .ok()
        .filter(|p: &f64| p.is_finite() && *p >= 0.0 && *p < 1e9)
        .ok_or_else(|| bad("price", format!("`{price_text}` is not a non-negative number")))?;
    Ok(OrderLine { customer_id, order_id, day, sku, category, quantity, value_cents: price_cents(price) * quantity })
}

/// `round(price * 100)`, halves away from zero: what SQL's `ROUND` does on a DOUBLE.
pub fn price_cents(price: f64) -> i64 {
    (price * 100.0).round() as i64
}

/// Days since the Unix epoch of a `YYYY-MM-DD` date or of an RFC 3339 instant's date part.
pub fn parse_day(text: &str) -> Option<i64> {
    let date = text.get(..10)?;
    if text.len() > 10 && !matches!(text.as_bytes()[10], b'T' | b't' | b' ') {
        return None;
    }
    let mut parts = date.split('-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let (y, m, d): (i64, u32, u32) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return None;
    }
    Some(days_from_civil(y, m, d))
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Howard Hinnant's `days_from_civil`.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`], as `YYYY-MM-DD`.
pub fn civil_from_days(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        assert_eq!(parse_day("1970-01-01"), Some(0));
        assert_eq!(parse_day("2026-11-25T10:00:00Z"), parse_day("2026-11-25"));
        assert_eq!(civil_from_days(parse_day("2024-02-29").unwrap()), "2024-02-29");
        assert_eq!(parse_day("2023-02-29"), None);
        assert_eq!(parse_day("2023-13-01"), None);
        assert_eq!(parse_day("20230101"), None);
    }

    #[test]
    fn bad_rows_name_line_and_field() {
        let csv = "customer_id,order_id,date,sku,category,quantity,price\nC1,O1,2026-01-01,A,x,1,2.5\nC1,O2,2026-01-32,A,x,1,2\nC1,O3,2026-01-02,A,x,-1,2\nC2,O4,2026-01-02,A,x,1\n";
        let mut reader = OrderReader::new(csv.as_bytes()).unwrap();
        let (line, first) = reader.next_line().unwrap().unwrap();
        assert_eq!(line, 2);
        assert_eq!(first.value_cents, 250);
        let errors: Vec<RowError> = std::iter::from_fn(|| reader.next_line()).map(|r| r.unwrap_err()).collect();
        assert_eq!(errors[0].line, 3);
        assert_eq!(errors[0].field, "date");
        assert_eq!((errors[1].line, errors[1].field.as_str()), (4, "quantity"));
        assert_eq!((errors[2].line, errors[2].field.as_str()), (5, "price"));
    }

    #[test]
    fn missing_column_is_named() {
        let error = OrderReader::new("customer_id,order_id,date,sku,quantity,price\n".as_bytes()).err().unwrap();
        assert!(error.contains("missing column `category`"), "{error}");
    }
}
