//! The context a decision reads: what a host knows about the page, the cart and the
//! customer, in the bundle's slots.
//!
//! The bundle's [`Schema`] knows every path its conditions, templates and
//! recommendations use, each interned into a slot. A host fills those slots and
//! nothing else: in the wasm package by writing the values straight into the
//! engine's input buffer ([`slots`], no JSON on either side), natively or in tools
//! from JSON ([`json`], read in one pass guided by a trie of the paths, skipping
//! everything else unbuilt). Values are bounded as they are read (lists to
//! [`MAX_CONTEXT_LIST`] items, strings to [`MAX_CONTEXT_TEXT`] bytes), so the cost
//! estimate of every condition holds. Facts about the visitor's history
//! (`session.*`, `visitor.*`) are not read from the host at all: the engine derives
//! them from the [`VisitorState`] ([`DERIVED_PATHS`]), so every host computes them
//! the same way.

#[cfg(feature = "json")]
pub mod json;
pub mod slots;

use crate::limits::{MAX_CART_LINES, MAX_CONTEXT_LIST, MAX_CONTEXT_TEXT};
use crate::logic::cost::{context_size, Size};
use crate::logic::ir::VarPath;
use crate::logic::value::Datum;
use crate::state::VisitorState;
use alloc::borrow::Cow;
use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use serde::Serialize;

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
/// Index of `session.time_on_site_s` in [`DERIVED_PATHS`].
pub const TIME_ON_SITE: usize = 6;
/// Index of `visitor.interests` in [`DERIVED_PATHS`].
pub const INTERESTS: usize = 13;

/// The JSON type a documented context path must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Kind {
    Str,
    Num,
    Bool,
    List,
}

