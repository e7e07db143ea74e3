//! What [`crate::Engine::decide`] returns: per placement, the winning campaign and the
//! action rendered into plain data (templates filled, recommendations computed). This
//! is the render plan: the browser runtime applies it with the DOM, the edge worker
//! with an HTML rewriter. It carries no segment names, tiers or inferred interests,
//! so a host may show any field of it to the shopper.

use crate::vocab::{Banner, Chat, Offer, Register, Trigger};
pub use crate::vocab::{Link, Product, Question};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    /// Serial of the bundle that decided.
    pub serial: u64,
    /// One entry per placement that shows something, in the bundle's placement order.
    pub placements: Vec<Placed>,
    /// Campaigns whose experiment held this visitor out (they would have won):
    /// a host may log them as control exposures.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub holdouts: Vec<String>,
    /// When a campaign held back only by time (the gap between interruptions, a
    /// schedule not yet started) may become eligible: a host re-decides then.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recheck_at_ms: Option<i64>,
    /// With a bundle-level holdout: `"holdout"` (this visitor sees the page's
    /// defaults everywhere) or `"personalized"` — an exposure a host may report.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub global_holdout: Option<&'static str>,
    /// Campaigns excluded because their condition ran out of its run-time budget
    /// (a costly bundle); the rest of the page was decided as usual.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub over_budget: Vec<String>,
}

impl Decision {
    pub fn placement(&self, placement: &str) -> Option<&Placed> {
        self.placements.iter().find(|p| p.placement == placement)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Placed {
    pub placement: String,
    pub campaign: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// Offers, registration prompts and chat triggers count against the session's
    /// interruption budget once rendered.
    pub interruption: bool,
    pub trigger: Trigger,
    pub action: Action,
    /// Shopper-facing explanation in plain words.
    pub why: String,
}

/// An action as shown: the marketer's payload unchanged, or with its computed part
/// (recommended products, a filled greeting).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    Banner(Banner),
    Offer(Offer),
    Recommend { title: String, items: Vec<Product> },
    Welcome { text: String },
    Register(Register),
    Chat(Chat),
}

/// What [`crate::Engine::explain`] returns: every campaign, in evaluation order, with
/// why it won, lost or was excluded. For merchants and marketers, not shoppers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    pub serial: u64,
    pub campaigns: Vec<CampaignVerdict>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CampaignVerdict {
    pub campaign: String,
    pub placement: String,
    pub priority: i64,
    #[serde(flatten)]
    pub outcome: Outcome,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// Shown in its placement.
    Won {
        #[serde(skip_serializing_if = "Option::is_none")]
        variant: Option<String>,
    },
    /// Eligible, but a higher-priority campaign took the placement.
    Lost { to: String },
    /// Not eligible for this visitor, for this reason.
    Excluded { reason: Exclusion },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Exclusion {
    Disabled,
    /// Consent denied or Global Privacy Control on, and the campaign requires consent.
    Consent,
    /// Outside the schedule window, hours or weekdays.
    Schedule {
        detail: String,
    },
    /// A segment the campaign requires did not match; `failed` is the deepest
    /// sub-condition found false, as JSON, with its JSON path in the bundle.
    Segment {
        segment: String,
        failed: FailedCondition,
    },
    Condition {
        failed: FailedCondition,
    },
    /// A frequency cap or cooldown.
    Cap {
        detail: String,
    },
    /// The session's interruption budget or the gap between interruptions.
    Guardrail {
        detail: String,
    },
    Holdout,
    /// The visitor is in the bundle's global holdout: nothing is shown anywhere.
    GlobalHoldout,
    /// The condition needed more than `limit` units of work (see docs/bundle-format.md).
    OverBudget {
        limit: u64,
    },
    /// A recommendation with nothing to recommend, or a greeting with a missing field.
    NothingToShow {
        detail: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailedCondition {
    pub path: String,
    pub rule: serde_json::Value,
}
