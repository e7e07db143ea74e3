//! The compiled bundle: what the engine decides with, as the compiler
//! ([`crate::bundle::compile`]) writes it and every host loads it.
//!
//! A [`Program`] is plain data: conditions as one node arena ([`Logic`]), context
//! paths interned into slots ([`Schema`]), campaigns indexed by placement in priority
//! order, products and cross-sell tables resolved to indices, and lookup tables
//! sorted for binary search (no hashing at load or on the decision path). It is
//! written to the compact binary form by [`codec`] and read back with every index
//! checked ([`Program::validate`]), so a host needs no JSON parser and no validator
//! beyond that check. What only hosts show (titles, texts, links: the action
//! payloads) is not in here: it travels beside it as the host section
//! ([`crate::host::HostView`]), written by the same compiler.

pub mod codec;
pub mod wire;

use crate::context::Schema;
use crate::logic::ir::{ArenaFault, Logic, NodeId, VarPath};
use crate::vocab::Trigger;
use alloc::boxed::Box;
use alloc::vec::Vec;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Program {
    pub serial: u64,
    pub expires_at_ms: i64,
    pub issued_at_ms: Option<i64>,
    pub utc_offset_minutes: i32,
    pub logic: Logic,
    pub schema: Schema,
    pub placements: Vec<Placement>,
    pub segments: Vec<Segment>,
    pub campaigns: Vec<Campaign>,
    /// Campaign indices in order of their ids, to find a visitor's records by id.
    pub campaigns_by_id: Vec<u32>,
    pub guardrails: Guardrails,
    /// Products in order of their skus (binary search by sku).
    pub products: Vec<ProductKey>,
    /// Category names, sorted.
    pub categories: Vec<Box<str>>,
    /// Cross-sell: per product index, related product indices with scores.
    pub affinity_items: Vec<Vec<(u32, f64)>>,
    /// Cross-sell: per category index, related product indices with scores.
    pub affinity_categories: Vec<Vec<(u32, f64)>>,
    /// `session.time_on_site_s` thresholds conditions test: a host re-decides when
    /// the visitor crosses one.
    pub time_on_site_thresholds: Vec<u32>,
    pub page_types: Vec<PageTypeRule>,
    pub holdout: Option<GlobalHoldout>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Placement {
    /// Campaign indices, highest priority first (ties: bundle order).
    pub campaigns: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Segment {
    pub id: Box<str>,
    pub condition: NodeId,
    /// Slots that must be truthy for the segment to match (a bit each, first 64).
    pub required: u64,
    /// Estimated cost of the condition (see [`crate::logic::cost`]).
    pub cost: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Guardrails {
    pub max_interruptions_per_session: u32,
    pub min_gap_ms: i64,
    pub dismiss_cooldown_ms: i64,
    /// Page types where interruptions stay off (`page.type` is then always a slot).
    pub quiet_pages: Vec<Box<str>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Schedule {
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
    pub hours: Option<(u8, u8)>,
    /// Bit `d` set = ISO weekday `d` (1..=7) allowed.
    pub weekdays: Option<u8>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Caps {
    pub per_session: Option<u32>,
    pub per_visitor: Option<u32>,
    pub dismiss_cooldown_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Experiment {
    pub salt: Box<str>,
    pub variants: Vec<Variant>,
    pub holdout: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Variant {
    pub id: Box<str>,
    pub weight: i64,
    /// What the engine computes for this variant's own action, if it has one.
    pub computed: Option<Computed>,
}

/// The part of an action the engine computes; everything else is the host's payload.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Computed {
    /// Shown as written (banner, offer, registration prompt, chat trigger).
    Nothing,
    /// Top-k cross-sell; `fallback` are product indices.
    Recommend { count: u8, fallback: Vec<u32> },
    /// A greeting filled from the context; dropped if a field is missing.
    Welcome { parts: Vec<TemplatePart> },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum TemplatePart {
    Text(Box<str>),
    Field(VarPath),
}

/// A registration prompt's questions, to accept only answers the bundle offers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuestionKey {
    pub id: Box<str>,
    pub multiple: bool,
    pub values: Vec<Box<str>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Campaign {
    pub id: Box<str>,
    pub placement: u16,
    pub priority: i64,
    pub enabled: bool,
    pub segments: Vec<u16>,
    pub condition: Option<NodeId>,
    pub schedule: Option<Schedule>,
    pub caps: Caps,
    pub requires_consent: bool,
    /// (Positional in the binary form: postcard has no tagged enums.)
    #[serde(serialize_with = "trigger_codec::serialize")]
    pub trigger: Trigger,
    pub experiment: Option<Experiment>,
    pub computed: Computed,
    /// Offers, registration prompts and chat triggers interrupt the shopper.
    pub interruption: bool,
    /// The kind of action (banner, offer, ...), for hosts' rendering rules.
    pub kind: ActionKind,
    /// The checkout's re-check of an offer (its own eligibility, else the campaign's rules).
    pub eligibility: Option<NodeId>,
    /// Slots that must be truthy for the segments and condition to hold (a bit each).
    pub required: u64,
    /// Estimated cost of the condition and eligibility.
    pub cost: u64,
    /// A registration prompt's questions (empty for other kinds).
    pub questions: Vec<QuestionKey>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ActionKind {
    Banner,
    Offer,
    Recommend,
    Welcome,
    Register,
    Chat,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProductKey {
    pub sku: Box<str>,
    /// Index into [`Program::categories`].
    pub category: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum PageMatch {
    Path(Box<str>),
    Segment(Box<str>),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PageTypeRule {
    pub matcher: PageMatch,
    pub page_type: Box<str>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GlobalHoldout {
    pub salt: Box<str>,
    /// Held-out share in basis points of a percent (percent × 100), 0..=10,000.
    pub basis_points: u32,
}

/// Why a decoded program cannot be used: the section and record at fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgramFault {
    Arena(ArenaFault),
    /// A campaign refers to a placement, segment, node or product that does not exist.
    Campaign {
        index: u32,
    },
    Segment {
        index: u32,
    },
    Placement {
        index: u32,
    },
    Product {
        index: u32,
    },
    /// A lookup table is not sorted or not a permutation.
    Index {
        table: &'static str,
    },
    /// More of something than [`crate::limits`] allows.
    TooMany {
        what: &'static str,
    },
    /// A condition's estimated cost is over [`crate::limits::MAX_CONDITION_COST`].
    TooCostly {
        campaign: u32,
        node: u32,
    },
    /// A serial above [`crate::limits::MAX_SERIAL`].
    Serial,
}

impl Program {
    pub fn campaign(&self, index: u32) -> Option<&Campaign> {
        self.campaigns.get(index as usize)
    }

    /// The campaign with this id.
    pub fn campaign_index(&self, id: &str) -> Option<u32> {
        let at = self.campaigns_by_id.binary_search_by(|i| self.campaign(*i).map_or("", |c| &*c.id).cmp(id)).ok()?;
        self.campaigns_by_id.get(at).copied()
    }

    pub fn product_index(&self, sku: &str) -> Option<u32> {
        self.products.binary_search_by(|p| (*p.sku).cmp(sku)).ok().map(|i| i as u32)
    }

    pub fn category_index(&self, category: &str) -> Option<u32> {
        self.categories.binary_search_by(|c| (**c).cmp(category)).ok().map(|i| i as u32)
    }

    /// Checks every index a loaded program holds, so deciding can trust them (never a
    /// trap, never a wrong record). The compiler's own output always passes; a corrupt
    /// or hand-made binary does not. Costs are not re-estimated here (see
    /// [`Program::check_costs`]).
    pub fn validate(&self) -> Result<(), ProgramFault> {
        use crate::limits::*;
        let too_many = |what: &'static str| Err(ProgramFault::TooMany { what });
        if self.campaigns.len() > MAX_CAMPAIGNS {
            return too_many("campaigns");
        }
        if self.segments.len() > MAX_SEGMENTS {
            return too_many("segments");
        }
        if self.placements.len() > MAX_PLACEMENTS {
            return too_many("placements");
        }
        if self.products.len() > MAX_PRODUCTS {
            return too_many("products");
        }
        if self.serial > MAX_SERIAL {
            return Err(ProgramFault::Serial);
        }
        self.schema.validate().map_err(|_| ProgramFault::Index { table: "schema" })?;
        self.logic.validate(self.schema.slot_count(), self.segments.len()).map_err(ProgramFault::Arena)?;
        let nodes = self.logic.nodes.len() as u32;
        let products = self.products.len() as u32;
        let node_ok = |id: &NodeId| id.0 < nodes;
        for (index, segment) in self.segments.iter().enumerate() {
            if !node_ok(&segment.condition) {
                return Err(ProgramFault::Segment { index: index as u32 });
            }
        }
        for (index, campaign) in self.campaigns.iter().enumerate() {
            let fault = Err(ProgramFault::Campaign { index: index as u32 });
            if usize::from(campaign.placement) >= self.placements.len()
                || campaign.segments.iter().any(|s| usize::from(*s) >= self.segments.len())
                || !campaign.condition.iter().chain(campaign.eligibility.iter()).all(node_ok)
            {
                return fault;
            }
            let computed_ok = |c: &Computed| match c {
                Computed::Nothing => true,
                Computed::Recommend { count, fallback } => {
                    (1..=24).contains(count) && fallback.iter().all(|p| *p < products)
                }
                Computed::Welcome { parts } => parts.iter().all(|part| match part {
                    TemplatePart::Text(_) => true,
                    TemplatePart::Field(VarPath::Slot(s)) => usize::from(*s) < self.schema.slot_count(),
                    TemplatePart::Field(VarPath::Derived(d)) => usize::from(*d) < crate::context::DERIVED_PATHS.len(),
                    TemplatePart::Field(_) => false,
                }),
            };
            let variants_ok = campaign
                .experiment
                .as_ref()
                .is_none_or(|e| e.variants.iter().all(|v| v.computed.as_ref().is_none_or(computed_ok)));
            if !computed_ok(&campaign.computed) || !variants_ok {
                return fault;
            }
        }
        for (index, placement) in self.placements.iter().enumerate() {
            let owned = placement
                .campaigns
                .iter()
                .all(|c| self.campaign(*c).is_some_and(|campaign| usize::from(campaign.placement) == index));
            if !owned {
                return Err(ProgramFault::Placement { index: index as u32 });
            }
        }
        // campaigns_by_id: a permutation, sorted by id.
        if self.campaigns_by_id.len() != self.campaigns.len() {
            return Err(ProgramFault::Index { table: "campaigns_by_id" });
        }
        let mut seen = alloc::vec![false; self.campaigns.len()];
        let mut previous: Option<&str> = None;
        for index in &self.campaigns_by_id {
            let Some(flag) = seen.get_mut(*index as usize) else {
                return Err(ProgramFault::Index { table: "campaigns_by_id" });
            };
            let id = self.campaign(*index).map_or("", |c| &*c.id);
            if *flag || previous.is_some_and(|p| p >= id) {
                return Err(ProgramFault::Index { table: "campaigns_by_id" });
            }
            *flag = true;
            previous = Some(id);
        }
        fn sorted<'n>(names: impl Iterator<Item = &'n str>) -> bool {
            let mut last: Option<&str> = None;
            let mut names = names;
            names.all(|name| {
                let ok = last.is_none_or(|l| l < name);
                last = Some(name);
                ok
            })
        }
        if !sorted(self.products.iter().map(|p| &*p.sku)) {
            return Err(ProgramFault::Index { table: "products" });
        }
        if !sorted(self.categories.iter().map(|c| &**c)) {
            return Err(ProgramFault::Index { table: "categories" });
        }
        let categories = self.categories.len() as u32;
        for (index, product) in self.products.iter().enumerate() {
            if product.category.is_some_and(|c| c >= categories) {
                return Err(ProgramFault::Product { index: index as u32 });
            }
        }
        let table_ok = |table: &[Vec<(u32, f64)>], len: usize| {
            table.len() == len
                && table.iter().all(|row| row.iter().all(|(p, score)| *p < products && score.is_finite()))
        };
        if !table_ok(&self.affinity_items, self.products.len()) {
            return Err(ProgramFault::Index { table: "affinity_items" });
        }
        if !table_ok(&self.affinity_categories, self.categories.len()) {
            return Err(ProgramFault::Index { table: "affinity_categories" });
        }
        if self.holdout.as_ref().is_some_and(|h| h.basis_points > 10_000) {
            return Err(ProgramFault::Index { table: "holdout" });
        }
        Ok(())
    }

    /// Re-estimates every condition's cost, as the compiler did. Loading does not run
    /// it: a compiled bundle is the compiler's signed output, which refused costly
    /// conditions, and the run-time budget bounds what any condition can cost anyway
    /// (a hand-made binary only gets its campaigns excluded). Tools run it to audit a
    /// binary bundle (`perso verify`).
    pub fn check_costs(&self) -> Result<(), ProgramFault> {
        use crate::limits::MAX_CONDITION_COST;
        use crate::logic::cost::Estimator;
        let slot_size = |slot: u16| self.schema.slot_size(slot);
        // Segments in index order (a forward reference counts as free here; its own
        // estimate is still checked, and the run-time budget bounds the rest).
        let mut estimator = Estimator::new(&self.logic, &slot_size, Vec::new(), MAX_CONDITION_COST);
        for (index, segment) in self.segments.iter().enumerate() {
            let cost = estimator
                .estimate(segment.condition)
                .map_err(|e| ProgramFault::TooCostly { campaign: u32::MAX, node: e.node.0 })?;
            estimator.set_segment_cost(index, cost.cost);
        }
        for (index, campaign) in self.campaigns.iter().enumerate() {
            for root in campaign.condition.iter().chain(campaign.eligibility.iter()) {
                estimator
                    .estimate(*root)
                    .map_err(|e| ProgramFault::TooCostly { campaign: index as u32, node: e.node.0 })?;
            }
        }
        Ok(())
    }
}

/// [`Trigger`] as `(kind, argument)`: the JSON form is internally tagged, which a
/// positional format cannot read.
mod trigger_codec {
    use super::Trigger;
    use serde::{Serialize, Serializer};

    pub fn serialize<S: Serializer>(trigger: &Trigger, serializer: S) -> Result<S::Ok, S::Error> {
        let pair: (u8, u32) = match trigger {
            Trigger::Now => (0, 0),
            Trigger::Dwell { seconds } => (1, *seconds),
            Trigger::Idle { seconds } => (2, *seconds),
            Trigger::Scroll { percent } => (3, u32::from(*percent)),
            Trigger::ExitIntent => (4, 0),
            Trigger::AddToCart => (5, 0),
        };
        pair.serialize(serializer)
    }

    pub fn from_pair(kind: u8, argument: u32) -> Option<Trigger> {
        Some(match kind {
            0 => Trigger::Now,
            1 => Trigger::Dwell { seconds: argument },
            2 => Trigger::Idle { seconds: argument },
            3 => Trigger::Scroll { percent: u8::try_from(argument).unwrap_or(u8::MAX).min(100) },
            4 => Trigger::ExitIntent,
            5 => Trigger::AddToCart,
            _ => return None,
        })
    }
}

mod wire_impls {
    //! Reading the program from the postcard format (see [`super::wire`]): fields and
    //! variants in declaration order, as postcard writes them.
    use super::*;
    use crate::program::wire::{wire_struct, wire_unit_enum, Reader, Wire};

    wire_struct!(Program {
        serial,
        expires_at_ms,
        issued_at_ms,
        utc_offset_minutes,
        logic,
        schema,
        placements,
        segments,
        campaigns,
        campaigns_by_id,
        guardrails,
        products,
        categories,
        affinity_items,
        affinity_categories,
        time_on_site_thresholds,
        page_types,
        holdout,
    });
    wire_struct!(Placement { campaigns });
    wire_struct!(Segment { id, condition, required, cost });
    wire_struct!(Guardrails { max_interruptions_per_session, min_gap_ms, dismiss_cooldown_ms, quiet_pages });
    wire_struct!(Schedule { start_ms, end_ms, hours, weekdays });
    wire_struct!(Caps { per_session, per_visitor, dismiss_cooldown_ms });
    wire_struct!(Experiment { salt, variants, holdout });
    wire_struct!(Variant { id, weight, computed });
    wire_struct!(QuestionKey { id, multiple, values });
    wire_struct!(ProductKey { sku, category });
    wire_struct!(PageTypeRule { matcher, page_type });
    wire_struct!(GlobalHoldout { salt, basis_points });
    wire_unit_enum!(ActionKind { Banner, Offer, Recommend, Welcome, Register, Chat });

    impl Wire for Computed {
        fn read(r: &mut Reader<'_>) -> Option<Computed> {
            Some(match r.variant()? {
                0 => Computed::Nothing,
                1 => Computed::Recommend { count: r.byte()?, fallback: Wire::read(r)? },
                2 => Computed::Welcome { parts: Wire::read(r)? },
                _ => return None,
            })
        }
    }

    impl Wire for TemplatePart {
        fn read(r: &mut Reader<'_>) -> Option<TemplatePart> {
            Some(match r.variant()? {
                0 => TemplatePart::Text(Wire::read(r)?),
                1 => TemplatePart::Field(Wire::read(r)?),
                _ => return None,
            })
        }
    }

    impl Wire for PageMatch {
        fn read(r: &mut Reader<'_>) -> Option<PageMatch> {
            Some(match r.variant()? {
                0 => PageMatch::Path(Wire::read(r)?),
                1 => PageMatch::Segment(Wire::read(r)?),
                _ => return None,
            })
        }
    }

    impl Wire for Campaign {
        fn read(r: &mut Reader<'_>) -> Option<Campaign> {
            Some(Campaign {
                id: Wire::read(r)?,
                placement: Wire::read(r)?,
                priority: Wire::read(r)?,
                enabled: Wire::read(r)?,
                segments: Wire::read(r)?,
                condition: Wire::read(r)?,
                schedule: Wire::read(r)?,
                caps: Wire::read(r)?,
                requires_consent: Wire::read(r)?,
                // `trigger_codec`: (kind u8, argument u32).
                trigger: super::trigger_codec::from_pair(r.byte()?, r.u32()?)?,
                experiment: Wire::read(r)?,
                computed: Wire::read(r)?,
                interruption: Wire::read(r)?,
                kind: Wire::read(r)?,
                eligibility: Wire::read(r)?,
                required: Wire::read(r)?,
                cost: Wire::read(r)?,
                questions: Wire::read(r)?,
            })
        }
    }
}
