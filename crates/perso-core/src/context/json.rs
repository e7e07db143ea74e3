//! Reading a host's context from JSON (native hosts, tools, the CLI): one pass
//! over the text guided by a trie of the paths the bundle uses; everything else is
//! skipped without being built, and strings borrow from the input where JSON
//! escapes allow.

use super::{Context, ContextError, Schema};
use crate::logic::value::Datum;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

#[derive(Debug, Default)]
struct Trie {
    children: Vec<(Box<str>, Trie)>,
    slot: Option<u16>,
}

impl Trie {
    fn insert(&mut self, path: &str, slot: u16) {
        let mut node = self;
        for key in path.split('.') {
            let index = match node.children.iter().position(|(k, _)| &**k == key) {
                Some(index) => index,
                None => {
                    let index = node.children.len();
                    node.children.push((Box::from(key), Trie::default()));
                    index
                }
            };
            // The child was found or pushed just above: `get_mut` never misses.
            let Some((_, child)) = node.children.get_mut(index) else { return };
            node = child;
        }
        node.slot = Some(slot);
    }
}

/// A schema's JSON reader: built once per bundle.
#[derive(Debug, Default)]
pub struct JsonReader {
    trie: Trie,
}

impl JsonReader {
    pub fn new(schema: &Schema) -> JsonReader {
        let mut trie = Trie::default();
        for (slot, path) in schema.paths().iter().enumerate() {
            trie.insert(path, slot as u16);
        }
        JsonReader { trie }
    }

    /// Reads a host's context JSON into slots, skipping what the bundle does not use.
    pub fn read<'a>(&self, schema: &Schema, json: &'a [u8]) -> Result<Context<'a>, ContextError> {
        let mut slots = vec![Datum::Null; schema.slot_count()];
        let mut deserializer = serde_json::Deserializer::from_slice(json);
        ObjectSeed { node: &self.trie, slots: &mut slots, root: true }.deserialize(&mut deserializer).map_err(|e| {
            if e.to_string().contains(NOT_AN_OBJECT) {
                ContextError::NotAnObject
            } else {
                ContextError::Json(e.to_string())
            }
        })?;
        deserializer.end().map_err(|e| ContextError::Json(e.to_string()))?;
        schema.finish(&mut slots)?;
        Ok(Context { slots })
    }
}

/// A context from already-parsed JSON (tests, the CLI).
pub fn read_value<'a>(schema: &Schema, value: &'a serde_json::Value) -> Result<Context<'a>, ContextError> {
    if !value.is_object() {
        return Err(ContextError::NotAnObject);
    }
    let root = Datum::from_json(value);
    let mut slots = Vec::with_capacity(schema.slot_count());
    for path in schema.paths() {
        let mut node = Some(&root);
        for key in path.split('.') {
            node = node.and_then(|n| n.get(key));
        }
        slots.push(node.cloned().unwrap_or(Datum::Null));
    }
    schema.finish(&mut slots)?;
    Ok(Context { slots })
}

const NOT_AN_OBJECT: &str = "perso: context root is not an object";

/// Reads an object, keeping the members the trie names.
struct ObjectSeed<'t, 'v, 'a> {
    node: &'t Trie,
    slots: &'v mut Vec<Datum<'a>>,
    root: bool,
}

impl<'de, 't, 'v> DeserializeSeed<'de> for ObjectSeed<'t, 'v, 'de> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, 't, 'v> Visitor<'de> for ObjectSeed<'t, 'v, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<(), M::Error> {
        while let Some(child) = map.next_key_seed(KeySeed { node: self.node })? {
            let Some(child) = child.and_then(|i| self.node.children.get(i)).map(|(_, t)| t) else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            match (child.slot, child.children.is_empty()) {
                (Some(slot), true) => {
                    let value = map.next_value_seed(DatumSeed)?;
                    if let Some(target) = self.slots.get_mut(usize::from(slot)) {
                        *target = value;
                    }
                }
                (None, _) => map.next_value_seed(ObjectSeed { node: child, slots: self.slots, root: false })?,
                (Some(slot), false) => {
                    // Both a path and its parent are used: keep the whole value and
                    // pick the children out of it.
                    let value = map.next_value_seed(DatumSeed)?;
                    fill_from(child, &value, self.slots);
                    if let Some(target) = self.slots.get_mut(usize::from(slot)) {
                        *target = value;
                    }
                }
            }
        }
        Ok(())
    }

    // Any other value where an object was expected: the paths below it are absent.
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        self.not_object()
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        self.not_object()
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        self.not_object()
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        self.not_object()
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        self.not_object()
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.not_object()
    }
    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<(), S::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        self.not_object()
    }
}

impl ObjectSeed<'_, '_, '_> {
    fn not_object<E: de::Error>(self) -> Result<(), E> {
        if self.root {
            Err(E::custom(NOT_AN_OBJECT))
        } else {
            Ok(())
        }
    }
}

fn fill_from<'a>(node: &Trie, value: &Datum<'a>, slots: &mut [Datum<'a>]) {
    for (key, child) in &node.children {
        if let Some(found) = value.get(key) {
            if let Some(slot) = child.slot {
                if let Some(target) = slots.get_mut(usize::from(slot)) {
                    *target = found.clone();
                }
            }
            fill_from(child, found, slots);
        }
    }
}

/// Reads a key and answers which trie child it names, without allocating.
struct KeySeed<'t> {
    node: &'t Trie,
}

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = Option<usize>;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Option<usize>, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_> {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Option<usize>, E> {
        Ok(self.node.children.iter().position(|(k, _)| &**k == key))
    }
}

/// Reads any JSON value as a [`Datum`], borrowing strings from the input.
struct DatumSeed;

