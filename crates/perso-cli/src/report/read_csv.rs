//! CSV inputs: the plain pair (`exposures.csv`, `orders.csv`) and GA4 events as CSV.
//!
//! BigQuery refuses to write `event_params` (a repeated record) to CSV, so a GA4 CSV is
//! always the result of a query that picks the parameters out; perso reads the columns
//! that query writes (docs/report.md has it): `event_name`, `event_timestamp`,
//! `user_pseudo_id`, and any of `experiment_id`, `variation_id`, `promotion_id`,
//! `transaction_id`, `purchase_revenue`, `value` (with or without an `ecommerce.` or
//! `event_params.` prefix). A CSV written by a tool that keeps the record as JSON text
//! (DuckDB's or Spark's CSV writers) may instead carry an `event_params` JSON column;
//! both are accepted.

use super::event::{parse_timestamp_us, Event, ExposureKind, ReadError};
use super::read_ga4::{self, Ecommerce, Ga4Event, Number, Param, ParamValue, Text};
use std::borrow::Cow;
use std::io::Read;

fn open<R: Read>(input: R) -> Result<(csv::Reader<R>, csv::StringRecord), ReadError> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(input);
    let headers =
        reader.headers().map_err(|e| ReadError::Header { message: format!("cannot read the header: {e}") })?.clone();
    Ok((reader, headers))
}

fn column(headers: &csv::StringRecord, names: &[&str]) -> Option<usize> {
    headers.iter().position(|h| names.iter().any(|n| h.eq_ignore_ascii_case(n)))
}

fn required(headers: &csv::StringRecord, name: &str, all: &[&str]) -> Result<usize, ReadError> {
    column(headers, &[name]).ok_or_else(|| ReadError::Header {
        message: format!("missing column `{name}` (the header must name {})", all.join(", ")),
    })
}

/// Which of the two plain files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlainKind {
    Exposures,
    Orders,
}

pub const EXPOSURE_COLUMNS: [&str; 4] = ["visitor_id", "timestamp", "campaign", "variant"];
pub const ORDER_COLUMNS: [&str; 4] = ["visitor_id", "timestamp", "order_id", "revenue"];

/// `exposures.csv` (visitor_id, timestamp, campaign, variant) or `orders.csv`
/// (visitor_id, timestamp, order_id, revenue); header required, any order, extra columns ignored.
pub struct PlainReader<R: Read> {
    reader: csv::Reader<R>,
    kind: PlainKind,
    index: [usize; 4],
    record: csv::StringRecord,
}

impl<R: Read> PlainReader<R> {
    pub fn new(input: R, kind: PlainKind) -> Result<PlainReader<R>, ReadError> {
        let (reader, headers) = open(input)?;
        let names = match kind {
            PlainKind::Exposures => EXPOSURE_COLUMNS,
            PlainKind::Orders => ORDER_COLUMNS,
        };
        let mut index = [0; 4];
        for (slot, name) in index.iter_mut().zip(names) {
            *slot = required(&headers, name, &names)?;
        }
        Ok(PlainReader { reader, kind, index, record: csv::StringRecord::new() })
    }

    pub fn next_event(&mut self) -> Option<Result<Event<'_>, ReadError>> {
        match self.reader.read_record(&mut self.record) {
            Ok(false) => None,
            Ok(true) => Some(plain_event(&self.record, self.kind, &self.index)),
            Err(e) => Some(Err(csv_error(e))),
        }
    }
}

fn csv_error(error: csv::Error) -> ReadError {
    let line = error.position().map_or(0, |p| p.line());
    ReadError::Row { line, message: error.to_string() }
}

