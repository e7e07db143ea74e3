//! Bundles: the wire format ([`source`]), and the compiled form the engine decides
//! with ([`CompiledBundle`], built by [`compile`]).
//!
//! Invariants of a [`CompiledBundle`]: every reference (placement, segment, product)
//! resolves; segment references are acyclic; each placement's campaigns are sorted
//! by priority (highest first), ties by bundle order; every condition is compiled
//! with its context paths interned into slots of the bundle's [`Schema`].

pub mod compile;
mod read;
pub mod source;

use crate::context::Schema;
use crate::logic::Expr;
use source::{OfferDisplay, RewardSource, TriggerSource};
use std::collections::HashMap;

pub use compile::compile;

/// Bounds on what a bundle may hold, so a bad or hostile bundle cannot exhaust the
/// device. Conditions are also bounded in depth and size (see [`crate::logic::compile`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_bytes: usize,
    pub max_campaigns: usize,
    pub max_segments: usize,
    pub max_placements: usize,
    pub max_products: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 8 << 20,
            max_campaigns: 20_000,
            max_segments: 2_000,
            max_placements: 64,
            max_products: 50_000,
        }
    }
}

/// Why a bundle was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BundleError {
    /// Larger than [`Limits::max_bytes`]; not parsed at all.
    #[error("the bundle is {size} bytes, over the limit of {limit} bytes")]
    TooLarge { size: usize, limit: usize },
    /// Not JSON, or a field of the wrong JSON type (the first such problem).
    #[error("{path}: {message}")]
    Json { path: String, message: String },
    /// A format version this engine does not read.
    #[error("version: bundle format version {found} is not supported (this engine reads version 1)")]
    UnsupportedVersion { found: u64 },
    /// Well-formed JSON that breaks the format's rules: every problem found.
    #[error("{} problem(s) in the bundle: {}", .0.len(), .0.iter().map(|i| i.to_string()).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<BundleIssue>),
}

impl BundleError {
    /// JSON path of the (first) problem, when there is one.
    pub fn path(&self) -> Option<&str> {
        match self {
            BundleError::Json { path, .. } => Some(path),
            BundleError::UnsupportedVersion { .. } => Some("version"),
            BundleError::Invalid(issues) => issues.first().map(|i| i.path.as_str()),
            BundleError::TooLarge { .. } => None,
        }
    }

    pub fn issues(&self) -> &[BundleIssue] {
        match self {
            BundleError::Invalid(issues) => issues,
            _ => &[],
        }
    }
}

