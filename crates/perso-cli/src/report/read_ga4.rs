//! GA4's BigQuery export schema, one event at a time: the typed subset of a row perso
//! reads (everything else in the row is skipped unparsed), and the rule that turns an
//! event into an exposure or an order. The same rule serves JSON lines, Parquet rows
//! and CSV rows, so the three formats cannot disagree. The contract is docs/report.md:
//!
//! - `experiment_viewed`: `experiment_id` = campaign, `variation_id` = variant (the
//!   holdout is the variation `holdout`; the bundle-level holdout is the experiment
//!   `perso_global` with `personalized` / `holdout`);
//! - `view_promotion`: `promotion_id` = campaign (event parameter, else the first item's);
//! - `purchase`: `ecommerce.transaction_id` (else the `transaction_id` parameter) and
//!   `ecommerce.purchase_revenue` (else the `value` parameter, else 0);
//! - the visitor is `user_pseudo_id`, the time `event_timestamp` (µs since the epoch).
//!
//! BigQuery writes INT64 values as JSON strings, so every id and number here accepts a
//! string or a number.

use super::event::{Event, ExposureKind, ReadError, SHOWN};
use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use std::borrow::Cow;
use std::fmt;

/// A string borrowed from the input when it has no escapes; numbers are kept as their text.
#[derive(Debug, Clone, PartialEq)]
pub struct Text<'a>(pub Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or a number")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
        }
        deserializer.deserialize_any(TextVisitor)
    }
}

/// A number written as a JSON number or as a string (BigQuery's INT64 in JSON).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Number(pub f64);

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NumberVisitor;
        impl Visitor<'_> for NumberVisitor {
            type Value = Number;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Number, E> {
                Ok(Number(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Number, E> {
                Ok(Number(v as f64))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Number, E> {
                Ok(Number(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Number, E> {
                v.trim().parse().map(Number).map_err(|_| E::custom(format!("`{v}` is not a number")))
            }
        }
        deserializer.deserialize_any(NumberVisitor)
    }
}

/// The columns of a GA4 export row that perso reads.
#[derive(Debug, Default, Deserialize)]
pub struct Ga4Event<'a> {
    #[serde(borrow, default)]
    pub event_name: Option<Text<'a>>,
    #[serde(borrow, default)]
    pub event_timestamp: Option<Text<'a>>,
    #[serde(borrow, default)]
    pub user_pseudo_id: Option<Text<'a>>,
    #[serde(borrow, default)]
    pub event_params: Option<Vec<Param<'a>>>,
    #[serde(borrow, default)]
    pub ecommerce: Option<Ecommerce<'a>>,
    #[serde(borrow, default)]
    pub items: Option<Vec<Item<'a>>>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Param<'a> {
    #[serde(borrow, default)]
    pub key: Option<Text<'a>>,
    #[serde(borrow, default)]
    pub value: Option<ParamValue<'a>>,
}

#[derive(Debug, Default, Deserialize)]
pub struct ParamValue<'a> {
    #[serde(borrow, default)]
    pub string_value: Option<Text<'a>>,
    #[serde(borrow, default)]
    pub int_value: Option<Text<'a>>,
    #[serde(default)]
    pub float_value: Option<Number>,
    #[serde(default)]
    pub double_value: Option<Number>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Ecommerce<'a> {
    #[serde(default)]
    pub purchase_revenue: Option<Number>,
    #[serde(borrow, default)]
    pub transaction_id: Option<Text<'a>>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Item<'a> {
    #[serde(borrow, default)]
    pub promotion_id: Option<Text<'a>>,
}

impl<'a> Ga4Event<'a> {
    /// The text of parameter `key` (its string value, else its integer value).
    pub fn param_text(&self, key: &str) -> Option<&Cow<'a, str>> {
        let value = self.param(key)?;
        value.string_value.as_ref().or(value.int_value.as_ref()).map(|t| &t.0).filter(|t| !t.is_empty())
    }

    fn param(&self, key: &str) -> Option<&ParamValue<'a>> {
        self.event_params
            .iter()
            .flatten()
            .find(|p| p.key.as_ref().is_some_and(|k| k.0 == key))
            .and_then(|p| p.value.as_ref())
    }

    fn param_number(&self, key: &str) -> Option<f64> {
        let value = self.param(key)?;
        value
            .double_value
            .or(value.float_value)
            .map(|n| n.0)
            .or_else(|| value.int_value.as_ref().and_then(|t| t.0.parse().ok()))
    }
}

/// Turns one export row into an exposure, an order, or `Other`. `line` names the row in errors.
pub fn to_event<'a>(row: Ga4Event<'a>, line: u64) -> Result<Event<'a>, ReadError> {
    let Some(Text(name)) = &row.event_name else {
        return Err(ReadError::field(line, "event_name", "missing"));
    };
    let relevant = matches!(name.as_ref(), "experiment_viewed" | "view_promotion" | "purchase");
    if !relevant {
        return Ok(Event::Other);
    }
    let visitor = match &row.user_pseudo_id {
        Some(Text(id)) if !id.is_empty() => id.clone(),
        _ => return Err(ReadError::field(line, "user_pseudo_id", "missing")),
    };
    let ts_us = match &row.event_timestamp {
        Some(Text(text)) => text
            .parse::<i64>()
            .map_err(|_| ReadError::field(line, "event_timestamp", format!("`{text}` is not whole microseconds")))?,
        None => return Err(ReadError::field(line, "event_timestamp", "missing")),
    };
    let needed = |key: &str| {
        row.param_text(key).cloned().ok_or_else(|| ReadError::field(line, format!("event_params.{key}"), "missing"))
    };
    match name.as_ref() {
        "experiment_viewed" => Ok(Event::Exposure {
            campaign: needed("experiment_id")?,
            variant: needed("variation_id")?,
            visitor,
            ts_us,
            kind: ExposureKind::Experiment,
        }),
        "view_promotion" => {
            let from_item = || row.items.iter().flatten().find_map(|i| i.promotion_id.as_ref()).map(|t| t.0.clone());
            let campaign = row
                .param_text("promotion_id")
                .cloned()
                .or_else(from_item)
                .filter(|c| !c.is_empty())
                .ok_or_else(|| ReadError::field(line, "event_params.promotion_id", "missing"))?;
            Ok(Event::Exposure {
                visitor,
                ts_us,
                campaign,
                variant: Cow::Borrowed(SHOWN),
                kind: ExposureKind::Promotion,
            })
        }
        _ => {
            let ecommerce = row.ecommerce.as_ref();
            let order_id = ecommerce
                .and_then(|e| e.transaction_id.as_ref())
                .map(|t| t.0.clone())
                .or_else(|| row.param_text("transaction_id").cloned())
                .filter(|id| !id.is_empty() && id != "(not set)");
            let (field, revenue) = match ecommerce.and_then(|e| e.purchase_revenue) {
                Some(n) => ("ecommerce.purchase_revenue", n.0),
                None => ("event_params.value", row.param_number("value").unwrap_or(0.0)),
            };
            if !(revenue.is_finite() && (0.0..1e12).contains(&revenue)) {
                return Err(ReadError::field(line, field, format!("{revenue} is not a revenue")));
            }
            Ok(Event::Order { visitor, ts_us, order_id, revenue })
        }
    }
}

