//! The context a decision reads: what a host knows about the page, the cart and the
//! customer, read from JSON into the bundle's slots.
//!
//! Reading is where a decision spends most of its time, so it is designed for it:
//! the bundle's [`Schema`] knows every path its conditions, templates and
//! recommendations use, and [`Schema::read`] walks the host's JSON once, guided by a
//! trie of those paths, skipping everything else without building it. Strings
//! borrow from the input where JSON escapes allow. Facts about the visitor's history
//! (`session.*`, `visitor.*`) are not read from the host at all: the engine derives
//! them from the [`VisitorState`] it is given ([`DERIVED_PATHS`]), so every host
//! computes them the same way.

use crate::logic::compile::VarPath;
use crate::logic::value::Datum;
use crate::state::VisitorState;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

/// Paths the engine fills from the visitor state and the clock.
pub const DERIVED_PATHS: [&str; 14] = [
    "session.entry_referrer_host",
    "session.entry_utm.source",
    "session.entry_utm.medium",
    "session.entry_utm.campaign",
    "session.entry_utm.term",
    "session.entry_utm.content",
    "session.time_on_site_s",
    "session.pages_viewed",
    "visitor.id",
    "visitor.visits",
    "visitor.is_returning",
    "visitor.days_since_last_visit",
    "visitor.registered",
    "visitor.interests",
];
const INTERESTS: usize = 13;

/// The JSON type a documented context path must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Str,
    Num,
    Bool,
    List,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Str => "a string",
            Kind::Num => "a number",
            Kind::Bool => "true or false",
            Kind::List => "an array",
        }
    }

    fn admits(self, value: &Datum<'_>) -> bool {
        matches!(
            (self, value),
            (_, Datum::Null)
                | (Kind::Str, Datum::Str(_))
                | (Kind::Num, Datum::Num(_))
                | (Kind::Bool, Datum::Bool(_))
                | (Kind::List, Datum::List(_))
        )
    }
}

fn documented_kind(path: &str) -> Option<Kind> {
    Some(match path {
        "page.url" | "page.path" | "page.type" | "page.referrer" | "page.referrer_host" => Kind::Str,
        p if p.starts_with("page.utm.") => Kind::Str,
        "cart.items" | "customer.segments" => Kind::List,
        "cart.total" | "cart.count" | "time.hour" | "time.weekday" => Kind::Num,
        "customer.known" | "consent.personalization" | "consent.gpc" => Kind::Bool,
        "customer.first_name" | "customer.ltv_band" | "device.type" | "device.language" => Kind::Str,
        p if p.starts_with("customer.rfm.") && p != "customer.rfm.score" => Kind::Num,
        _ => return None,
    })
}

/// Why a context could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ContextError {
    #[error("context is not valid JSON: {0}")]
    Json(String),
    #[error("context must be a JSON object")]
    NotAnObject,
    #[error("context.{path} must be {expected}")]
    WrongType { path: String, expected: &'static str },
}

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
                    node.children.push((Box::from(key), Trie::default()));
                    node.children.len() - 1
                }
            };
            node = &mut node.children[index].1;
        }
        node.slot = Some(slot);
    }
}

/// Every context path a bundle reads, interned into slots.
#[derive(Debug, Default)]
pub struct Schema {
    paths: Vec<String>,
    index: HashMap<String, u16>,
    kinds: Vec<Option<Kind>>,
    trie: Trie,
    derived_used: u16,
    cart_items: Option<u16>,
    cart_total: Option<u16>,
    cart_count: Option<u16>,
}

impl Schema {
    /// Resolves a path: a derived fact, or a host slot (interned on first use).
    pub fn var(&mut self, path: &str) -> VarPath {
        if let Some(index) = DERIVED_PATHS.iter().position(|p| *p == path) {
            self.derived_used |= 1 << index;
            return VarPath::Derived(index as u8);
        }
        VarPath::Slot(self.slot(path))
    }

    /// The slot of a path already in use, if any.
    pub fn existing_slot(&self, path: &str) -> Option<u16> {
        self.index.get(path).copied()
    }

    /// How a path resolves, if the bundle uses it.
    pub fn existing_var(&self, path: &str) -> Option<VarPath> {
        if let Some(index) = DERIVED_PATHS.iter().position(|p| *p == path) {
            return (self.derived_used & (1 << index) != 0).then_some(VarPath::Derived(index as u8));
        }
        self.existing_slot(path).map(VarPath::Slot)
    }