/// One problem, at a JSON path such as `campaigns[3].condition.and[1]`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{path}: {problem}")]
pub struct BundleIssue {
    pub path: String,
    pub problem: Problem,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Problem {
    #[error("must be {expected}, found {found}")]
    WrongType { expected: &'static str, found: &'static str },
    #[error("is required")]
    Missing,
    #[error("unknown field{}", .suggestion.as_ref().map(|s| format!(" (did you mean \"{s}\"?)")).unwrap_or_default())]
    UnknownField { suggestion: Option<String> },
    #[error("must be between {min} and {max}")]
    NumberRange { min: i64, max: i64 },
    #[error("\"{found}\" is not one of: {expected}")]
    UnknownKind { found: String, expected: &'static str },
    #[error("unknown placement \"{0}\"")]
    UnknownPlacement(String),
    #[error("unknown segment \"{0}\"")]
    UnknownSegment(String),
    #[error("unknown product \"{0}\"")]
    UnknownProduct(String),
    #[error("duplicate {kind} id \"{id}\"")]
    DuplicateId { kind: &'static str, id: String },
    #[error("must not be empty")]
    Empty,
    #[error("{0}")]
    Condition(crate::logic::LogicProblem),
    #[error("segments refer to each other in a cycle: {0}")]
    SegmentCycle(String),
    #[error("\"{0}\" is not an RFC 3339 date-time (e.g. 2026-12-01T00:00:00Z) or date (2026-12-01)")]
    BadTime(String),
    #[error("the schedule ends before it starts")]
    EmptySchedule,
    #[error("{0}")]
    OutOfRange(&'static str),
    #[error("weight must not be negative")]
    NegativeWeight,
    #[error("weights are all zero: no visitor could be bucketed (weights are relative, as in flagd)")]
    AllZeroWeights,
    #[error("\"{0}\" is not an http(s) URL or a path starting with /")]
    BadUrl(String),
    #[error("template field {0}")]
    BadTemplate(String),
    #[error("more than {limit} {what}")]
    TooMany { what: &'static str, limit: usize },
}

#[derive(Debug)]
pub struct CompiledBundle {
    pub serial: u64,
    pub expires_at_ms: i64,
    pub utc_offset_minutes: i32,
    pub placements: Vec<CompiledPlacement>,
    pub segments: Vec<CompiledSegment>,
    pub campaigns: Vec<CompiledCampaign>,
    pub schema: Schema,
    pub guardrails: Guardrails,
    pub products: Vec<crate::decision::Product>,
    pub product_categories: Vec<Option<String>>,
    pub product_index: HashMap<String, u32>,
    pub affinity_items: HashMap<String, Vec<(u32, f64)>>,
    pub affinity_categories: HashMap<String, Vec<(u32, f64)>>,
    /// `session.time_on_site_s` thresholds conditions test: a host re-decides when
    /// the visitor crosses one.
    pub time_on_site_thresholds: Vec<u32>,
    /// Non-fatal findings (e.g. an affinity entry naming no product): skipped, not refused.
    pub warnings: Vec<BundleIssue>,
    /// Campaign index by id, to find a visitor's records once per decision.
    pub campaign_index: HashMap<String, u32>,
    /// Slots the engine itself reads (consent, local time, cart lines).
    pub known: KnownSlots,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct KnownSlots {
    pub consent_personalization: Option<u16>,
    pub consent_gpc: Option<u16>,
    pub time_hour: Option<u16>,
    pub time_weekday: Option<u16>,
    pub cart_items: Option<u16>,
    pub interests: Option<u8>,
}

#[derive(Debug)]
pub struct CompiledPlacement {
    pub id: String,
    /// Campaign indices, highest priority first.
    pub campaigns: Vec<u32>,
}

#[derive(Debug)]
pub struct CompiledSegment {
    pub id: String,
    pub condition: Expr,
    pub source: serde_json::Value,
    pub path: String,
}

#[derive(Debug, Clone, Copy)]
pub struct Guardrails {
    pub max_interruptions_per_session: u32,
    pub min_gap_ms: i64,
    pub dismiss_cooldown_ms: i64,
}

#[derive(Debug)]
pub struct Schedule {
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
    pub hours: Option<(u8, u8)>,
    /// Bit `d` set = ISO weekday `d` (1..=7) allowed.
    pub weekdays: Option<u8>,
}

#[derive(Debug)]
pub struct Caps {
    pub per_session: Option<u32>,
    pub per_visitor: Option<u32>,
    pub dismiss_cooldown_ms: i64,
}

#[derive(Debug)]
pub struct Experiment {
    pub salt: String,
    pub variants: Vec<Variant>,
    pub holdout: i64,
}

#[derive(Debug)]
pub struct Variant {
    pub id: String,
    pub weight: i64,
    pub action: Option<ActionTemplate>,
}

#[derive(Debug)]
pub struct CompiledCampaign {
    pub id: String,
    pub placement: u16,
    pub priority: i64,
    pub enabled: bool,
    pub segments: Vec<u16>,
    pub condition: Option<Expr>,
    pub condition_source: Option<serde_json::Value>,
    pub path: String,
    pub schedule: Option<Schedule>,
    pub caps: Caps,
    pub requires_consent: bool,
    pub trigger: TriggerSource,
    pub experiment: Option<Experiment>,
    pub action: ActionTemplate,
    pub interruption: bool,
    pub why: String,
    /// The checkout's re-check of an offer (its own eligibility, else the campaign's rules).
    pub eligibility: Option<Expr>,
    /// Slots that must be truthy for the segments and condition to hold (a bit each).
    pub required: u64,
}

/// An action with its text ready and its computed parts (greeting fields, product
/// picks) resolved to slots and indices.
#[derive(Debug, Clone)]
pub enum ActionTemplate {
    Banner {
        title: String,
        body: Option<String>,
        image: Option<String>,
        cta: Option<crate::decision::Link>,
    },
    Offer {
        title: String,
        body: Option<String>,
        code: Option<String>,
        single_use: bool,
        display: OfferDisplay,
        expires_in_s: Option<u64>,
        terms: Option<String>,
        cta: Option<crate::decision::Link>,
    },
    Recommend {
        title: String,
        count: usize,
        fallback: Vec<u32>,
    },
    Welcome {
        parts: Vec<TemplatePart>,
    },
    Register {
        title: String,
        body: Option<String>,
        questions: Vec<crate::decision::Question>,
        submit_label: String,
        reward: Option<RewardSource>,
    },
    Chat {
        message: Option<String>,
        topic: Option<String>,
    },
}

impl ActionTemplate {
    /// Offers, registration prompts and chat triggers interrupt the shopper.
    pub fn interrupts(&self) -> bool {
        matches!(self, ActionTemplate::Offer { .. } | ActionTemplate::Register { .. } | ActionTemplate::Chat { .. })
    }
}

#[derive(Debug, Clone)]
pub enum TemplatePart {
    Text(String),
    Field(crate::logic::compile::VarPath),
}