impl Kind {
    pub fn name(self) -> &'static str {
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

/// The type of a documented context path, `None` for the others (`custom.*`).
pub fn documented_kind(path: &str) -> Option<Kind> {
    Some(match path {
        "page.url" | "page.path" | "page.type" | "page.referrer" | "page.referrer_host" => Kind::Str,
        p if p.starts_with("page.utm.") => Kind::Str,
        "cart.items" | "customer.segments" => Kind::List,
        "cart.total" | "cart.count" | "customer.orders" | "time.hour" | "time.weekday" => Kind::Num,
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
    /// The host's slot encoding is malformed at this byte offset (a host bug).
    #[error("context slots are malformed at byte {offset}")]
    Encoding { offset: usize },
}

/// Slots the engine itself reads (consent, local time, cart lines, interests).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct KnownSlots {
    pub consent_personalization: Option<u16>,
    pub consent_gpc: Option<u16>,
    pub time_hour: Option<u16>,
    pub time_weekday: Option<u16>,
    pub cart_items: Option<u16>,
    pub cart_total: Option<u16>,
    pub cart_count: Option<u16>,
    /// Read by the guardrails' quiet pages even when no condition reads it.
    pub page_type: Option<u16>,
}

/// Why a loaded [`Schema`] cannot be used ([`Schema::validate`]; a corrupt or
/// hand-made binary bundle).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaFault {
    /// A well-known slot (consent, time, cart) is past the schema's slots.
    KnownSlot,
    /// The kinds are not one per slot, or a slot's kind is not its path's documented one.
    Kinds,
    /// More slots than a `u16` can number.
    TooManySlots,
    /// The derived facts used name a fact past [`DERIVED_PATHS`].
    Derived,
}

/// Every context path a bundle reads, interned into slots.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Schema {
    paths: Vec<Box<str>>,
    kinds: Vec<Option<Kind>>,
    derived_used: u16,
    known: KnownSlots,
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
        self.paths.iter().position(|p| **p == *path).map(|i| i as u16)
    }

    /// How a path resolves, if the bundle uses it.
    pub fn existing_var(&self, path: &str) -> Option<VarPath> {
        if let Some(index) = DERIVED_PATHS.iter().position(|p| *p == path) {
            return (self.derived_used & (1 << index) != 0).then_some(VarPath::Derived(index as u8));
        }
        self.existing_slot(path).map(VarPath::Slot)
    }

    pub fn slot(&mut self, path: &str) -> u16 {
        if let Some(slot) = self.existing_slot(path) {
            return slot;
        }
        let slot = self.paths.len() as u16;
        self.paths.push(Box::from(path));
        self.kinds.push(documented_kind(path));
        let known = &mut self.known;
        match path {
            "consent.personalization" => known.consent_personalization = Some(slot),
            "consent.gpc" => known.consent_gpc = Some(slot),
            "time.hour" => known.time_hour = Some(slot),
            "time.weekday" => known.time_weekday = Some(slot),
            "cart.items" => known.cart_items = Some(slot),
            "page.type" => known.page_type = Some(slot),
            "cart.total" | "cart.count" => {
                if path == "cart.total" {
                    known.cart_total = Some(slot);
                } else {
                    known.cart_count = Some(slot);
                }
                // Defaults for total and count are sums over the items.
                self.slot("cart.items");
            }
            _ => {}
        }
        slot
    }

    /// Whether the bundle reads the derived fact at `index` of [`DERIVED_PATHS`].
    pub fn uses_derived(&self, index: usize) -> bool {
        self.derived_used & (1 << index) != 0
    }

    pub fn known(&self) -> &KnownSlots {
        &self.known
    }

    /// The host-supplied paths, by slot.
    pub fn paths(&self) -> &[Box<str>] {
        &self.paths
    }

    /// Every path the bundle reads, host-supplied and derived, sorted.
    pub fn references(&self) -> Vec<String> {
        let mut all: Vec<String> = self.paths.iter().map(|p| String::from(&**p)).collect();
        for (index, path) in DERIVED_PATHS.iter().enumerate() {
            if self.uses_derived(index) {
                all.push(String::from(*path));
            }
        }
        all.sort();
        all
    }

    pub fn slot_count(&self) -> usize {
        self.paths.len()
    }

    /// The largest value a slot can hold once read (for the cost estimate).
    pub fn slot_size(&self, slot: u16) -> Size {
        match self.kinds.get(usize::from(slot)).copied().flatten() {
            Some(Kind::List) => context_size(true, true),
            Some(Kind::Str) => context_size(false, true),
            Some(Kind::Num | Kind::Bool) => context_size(false, false),
            None => context_size(true, true),
        }
    }

    /// Structure check of a loaded schema.
    pub fn validate(&self) -> Result<(), SchemaFault> {
        let n = self.paths.len();
        let known = &self.known;
        let in_range = [
            known.consent_personalization,
            known.consent_gpc,
            known.time_hour,
            known.time_weekday,
            known.cart_items,
            known.cart_total,
            known.cart_count,
            known.page_type,
        ]
        .iter()
        .all(|s| s.is_none_or(|s| usize::from(s) < n));
        let kinds_match = self.kinds.len() == n
            && self.paths.iter().zip(&self.kinds).all(|(path, kind)| documented_kind(path) == *kind);
        if !in_range {
            Err(SchemaFault::KnownSlot)
        } else if !kinds_match {
            Err(SchemaFault::Kinds)
        } else if n > usize::from(u16::MAX) {
            Err(SchemaFault::TooManySlots)
        } else if self.derived_used >= (1 << DERIVED_PATHS.len()) {
            Err(SchemaFault::Derived)
        } else {
            Ok(())
        }
    }

    /// Type checks, bounds and defaults once every slot is read: documented paths
    /// have their type, lists and strings are cut to the context limits, cart lines
    /// are objects, and `cart.total` / `cart.count` default to sums over the lines.
    pub fn finish<'a>(&self, slots: &mut [Datum<'a>]) -> Result<(), ContextError> {
        for ((value, kind), path) in slots.iter_mut().zip(&self.kinds).zip(&self.paths) {
            if let Some(kind) = kind {
                if !kind.admits(value) {
                    return Err(ContextError::WrongType { path: String::from(&**path), expected: kind.name() });
                }
            }
            bound(value, 0);
        }
        let Some(items_slot) = self.known.cart_items else { return Ok(()) };
        let (mut total, mut count) = (0.0, 0.0);
        if let Some(Datum::List(items)) = slots.get_mut(usize::from(items_slot)) {
            items.truncate(MAX_CART_LINES);
            for (i, item) in items.iter().enumerate() {
                if !matches!(item, Datum::Map(_)) {
                    // `cart.items[i]`, written without `format!` (no `core::fmt` in the lean wasm).
                    let mut path = String::from("cart.items[");
                    crate::logic::number::write(i as f64, &mut path);
                    path.push(']');
                    return Err(ContextError::WrongType { path, expected: "an object {sku, category, price, qty}" });
                }
                let qty = item.get("qty").and_then(Datum::as_f64).unwrap_or(1.0);
                total += item.get("price").and_then(Datum::as_f64).unwrap_or(0.0) * qty;
                count += qty;
            }
        }
        for (slot, value) in [(self.known.cart_total, total), (self.known.cart_count, count)] {
            if let Some(target) = slot.and_then(|s| slots.get_mut(usize::from(s))) {
                if target.is_null() {
                    *target = Datum::Num(value);
                }
            }
        }
        Ok(())
    }

    /// The derived facts for this visitor at `now_ms` (only those the bundle uses
    /// are filled; the others stay null).
    pub fn derive<'s>(&self, state: &'s VisitorState, now_ms: i64) -> [Datum<'s>; DERIVED_PATHS.len()] {
        let mut derived: [Datum<'s>; DERIVED_PATHS.len()] = Default::default();
        if self.derived_used == 0 {
            return derived;
        }
        let text = |s: &'s Option<String>| s.as_deref().map_or(Datum::Null, Datum::str);
        let session = &state.session;
        let facts: [Datum<'s>; 13] = [
            text(&session.ref_host),
            text(&session.utm.source),
            text(&session.utm.medium),
            text(&session.utm.campaign),
            text(&session.utm.term),
            text(&session.utm.content),
            Datum::Num((now_ms.saturating_sub(session.start_ms).max(0) / 1000) as f64),
            Datum::Num(f64::from(session.pages)),
            Datum::str(&state.id),
            Datum::Num(f64::from(state.visits)),
            Datum::Bool(state.visits > 1),
            state
                .prev_ms
                .map_or(Datum::Null, |prev| Datum::Num((now_ms.saturating_sub(prev).max(0) / 86_400_000) as f64)),
            Datum::Bool(state.registered),
        ];
        for (slot, fact) in derived.iter_mut().zip(facts) {
            *slot = fact;
        }
        if self.uses_derived(INTERESTS) {
            if let Some(slot) = derived.get_mut(INTERESTS) {
                *slot = Datum::List(state.interests.iter().map(|i| Datum::str(i)).collect());
            }
        }
        derived
    }
}