fn plain_event<'r>(record: &'r csv::StringRecord, kind: PlainKind, index: &[usize; 4]) -> Result<Event<'r>, ReadError> {
    let line = record.position().map_or(0, |p| p.line());
    let names = match kind {
        PlainKind::Exposures => EXPOSURE_COLUMNS,
        PlainKind::Orders => ORDER_COLUMNS,
    };
    let field = |i: usize| -> Result<&'r str, ReadError> {
        match record.get(index[i]) {
            Some(value) if !value.is_empty() => Ok(value),
            Some(_) => Err(ReadError::field(line, names[i], "empty")),
            None => Err(ReadError::field(line, names[i], format!("missing (the row has {} fields)", record.len()))),
        }
    };
    let visitor = Cow::Borrowed(field(0)?);
    let stamp = field(1)?;
    let ts_us = parse_timestamp_us(stamp).ok_or_else(|| {
        ReadError::field(
            line,
            "timestamp",
            format!("`{stamp}` is not a timestamp (RFC 3339, e.g. 2026-11-24T10:15:00Z)"),
        )
    })?;
    match kind {
        PlainKind::Exposures => Ok(Event::Exposure {
            visitor,
            ts_us,
            campaign: Cow::Borrowed(field(2)?),
            variant: Cow::Borrowed(field(3)?),
            kind: ExposureKind::Experiment,
        }),
        PlainKind::Orders => {
            let order_id = Cow::Borrowed(field(2)?);
            let text = field(3)?;
            let revenue: f64 =
                text.parse().ok().filter(|r: &f64| r.is_finite() && (0.0..1e12).contains(r)).ok_or_else(|| {
                    ReadError::field(line, "revenue", format!("`{text}` is not a non-negative number"))
                })?;
            Ok(Event::Order { visitor, ts_us, order_id: Some(order_id), revenue })
        }
    }
}

/// Where each GA4 field sits in a flat CSV row.
struct Ga4Columns {
    event_name: usize,
    event_timestamp: usize,
    user_pseudo_id: usize,
    event_params: Option<usize>,
    /// (parameter key, column) for flattened parameters.
    params: Vec<(&'static str, usize)>,
    transaction_id: Option<usize>,
    purchase_revenue: Option<usize>,
}

const GA4_REQUIRED: [&str; 3] = ["event_name", "event_timestamp", "user_pseudo_id"];
const FLAT_PARAMS: [&str; 5] = ["experiment_id", "variation_id", "promotion_id", "value", "transaction_id"];

pub struct Ga4CsvReader<R: Read> {
    reader: csv::Reader<R>,
    columns: Ga4Columns,
    record: csv::StringRecord,
}

impl<R: Read> Ga4CsvReader<R> {
    pub fn new(input: R) -> Result<Ga4CsvReader<R>, ReadError> {
        let (reader, headers) = open(input)?;
        let flat = |key: &str| column(&headers, &[key, &format!("event_params.{key}")]);
        let columns = Ga4Columns {
            event_name: required(&headers, "event_name", &GA4_REQUIRED)?,
            event_timestamp: required(&headers, "event_timestamp", &GA4_REQUIRED)?,
            user_pseudo_id: required(&headers, "user_pseudo_id", &GA4_REQUIRED)?,
            event_params: column(&headers, &["event_params"]),
            params: FLAT_PARAMS.iter().filter_map(|key| flat(key).map(|i| (*key, i))).collect(),
            transaction_id: column(&headers, &["ecommerce.transaction_id"]),
            purchase_revenue: column(&headers, &["purchase_revenue", "ecommerce.purchase_revenue"]),
        };
        if columns.event_params.is_none() && columns.params.is_empty() {
            return Err(ReadError::Header {
                message: "no event parameter columns: name experiment_id, variation_id, promotion_id, transaction_id or purchase_revenue, or give event_params as JSON".into(),
            });
        }
        Ok(Ga4CsvReader { reader, columns, record: csv::StringRecord::new() })
    }

    pub fn next_event(&mut self) -> Option<Result<Event<'_>, ReadError>> {
        match self.reader.read_record(&mut self.record) {
            Ok(false) => None,
            Ok(true) => Some(ga4_row(&self.record, &self.columns)),
            Err(e) => Some(Err(csv_error(e))),
        }
    }
}

