//! A JSON object whose members keep their order and their exact text, so a command
//! that changes one field of a bundle (`publish` stamps `serial`, `profiles --bundle`
//! replaces `affinity`) leaves the rest of the marketer's file as it was. (The
//! workspace's serde_json sorts object keys; enabling `preserve_order` would change
//! the engine's build too.)

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

#[derive(Debug, Default)]
pub struct OrderedObject {
    members: Vec<(String, Box<RawValue>)>,
}

impl OrderedObject {
    pub fn get(&self, key: &str) -> Option<&RawValue> {
        self.members.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_ref())
    }

    /// Replaces a member in place, or appends it.
    pub fn set(&mut self, key: &str, value: &impl serde::Serialize) -> Result<(), String> {
        let text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
        let indented = text.replace('\n', "\n  ");
        let raw = RawValue::from_string(indented).map_err(|e| e.to_string())?;
        match self.members.iter_mut().find(|(k, _)| k == key) {
            Some(member) => member.1 = raw,
            None => self.members.push((key.to_owned(), raw)),
        }
        Ok(())
    }

    /// Replaces (or appends) a member with JSON text as given.
    pub fn set_raw(&mut self, key: &str, text: String) -> Result<(), String> {
        let raw = RawValue::from_string(text).map_err(|e| e.to_string())?;
        match self.members.iter_mut().find(|(k, _)| k == key) {
            Some(member) => member.1 = raw,
            None => self.members.push((key.to_owned(), raw)),
        }
        Ok(())
    }

    /// `{`, one member per line with its original text, `}`.
    pub fn to_json(&self) -> String {
        let members: Vec<String> = self
            .members
            .iter()
            .map(|(k, v)| format!("  {}: {}", serde_json::Value::String(k.clone()), v.get()))
            .collect();
        format!("{{\n{}\n}}\n", members.join(",\n"))
    }
}

impl<'de> Deserialize<'de> for OrderedObject {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Members;
        impl<'de> Visitor<'de> for Members {
            type Value = OrderedObject;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<OrderedObject, A::Error> {
                let mut members = Vec::new();
                while let Some((key, value)) = map.next_entry::<String, Box<RawValue>>()? {
                    members.push((key, value));
                }
                Ok(OrderedObject { members })
            }
        }
        deserializer.deserialize_map(Members)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_and_text() {
        let mut o: OrderedObject = serde_json::from_str(r#"{"z": 1, "a": {"y": [1,  2]}, "serial": 3}"#).unwrap();
        o.set("serial", &4).unwrap();
        o.set("new", &"x").unwrap();
        assert_eq!(o.to_json(), "{\n  \"z\": 1,\n  \"a\": {\"y\": [1,  2]},\n  \"serial\": 4,\n  \"new\": \"x\"\n}\n");
    }
}