impl<'de> DeserializeSeed<'de> for DatumSeed {
    type Value = Datum<'de>;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Datum<'de>, D::Error> {
        deserializer.deserialize_any(DatumVisitor)
    }
}

struct DatumVisitor;

impl<'de> Visitor<'de> for DatumVisitor {
    type Value = Datum<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Datum<'de>, E> {
        Ok(Datum::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Datum<'de>, E> {
        Ok(Datum::Num(v as f64))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Datum<'de>, E> {
        Ok(Datum::Num(v as f64))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Datum<'de>, E> {
        Ok(Datum::Num(v))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Datum<'de>, E> {
        Ok(Datum::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Datum<'de>, E> {
        Ok(Datum::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<Datum<'de>, E> {
        Ok(Datum::Str(Cow::Owned(v)))
    }
    fn visit_unit<E>(self) -> Result<Datum<'de>, E> {
        Ok(Datum::Null)
    }
    fn visit_none<E>(self) -> Result<Datum<'de>, E> {
        Ok(Datum::Null)
    }
    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<Datum<'de>, S::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(4));
        while let Some(item) = seq.next_element_seed(DatumSeed)? {
            items.push(item);
        }
        Ok(Datum::List(items))
    }
    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Datum<'de>, M::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(4));
        while let Some(key) = map.next_key_seed(KeyCow)? {
            let value = map.next_value_seed(DatumSeed)?;
            entries.push((key, value));
        }
        Ok(Datum::Map(entries))
    }
}

struct KeyCow;

impl<'de> DeserializeSeed<'de> for KeyCow {
    type Value = Cow<'de, str>;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Cow<'de, str>, D::Error> {
        deserializer.deserialize_str(KeyCowVisitor)
    }
}

struct KeyCowVisitor;

impl<'de> Visitor<'de> for KeyCowVisitor {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(v.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(paths: &[&str]) -> Schema {
        let mut schema = Schema::default();
        for path in paths {
            schema.var(path);
        }
        schema
    }

    fn read<'a>(s: &Schema, json: &'a [u8]) -> Result<Context<'a>, ContextError> {
        JsonReader::new(s).read(s, json)
    }

    #[test]
    fn reads_only_referenced_paths() {
        let s = schema(&["page.referrer_host", "cart.total", "customer.rfm.score"]);
        let json = br#"{"page":{"url":"https://x.test/a","referrer_host":"gadgets.com","utm":{"source":"n"}},
            "cart":{"items":[{"sku":"A","price":10,"qty":2},{"sku":"B","price":5}]},
            "customer":{"rfm":{"r":5,"score":14}},"custom":{"deep":[1,[2,{"x":3}]]}}"#;
        let ctx = read(&s, json).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ctx.slots[0], Datum::str("gadgets.com"));
        assert_eq!(ctx.slots[1], Datum::Num(25.0), "total defaults to the sum of the items");
        assert_eq!(ctx.slots[3], Datum::Num(14.0));
        assert!(matches!(ctx.slots[0], Datum::Str(Cow::Borrowed(_))), "no copy of plain strings");
    }

    #[test]
    fn parent_and_child_paths_both_resolve() {
        let s = schema(&["customer.rfm", "customer.rfm.score"]);
        let ctx = read(&s, br#"{"customer":{"rfm":{"score":9}}}"#).unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(ctx.slots[0], Datum::Map(_)));
        assert_eq!(ctx.slots[1], Datum::Num(9.0));
    }

    #[test]
    fn bad_contexts_are_named() {
        let s = schema(&["cart.total", "customer.known"]);
        assert_eq!(read(&s, b"[1,2]"), Err(ContextError::NotAnObject));
        assert!(matches!(read(&s, b"{\"cart\":"), Err(ContextError::Json(_))));
        assert_eq!(
            read(&s, br#"{"cart":{"total":"lots"}}"#),
            Err(ContextError::WrongType { path: "cart.total".into(), expected: "a number" })
        );
        assert_eq!(
            read(&s, br#"{"cart":{"items":[3]}}"#),
            Err(ContextError::WrongType {
                path: "cart.items[0]".into(),
                expected: "an object {sku, category, price, qty}"
            })
        );
        // A non-object where an object was expected: the paths below are simply absent.
        let ctx = read(&s, br#"{"cart":7,"customer":{"known":true}}"#).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ctx.slots[0], Datum::Num(0.0));
    }

    #[test]
    fn values_are_bounded_as_they_are_read() {
        let s = schema(&["custom.list", "custom.text"]);
        let long: Vec<u32> = (0..100).collect();
        let json = serde_json::json!({"custom": {"list": long, "text": "é".repeat(600)}}).to_string();
        let ctx = read(&s, json.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(&ctx.slots[0], Datum::List(items) if items.len() == crate::limits::MAX_CONTEXT_LIST));
        assert!(matches!(&ctx.slots[1], Datum::Str(t) if t.len() == crate::limits::MAX_CONTEXT_TEXT));
    }

    #[test]
    fn derived_facts_come_from_state() {
        let s = schema(&["session.time_on_site_s", "visitor.interests", "session.entry_referrer_host"]);
        let state = crate::VisitorState::new("v", 1_000)
            .page_view(
                &crate::state::PageView { referrer_host: Some("gadgets.com".into()), ..Default::default() },
                1_000,
            )
            .register(&["audio".into()], 2_000);
        let derived = s.derive(&state, 21_500);
        assert_eq!(derived[6], Datum::Num(20.0));
        assert_eq!(derived[0], Datum::str("gadgets.com"));
        assert_eq!(derived[super::super::INTERESTS], Datum::List(vec![Datum::str("audio")]));
        assert_eq!(s.references(), vec!["session.entry_referrer_host", "session.time_on_site_s", "visitor.interests"]);
    }
}
