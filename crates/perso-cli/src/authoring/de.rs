//! The typed authoring structures read from the spanned YAML tree ([`super::yaml`])
//! with serde's derives: a `Deserializer` over [`Node`]s that knows, at every step,
//! the JSON-style path and the source position, so each error names both —
//! `line 9, column 7: campaigns[0].campaign: unknown field `prority`: did you mean
//! `priority`?`. Scalars are read as the YAML 1.2 core schema resolves them; a text
//! field accepts any plain scalar's text (`code: 0123` is the text "0123", as the
//! marketer meant; the traps still warn, since a `campaign:` block would get a number).

use super::yaml::{Node, Pos, Resolved, Style};
use serde::de::{self, DeserializeSeed, Error as _, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// A structure error: the message, and where (path and position) when known.
#[derive(Debug, Clone, PartialEq)]
pub struct DeError {
    pub message: String,
    pub at: Option<Pos>,
    pub path: Option<String>,
    /// The field a map lacked (`missing field`), for root-cause hints.
    pub missing: Option<String>,
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DeError {}

fn suggestion(word: &str, candidates: &[&'static str]) -> String {
    perso_core::bundle::read::did_you_mean(word, candidates.iter().copied())
        .map(|s| format!(": did you mean `{s}`?"))
        .unwrap_or_default()
}

fn list(names: &[&str]) -> String {
    names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(message: T) -> DeError {
        DeError { message: message.to_string(), at: None, path: None, missing: None }
    }

    fn missing_field(field: &'static str) -> DeError {
        DeError { missing: Some(field.to_owned()), ..DeError::custom(format!("missing field `{field}`")) }
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> DeError {
        DeError::custom(format!(
            "unknown field `{field}`{} (expected one of {})",
            suggestion(field, expected),
            list(expected)
        ))
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> DeError {
        DeError::custom(format!(
            "unknown entry `{variant}`{} (expected one of {})",
            suggestion(variant, expected),
            list(expected)
        ))
    }

    fn invalid_type(unexpected: de::Unexpected, expected: &dyn de::Expected) -> DeError {
        DeError::custom(format!("must be {}, found {unexpected}", plain_expected(&expected.to_string())))
    }

    fn invalid_value(unexpected: de::Unexpected, expected: &dyn de::Expected) -> DeError {
        DeError::custom(format!("must be {}, found {unexpected}", plain_expected(&expected.to_string())))
    }
}

/// serde's type names in words a marketer reads.
fn plain_expected(expected: &str) -> String {
    match expected {
        "u8" | "u16" | "u32" | "u64" | "i8" | "i16" | "i32" | "i64" | "usize" => "a whole number".into(),
        "f32" | "f64" => "a number".into(),
        "a boolean" => "true or false".into(),
        "a string" => "text".into(),
        "a sequence" => "a list".into(),
        other if other.starts_with("struct ") => "a map of fields".into(),
        other => other.to_owned(),
    }
}

impl DeError {
    /// Places an error that has no position yet.
    fn at(mut self, pos: Pos, path: &str) -> DeError {
        if self.at.is_none() {
            self.at = Some(pos);
            self.path = Some(path.to_owned());
        }
        self
    }
}

/// JSON path of a key below `path` (`campaigns[0].campaign`, `products["HP-100"]`).
pub fn join(path: &str, key: &str) -> String {
    let segment = perso_core::logic::compile::key_segment(key);
    match segment.strip_prefix('.') {
        Some(plain) if path.is_empty() => plain.to_owned(),
        _ => format!("{path}{segment}"),
    }
}

/// Deserializes `T` from the tree, every error placed.
pub fn from_node<'n, T: de::Deserialize<'n>>(node: &'n Node) -> Result<T, DeError> {
    T::deserialize(De { node, path: String::new() })
}

pub struct De<'n> {
    node: &'n Node,
    path: String,
}

impl<'n> De<'n> {
    fn fail(&self, message: String) -> DeError {
        DeError::custom(message).at(self.node.span().start, &self.path)
    }

    fn kind(&self) -> &'static str {
        match self.node {
            Node::Seq { .. } => "a list",
            Node::Map { .. } => "a map",
            Node::Scalar { .. } => match self.node.resolved() {
                Some(Resolved::Null) => "nothing (an empty value)",
                Some(Resolved::Bool(_)) => "true or false",
                Some(Resolved::Int(_) | Resolved::Float(_)) => "a number",
                _ => "text",
            },
        }
    }

    fn placed<T>(&self, result: Result<T, DeError>) -> Result<T, DeError> {
        result.map_err(|e| e.at(self.node.span().start, &self.path))
    }
}

impl<'de> de::Deserializer<'de> for De<'de> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let result = match self.node {
            Node::Seq { items, .. } => visitor.visit_seq(Seq { items: items.iter(), path: &self.path, index: 0 }),
            Node::Map { entries, .. } => visitor.visit_map(Map { entries: entries.iter(), path: &self.path }),
            Node::Scalar { .. } => match self.node.resolved() {
                Some(Resolved::Null) | None => visitor.visit_unit(),
                Some(Resolved::Bool(b)) => visitor.visit_bool(b),
                Some(Resolved::Int(i)) => visitor.visit_i64(i),
                Some(Resolved::Float(f)) => visitor.visit_f64(f),
                Some(Resolved::Str(s)) => visitor.visit_str(s),
            },
        };
        self.placed(result)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if matches!(self.node.resolved(), Some(Resolved::Null)) {
            return visitor.visit_none();
        }
        visitor.visit_some(self)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.node {
            Node::Scalar { text, style, .. }
                if *style != Style::Plain || !matches!(self.node.resolved(), Some(Resolved::Null)) =>
            {
                let result = visitor.visit_str(text);
                self.placed(result)
            }
            _ => Err(self.fail(format!("must be text, found {}", self.kind()))),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match (self.node.resolved(), self.node) {
            (Some(Resolved::Bool(b)), _) => visitor.visit_bool(b),
            (_, Node::Scalar { text, style: Style::Plain, .. }) if is_yaml11_boolean(text) => Err(self.fail(format!(
                "must be true or false, found `{text}`: YAML 1.2 reads `{text}` as text; write {}",
                if yaml11_truth(text) { "true" } else { "false" }
            ))),
            _ => Err(self.fail(format!("must be true or false, found {}", self.kind()))),
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.node {
            Node::Seq { items, .. } => {
                let result = visitor.visit_seq(Seq { items: items.iter(), path: &self.path, index: 0 });
                self.placed(result)
            }
            _ => Err(self.fail(format!("must be a list (`- item` lines, or [a, b]), found {}", self.kind()))),
        }
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.node {
            Node::Map { entries, .. } => {
                let result = visitor.visit_map(Map { entries: entries.iter(), path: &self.path });
                self.placed(result)
            }
            _ => Err(self.fail(format!("must be a map of `field: value` lines, found {}", self.kind()))),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_map(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, DeError> {
        Err(self.fail("enums are read as maps here".into()))
    }

    serde::forward_to_deserialize_any! {
        i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char bytes byte_buf unit unit_struct tuple tuple_struct identifier
    }
}

/// YAML 1.1's booleans, which YAML 1.2 (and perso) read as text.
pub fn is_yaml11_boolean(text: &str) -> bool {
    matches!(text.to_ascii_lowercase().as_str(), "yes" | "no" | "on" | "off")
}

pub fn yaml11_truth(text: &str) -> bool {
    matches!(text.to_ascii_lowercase().as_str(), "yes" | "on")
}

struct Seq<'n, 'p> {
    items: std::slice::Iter<'n, Node>,
    path: &'p str,
    index: usize,
}

impl<'de> SeqAccess<'de> for Seq<'de, '_> {
    type Error = DeError;
    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, DeError> {
        let Some(node) = self.items.next() else { return Ok(None) };
        let path = format!("{}[{}]", self.path, self.index);
        self.index += 1;
        seed.deserialize(De { node, path }).map(Some)
    }
}

struct Map<'n, 'p> {
    entries: std::slice::Iter<'n, super::yaml::Entry>,
    path: &'p str,
}

impl<'de> MapAccess<'de> for Map<'de, '_> {
    type Error = DeError;
    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, DeError> {
        let Some(entry) = self.entries.as_slice().first() else { return Ok(None) };
        let key: de::value::StrDeserializer<'_, DeError> = entry.key.as_str().into_deserializer();
        seed.deserialize(key).map(Some).map_err(|e| e.at(entry.key_span.start, self.path))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let Some(entry) = self.entries.next() else { return Err(DeError::custom("a value without a key")) };
        seed.deserialize(De { node: &entry.value, path: join(self.path, &entry.key) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Item {
        id: String,
        #[serde(default)]
        enabled: Option<bool>,
        #[serde(default)]
        count: Option<u32>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Top {
        items: Vec<Item>,
    }

    fn error(text: &str) -> DeError {
        from_node::<Top>(&super::super::yaml::parse(text).unwrap()).unwrap_err()
    }

    #[test]
    fn errors_have_paths_positions_and_hints() {
        let e = error("items:\n  - id: a\n    enabeld: true\n");
        assert_eq!((e.path.as_deref(), e.at.map(|p| (p.line, p.column))), (Some("items[0]"), Some((3, 5))));
        assert!(e.message.contains("did you mean `enabled`?"), "{}", e.message);
        let e = error("items:\n  - id: a\n    enabled: yes\n");
        assert_eq!(e.path.as_deref(), Some("items[0].enabled"));
        assert!(e.message.contains("write true"), "{}", e.message);
        let e = error("items:\n  - enabled: true\n");
        assert_eq!(e.missing.as_deref(), Some("id"));
        assert_eq!(e.path.as_deref(), Some("items[0]"));
        let e = error("items:\n  - id: a\n    count: -1\n");
        assert_eq!(e.path.as_deref(), Some("items[0].count"));
        assert!(e.message.contains("a whole number"), "{}", e.message);
        let top: Top = from_node(&super::super::yaml::parse("items:\n  - id: 0123\n").unwrap()).unwrap();
        assert_eq!(top.items[0].id, "0123", "text fields keep the text as written");
    }
}
