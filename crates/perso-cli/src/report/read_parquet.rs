//! GA4 events from a Parquet file (BigQuery's `EXPORT DATA ... format = 'PARQUET'`, or
//! any engine's copy of the export table), through the `parquet` crate's record API.
//! Only the columns perso reads are decoded (a projection of the file's schema); each
//! row is mapped onto the same [`Ga4Event`] the JSON reader fills, so the one rule of
//! `read_ga4` decides what an event means.

use super::event::{Event, ReadError};
use super::read_ga4::{self, Ecommerce, Ga4Event, Item, Number, Param, ParamValue, Text};
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::{Field, Row};
use std::borrow::Cow;

const COLUMNS: [&str; 6] = ["event_name", "event_timestamp", "user_pseudo_id", "event_params", "ecommerce", "items"];

pub struct ParquetReader {
    rows: parquet::record::reader::RowIter<'static>,
    current: Option<Row>,
    row: u64,
    pub total_rows: u64,
}

impl ParquetReader {
    pub fn new(file: std::fs::File) -> Result<ParquetReader, ReadError> {
        let io =
            |e: parquet::errors::ParquetError| ReadError::Io { message: format!("not a readable Parquet file: {e}") };
        let reader = SerializedFileReader::new(file).map_err(io)?;
        let metadata = reader.metadata().file_metadata();
        let total_rows = u64::try_from(metadata.num_rows()).unwrap_or(0);
        let root = metadata.schema();
        let fields: Vec<_> = root.get_fields().iter().filter(|f| COLUMNS.contains(&f.name())).cloned().collect();
        for needed in &COLUMNS[..3] {
            if !fields.iter().any(|f| f.name() == *needed) {
                return Err(ReadError::Header {
                    message: format!("missing column `{needed}` (not a GA4 export schema)"),
                });
            }
        }
        let projection =
            parquet::schema::types::Type::group_type_builder(root.name()).with_fields(fields).build().map_err(io)?;
        let rows =
            parquet::record::reader::RowIter::from_file_into(Box::new(reader)).project(Some(projection)).map_err(io)?;
        Ok(ParquetReader { rows, current: None, row: 0, total_rows })
    }

    pub fn rows_read(&self) -> u64 {
        self.row
    }

    pub fn next_event(&mut self) -> Option<Result<Event<'_>, ReadError>> {
        self.row += 1;
        let row = self.row;
        match self.rows.next()? {
            Err(e) => Some(Err(ReadError::Parquet { row, message: e.to_string() })),
            Ok(value) => {
                let value = self.current.insert(value);
                Some(to_ga4(value, row).and_then(|event| read_ga4::to_event(event, row)))
            }
        }
    }
}

fn text(field: &Field) -> Option<Text<'_>> {
    match field {
        Field::Str(s) => Some(Text(Cow::Borrowed(s.as_str()))),
        Field::Int(n) => Some(Text(Cow::Owned(n.to_string()))),
        Field::Long(n) => Some(Text(Cow::Owned(n.to_string()))),
        Field::ULong(n) => Some(Text(Cow::Owned(n.to_string()))),
        _ => None,
    }
}

fn number(field: &Field) -> Option<Number> {
    match field {
        Field::Double(n) => Some(Number(*n)),
        Field::Float(n) => Some(Number(f64::from(*n))),
        Field::Int(n) => Some(Number(f64::from(*n))),
        Field::Long(n) => Some(Number(*n as f64)),
        Field::Str(s) => s.trim().parse().ok().map(Number),
        _ => None,
    }
}

fn group_fields(field: &Field) -> impl Iterator<Item = (&str, &Field)> {
    let row = match field {
        Field::Group(row) => Some(row),
        _ => None,
    };
    row.into_iter().flat_map(|r| r.get_column_iter().map(|(name, f)| (name.as_str(), f)))
}

fn list(field: &Field) -> &[Field] {
    match field {
        Field::ListInternal(list) => list.elements(),
        _ => &[],
    }
}

fn to_ga4(row: &Row, number_of_row: u64) -> Result<Ga4Event<'_>, ReadError> {
    let mut event = Ga4Event::default();
    for (name, field) in row.get_column_iter() {
        match name.as_str() {
            "event_name" => event.event_name = text(field),
            "event_timestamp" => {
                event.event_timestamp = text(field);
                if event.event_timestamp.is_none() && !matches!(field, Field::Null) {
                    return Err(ReadError::Parquet {
                        row: number_of_row,
                        message: format!("event_timestamp: `{field}` is not microseconds"),
                    });
                }
            }
            "user_pseudo_id" => event.user_pseudo_id = text(field),
            "event_params" => {
                let params = list(field).iter().map(|p| {
                    let mut param = Param::default();
                    for (key, value) in group_fields(p) {
                        match key {
                            "key" => param.key = text(value),
                            "value" => {
                                let mut v = ParamValue::default();
                                for (kind, x) in group_fields(value) {
                                    match kind {
                                        "string_value" => v.string_value = text(x),
                                        "int_value" => v.int_value = text(x),
                                        "float_value" => v.float_value = number(x),
                                        "double_value" => v.double_value = number(x),
                                        _ => {}
                                    }
                                }
                                param.value = Some(v);
                            }
                            _ => {}
                        }
                    }
                    param
                });
                event.event_params = Some(params.collect());
            }
            "ecommerce" => {
                let mut ecommerce = Ecommerce::default();
                for (key, value) in group_fields(field) {
                    match key {
                        "purchase_revenue" => ecommerce.purchase_revenue = number(value),
                        "transaction_id" => ecommerce.transaction_id = text(value),
                        _ => {}
                    }
                }
                event.ecommerce = Some(ecommerce);
            }
            "items" => {
                let items = list(field).iter().map(|item| Item {
                    promotion_id: group_fields(item).find(|(k, _)| *k == "promotion_id").and_then(|(_, v)| text(v)),
                });
                event.items = Some(items.collect());
            }
            _ => {}
        }
    }
    Ok(event)
}