/// One JSON line of the export.
pub fn parse_json_line(text: &str, line: u64) -> Result<Event<'_>, ReadError> {
    let row: Ga4Event = serde_json::from_str(text).map_err(|e| json_error(e, line))?;
    to_event(row, line)
}

pub fn json_error(error: serde_json::Error, line: u64) -> ReadError {
    let message = error.to_string();
    // serde_json counts lines within the text given; ours are file lines.
    let message = match message.rfind(" at line ") {
        Some(cut) => format!("{} (column {})", &message[..cut], error.column()),
        None => message,
    };
    ReadError::NotJson { line, message }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn experiment_viewed_with_bigquery_strings_for_int64() {
        let line = r#"{"event_date":"20261124","event_timestamp":"1795515300000000","event_name":"experiment_viewed","event_params":[{"key":"experiment_id","value":{"string_value":"aff-hero"}},{"key":"variation_id","value":{"string_value":"holdout"}},{"key":"ga_session_id","value":{"int_value":"17"}}],"user_pseudo_id":"123.456","device":{"category":"mobile"}}"#;
        assert_eq!(
            parse_json_line(line, 3).unwrap(),
            Event::Exposure {
                visitor: "123.456".into(),
                ts_us: 1_795_515_300_000_000,
                campaign: "aff-hero".into(),
                variant: "holdout".into(),
                kind: ExposureKind::Experiment
            }
        );
    }

    #[test]
    fn purchase_and_promotion_fallbacks() {
        let purchase = r#"{"event_timestamp":5,"event_name":"purchase","user_pseudo_id":"v","event_params":[{"key":"value","value":{"double_value":12.5}},{"key":"transaction_id","value":{"string_value":"T9"}}]}"#;
        assert_eq!(
            parse_json_line(purchase, 1).unwrap(),
            Event::Order { visitor: "v".into(), ts_us: 5, order_id: Some("T9".into()), revenue: 12.5 }
        );
        let promo = r#"{"event_timestamp":5,"event_name":"view_promotion","user_pseudo_id":"v","items":[{"promotion_id":"aff-hero"}]}"#;
        assert!(
            matches!(parse_json_line(promo, 1).unwrap(), Event::Exposure { campaign, kind: ExposureKind::Promotion, .. } if campaign == "aff-hero")
        );
        let other = r#"{"event_name":"page_view"}"#;
        assert_eq!(parse_json_line(other, 1).unwrap(), Event::Other);
    }

    #[test]
    fn errors_name_line_and_field() {
        let missing = r#"{"event_timestamp":"1","event_name":"experiment_viewed","user_pseudo_id":"v","event_params":[{"key":"experiment_id","value":{"string_value":"c"}}]}"#;
        assert_eq!(
            parse_json_line(missing, 7).unwrap_err().to_string(),
            "line 7, field `event_params.variation_id`: missing"
        );
        let bad_time = r#"{"event_timestamp":"soon","event_name":"purchase","user_pseudo_id":"v"}"#;
        assert_eq!(
            parse_json_line(bad_time, 2).unwrap_err().to_string(),
            "line 2, field `event_timestamp`: `soon` is not whole microseconds"
        );
        let not_json = parse_json_line("{\"event_name\": ", 9).unwrap_err().to_string();
        assert!(not_json.starts_with("line 9: not JSON: EOF while parsing"), "{not_json}");
        let negative =
            r#"{"event_timestamp":1,"event_name":"purchase","user_pseudo_id":"v","ecommerce":{"purchase_revenue":-3}}"#;
        assert!(parse_json_line(negative, 4).unwrap_err().to_string().contains("field `ecommerce.purchase_revenue`"));
    }
}