    pub fn slot(&mut self, path: &str) -> u16 {
        if let Some(slot) = self.index.get(path) {
            return *slot;
        }
        let slot = self.paths.len() as u16;
        self.paths.push(path.to_owned());
        self.index.insert(path.to_owned(), slot);
        self.kinds.push(documented_kind(path));
        self.trie.insert(path, slot);
        match path {
            "cart.items" => self.cart_items = Some(slot),
            "cart.total" | "cart.count" => {
                if path == "cart.total" {
                    self.cart_total = Some(slot);
                } else {
                    self.cart_count = Some(slot);
                }
                // Defaults for total and count are sums over the items.
                self.slot("cart.items");
            }
            _ => {}
        }
        slot
    }

    /// Every path the bundle reads, host-supplied and derived: what a host needs to
    /// collect (and all it needs to).
    pub fn references(&self) -> Vec<String> {
        let mut all: Vec<String> = self.paths.clone();
        for (index, path) in DERIVED_PATHS.iter().enumerate() {
            if self.derived_used & (1 << index) != 0 {
                all.push((*path).to_owned());
            }
        }
        all.sort();
        all
    }

    pub fn slot_count(&self) -> usize {
        self.paths.len()
    }

    /// Reads a host's context JSON into slots, skipping what the bundle does not use.
    pub fn read<'a>(&self, json: &'a [u8]) -> Result<Context<'a>, ContextError> {
        let mut slots = vec![Datum::Null; self.paths.len()];
        let mut deserializer = serde_json::Deserializer::from_slice(json);
        ObjectSeed { node: &self.trie, slots: &mut slots, root: true }.deserialize(&mut deserializer).map_err(|e| {
            if e.to_string().contains(NOT_AN_OBJECT) {
                ContextError::NotAnObject
            } else {
                ContextError::Json(e.to_string())
            }
        })?;
        deserializer.end().map_err(|e| ContextError::Json(e.to_string()))?;
        self.check_and_default(&mut slots)?;
        Ok(Context { slots })
    }

    /// A context from already-parsed JSON (tests, the CLI).
    pub fn read_value<'a>(&self, value: &'a serde_json::Value) -> Result<Context<'a>, ContextError> {
        if !value.is_object() {
            return Err(ContextError::NotAnObject);
        }
        let root = Datum::from_json(value);
        let mut slots = Vec::with_capacity(self.paths.len());
        for path in &self.paths {
            let mut node = Some(&root);
            for key in path.split('.') {
                node = node.and_then(|n| n.get(key));
            }
            slots.push(node.cloned().unwrap_or(Datum::Null));
        }
        self.check_and_default(&mut slots)?;
        Ok(Context { slots })
    }

    fn check_and_default(&self, slots: &mut [Datum<'_>]) -> Result<(), ContextError> {
        for ((value, kind), path) in slots.iter().zip(&self.kinds).zip(&self.paths) {
            if let Some(kind) = kind {
                if !kind.admits(value) {
                    return Err(ContextError::WrongType { path: path.clone(), expected: kind.name() });
                }
            }
        }
        let Some(items_slot) = self.cart_items else { return Ok(()) };
        let (mut total, mut count) = (0.0, 0.0);
        if let Some(Datum::List(items)) = slots.get(usize::from(items_slot)) {
            for (i, item) in items.iter().enumerate() {
                if !matches!(item, Datum::Map(_)) {
                    return Err(ContextError::WrongType {
                        path: format!("cart.items[{i}]"),
                        expected: "an object {sku, category, price, qty}",
                    });
                }
                let qty = item.get("qty").and_then(Datum::as_f64).unwrap_or(1.0);
                total += item.get("price").and_then(Datum::as_f64).unwrap_or(0.0) * qty;
                count += qty;
            }
        }
        for (slot, value) in [(self.cart_total, total), (self.cart_count, count)] {
            if let Some(slot) = slot {
                if let Some(target) = slots.get_mut(usize::from(slot)) {
                    if target.is_null() {
                        *target = Datum::Num(value);
                    }
                }
            }
        }
        Ok(())
    }

    /// The derived facts for this visitor at `now_ms` (only those the bundle uses
    /// are filled; the others stay null).
    pub fn derive<'s>(&self, state: &'s VisitorState, now_ms: i64) -> Vec<Datum<'s>> {
        let used = |i: usize| self.derived_used & (1 << i) != 0;
        let text = |s: &'s Option<String>| s.as_deref().map_or(Datum::Null, Datum::str);
        let session = &state.session;
        let mut derived = vec![Datum::Null; DERIVED_PATHS.len()];
        if self.derived_used == 0 {
            return derived;
        }
        derived[0] = text(&session.ref_host);
        derived[1] = text(&session.utm.source);
        derived[2] = text(&session.utm.medium);
        derived[3] = text(&session.utm.campaign);
        derived[4] = text(&session.utm.term);
        derived[5] = text(&session.utm.content);
        derived[6] = Datum::Num(((now_ms - session.start_ms).max(0) / 1000) as f64);
        derived[7] = Datum::Num(f64::from(session.pages));
        derived[8] = Datum::str(&state.id);
        derived[9] = Datum::Num(f64::from(state.visits));
        derived[10] = Datum::Bool(state.visits > 1);
        derived[11] =
            state.prev_ms.map_or(Datum::Null, |prev| Datum::Num(((now_ms - prev).max(0) / 86_400_000) as f64));
        derived[12] = Datum::Bool(state.registered);
        if used(INTERESTS) {
            derived[INTERESTS] = Datum::List(state.interests.iter().map(|i| Datum::str(i)).collect());
        }
        derived
    }
}

