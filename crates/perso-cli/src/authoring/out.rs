//! The compiled bundle's values, serialized in the order they were written or built
//! (the workspace's serde_json sorts object keys; see json_order.rs for why
//! `preserve_order` is not an option).

use super::Value;
use serde::ser::SerializeMap;
use serde::Serialize;

/// A JSON object built in order (templates' output).
#[derive(Debug, Default)]
pub struct Map(Vec<(String, Out)>);

/// A value of the compiled bundle: written by the marketer (YAML), generated, or an object.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Out {
    Yaml(Value),
    Json(serde_json::Value),
    Map(Map),
}

impl Map {
    pub fn insert(&mut self, key: &str, value: impl Into<Out>) {
        self.0.push((key.to_owned(), value.into()));
    }
}

impl Serialize for Map {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl From<Value> for Out {
    fn from(value: Value) -> Out {
        Out::Yaml(value)
    }
}
impl From<serde_json::Value> for Out {
    fn from(value: serde_json::Value) -> Out {
        Out::Json(value)
    }
}
impl From<Map> for Out {
    fn from(value: Map) -> Out {
        Out::Map(value)
    }
}
macro_rules! out_from_json {
    ($($t:ty),*) => { $(impl From<$t> for Out { fn from(v: $t) -> Out { Out::Json(v.into()) } })* };
}
out_from_json!(String, &str, bool, i64, u64, u32, u8, Vec<String>);