fn ga4_row<'r>(record: &'r csv::StringRecord, columns: &Ga4Columns) -> Result<Event<'r>, ReadError> {
    let line = record.position().map_or(0, |p| p.line());
    let cell = |i: usize| record.get(i).filter(|v| !v.is_empty() && *v != "null");
    let text = |i: usize| cell(i).map(|v| Text(Cow::Borrowed(v)));
    let name = text(columns.event_name);
    // Only the three events perso reads are worth parsing further.
    if !name.as_ref().is_some_and(|n| matches!(n.0.as_ref(), "experiment_viewed" | "view_promotion" | "purchase")) {
        return if name.is_none() { Err(ReadError::field(line, "event_name", "empty")) } else { Ok(Event::Other) };
    }
    let mut params: Vec<Param<'r>> = match columns.event_params.and_then(cell) {
        Some(json) => serde_json::from_str(json)
            .map_err(|e| ReadError::field(line, "event_params", format!("not the JSON of GA4's event_params: {e}")))?,
        None => Vec::new(),
    };
    for &(key, i) in &columns.params {
        if let Some(value) = cell(i) {
            let value = if key == "value" {
                let number =
                    value.parse().map_err(|_| ReadError::field(line, key, format!("`{value}` is not a number")))?;
                ParamValue { double_value: Some(Number(number)), ..ParamValue::default() }
            } else {
                ParamValue { string_value: Some(Text(Cow::Borrowed(value))), ..ParamValue::default() }
            };
            params.push(Param { key: Some(Text(Cow::Borrowed(key))), value: Some(value) });
        }
    }
    let purchase_revenue = match columns.purchase_revenue.and_then(cell) {
        Some(value) => Some(Number(
            value
                .parse()
                .map_err(|_| ReadError::field(line, "purchase_revenue", format!("`{value}` is not a number")))?,
        )),
        None => None,
    };
    let event = Ga4Event {
        event_name: name,
        event_timestamp: text(columns.event_timestamp),
        user_pseudo_id: text(columns.user_pseudo_id),
        event_params: Some(params),
        ecommerce: Some(Ecommerce { purchase_revenue, transaction_id: columns.transaction_id.and_then(text) }),
        items: None,
    };
    read_ga4::to_event(event, line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_files_name_line_and_field() {
        let csv = "visitor_id,timestamp,order_id,revenue\nv1,2026-11-24T10:00:00Z,O1,12.50\nv2,yesterday,O2,3\nv3,2026-11-24T10:00:00Z,O3,-1\n";
        let mut reader = PlainReader::new(csv.as_bytes(), PlainKind::Orders).unwrap();
        assert!(matches!(reader.next_event().unwrap().unwrap(), Event::Order { revenue, .. } if revenue == 12.5));
        assert_eq!(
            reader.next_event().unwrap().unwrap_err().to_string(),
            "line 3, field `timestamp`: `yesterday` is not a timestamp (RFC 3339, e.g. 2026-11-24T10:15:00Z)"
        );
        assert_eq!(
            reader.next_event().unwrap().unwrap_err().to_string(),
            "line 4, field `revenue`: `-1` is not a non-negative number"
        );
        assert!(reader.next_event().is_none());
        let missing =
            PlainReader::new("visitor_id,timestamp,campaign\n".as_bytes(), PlainKind::Exposures).err().unwrap();
        assert_eq!(
            missing.to_string(),
            "line 1: missing column `variant` (the header must name visitor_id, timestamp, campaign, variant)"
        );
    }

    #[test]
    fn ga4_csv_flat_or_json_params() {
        let flat =
            "event_name,event_timestamp,user_pseudo_id,experiment_id,variation_id,transaction_id,purchase_revenue\n\
                    experiment_viewed,100,u1,aff-hero,a,,\n\
                    purchase,200,u1,,,T1,9.99\n\
                    page_view,300,u1,,,,\n";
        let mut reader = Ga4CsvReader::new(flat.as_bytes()).unwrap();
        assert!(matches!(reader.next_event().unwrap().unwrap(), Event::Exposure { variant, .. } if variant == "a"));
        assert!(
            matches!(reader.next_event().unwrap().unwrap(), Event::Order { order_id: Some(id), revenue, .. } if id == "T1" && revenue == 9.99)
        );
        assert_eq!(reader.next_event().unwrap().unwrap(), Event::Other);
        let json = "event_name,event_timestamp,user_pseudo_id,event_params\n\
                    experiment_viewed,100,u1,\"[{\"\"key\"\":\"\"experiment_id\"\",\"\"value\"\":{\"\"string_value\"\":\"\"c\"\"}},{\"\"key\"\":\"\"variation_id\"\",\"\"value\"\":{\"\"string_value\"\":\"\"holdout\"\"}}]\"\n\
                    experiment_viewed,100,u1,[oops\n";
        let mut reader = Ga4CsvReader::new(json.as_bytes()).unwrap();
        assert!(
            matches!(reader.next_event().unwrap().unwrap(), Event::Exposure { variant, .. } if variant == "holdout")
        );
        let error = reader.next_event().unwrap().unwrap_err().to_string();
        assert!(error.starts_with("line 3, field `event_params`: not the JSON"), "{error}");
    }
}