/// Cuts lists and strings to the context limits, and drops what nests too deep.
fn bound(value: &mut Datum<'_>, depth: usize) {
    if depth >= crate::limits::MAX_CONTEXT_DEPTH {
        if matches!(value, Datum::List(_) | Datum::Map(_)) {
            *value = Datum::Null;
        }
        return;
    }
    match value {
        Datum::Str(text) if text.len() > MAX_CONTEXT_TEXT => {
            let cut = crate::util::floor_char_boundary(text, MAX_CONTEXT_TEXT);
            match text {
                Cow::Borrowed(s) => *s = s.get(..cut).unwrap_or(""),
                Cow::Owned(s) => s.truncate(cut),
            }
        }
        // `depth` is below MAX_CONTEXT_DEPTH here: the increments cannot saturate.
        Datum::List(items) => {
            items.truncate(MAX_CONTEXT_LIST);
            items.iter_mut().for_each(|item| bound(item, depth.saturating_add(1)));
        }
        Datum::Map(entries) => {
            entries.truncate(MAX_CONTEXT_LIST);
            entries.iter_mut().for_each(|(_, item)| bound(item, depth.saturating_add(1)));
        }
        _ => {}
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

    /// A context of given slot values (tests, hosts that build slots themselves).
    pub fn from_slots(schema: &Schema, mut slots: Vec<Datum<'a>>) -> Result<Context<'a>, ContextError> {
        slots.resize(schema.slot_count(), Datum::Null);
        schema.finish(&mut slots)?;
        Ok(Context { slots })
    }
}

mod wire_impls {
    //! Reading the schema from the postcard format (see [`crate::program::wire`]).
    use super::*;
    use crate::program::wire::{wire_struct, wire_unit_enum};

    wire_unit_enum!(Kind { Str, Num, Bool, List });
    wire_struct!(KnownSlots {
        consent_personalization,
        consent_gpc,
        time_hour,
        time_weekday,
        cart_items,
        cart_total,
        cart_count,
        page_type,
    });
    wire_struct!(Schema { paths, kinds, derived_used, known });
}