/// A context read for one bundle: values by slot.
#[derive(Debug, Clone, PartialEq)]
pub struct Context<'a> {
    pub(crate) slots: Vec<Datum<'a>>,
}

impl<'a> Context<'a> {
    pub fn slots(&self) -> &[Datum<'a>] {
        &self.slots
    }
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

    #[test]
    fn reads_only_referenced_paths() {
        let s = schema(&["page.referrer_host", "cart.total", "customer.rfm.score"]);
        let json = br#"{"page":{"url":"https://x.test/a","referrer_host":"gadgets.com","utm":{"source":"n"}},
            "cart":{"items":[{"sku":"A","price":10,"qty":2},{"sku":"B","price":5}]},
            "customer":{"rfm":{"r":5,"score":14}},"custom":{"deep":[1,[2,{"x":3}]]}}"#;
        let ctx = s.read(json).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ctx.slots[0], Datum::str("gadgets.com"));
        assert_eq!(ctx.slots[1], Datum::Num(25.0), "total defaults to the sum of the items");
        assert_eq!(ctx.slots[3], Datum::Num(14.0));
        assert!(matches!(ctx.slots[0], Datum::Str(Cow::Borrowed(_))), "no copy of plain strings");
    }

    #[test]
    fn parent_and_child_paths_both_resolve() {
        let s = schema(&["customer.rfm", "customer.rfm.score"]);
        let ctx = s.read(br#"{"customer":{"rfm":{"score":9}}}"#).unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(ctx.slots[0], Datum::Map(_)));
        assert_eq!(ctx.slots[1], Datum::Num(9.0));
    }

    #[test]
    fn bad_contexts_are_named() {
        let s = schema(&["cart.total", "customer.known"]);
        assert_eq!(s.read(b"[1,2]"), Err(ContextError::NotAnObject));
        assert!(matches!(s.read(b"{\"cart\":"), Err(ContextError::Json(_))));
        assert_eq!(
            s.read(br#"{"cart":{"total":"lots"}}"#),
            Err(ContextError::WrongType { path: "cart.total".into(), expected: "a number" })
        );
        assert_eq!(
            s.read(br#"{"cart":{"items":[3]}}"#),
            Err(ContextError::WrongType {
                path: "cart.items[0]".into(),
                expected: "an object {sku, category, price, qty}"
            })
        );
        // A non-object where an object was expected: the paths below are simply absent.
        let ctx = s.read(br#"{"cart":7,"customer":{"known":true}}"#).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ctx.slots[0], Datum::Num(0.0));
    }

    #[test]
    fn derived_facts_come_from_state() {
        let s = schema(&["session.time_on_site_s", "visitor.interests", "session.entry_referrer_host"]);
        let state = VisitorState::new("v", 1_000)
            .page_view(
                &crate::state::PageView { referrer_host: Some("gadgets.com".into()), ..Default::default() },
                1_000,
            )
            .register(&["audio".into()], 2_000);
        let derived = s.derive(&state, 21_500);
        assert_eq!(derived[6], Datum::Num(20.0));
        assert_eq!(derived[0], Datum::str("gadgets.com"));
        assert_eq!(derived[INTERESTS], Datum::List(vec![Datum::str("audio")]));
        assert_eq!(s.references(), vec!["session.entry_referrer_host", "session.time_on_site_s", "visitor.interests"]);
    }
}
