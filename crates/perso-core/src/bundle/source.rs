//! The bundle's wire format (version 1): plain serde types that mirror the JSON a
//! marketer publishes, one to one. Nothing here is checked beyond JSON types; the
//! semantic checks (unknown references, duplicate ids, weights, conditions) happen in
//! [`super::compile`], which turns these into the indexed, ready-to-evaluate
//! [`super::CompiledBundle`]. Keeping the two apart (flipt's `source` vs `snapshot`)
//! lets the CLI lint the source without compiling, and keeps the hot path free of serde.
//!
//! Unknown fields are rejected: a typo such as `"prority"` must fail loudly rather than
//! silently fall back to a default. A later format adds fields under a new `version`.

use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// The only bundle format this engine reads.
pub const FORMAT_VERSION: u64 = 1;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleSource {
    /// Format version; must equal [`FORMAT_VERSION`].
    pub version: u64,
    /// Publish counter, stamped by `perso publish`; a runtime refuses a bundle whose
    /// serial is lower than the last one it accepted (anti-rollback).
    pub serial: u64,
    /// RFC 3339 instant after which the bundle is stale and must not be used.
    pub expires_at: String,
    #[serde(default)]
    pub issued_at: Option<String>,
    #[serde(default)]
    pub store: Option<String>,
    /// Offset of the store's time zone from UTC, used for schedule hours and weekdays
    /// when the context carries no `time.hour` / `time.weekday`.
    #[serde(default)]
    pub utc_offset_minutes: i32,
    pub placements: Vec<PlacementSource>,
    #[serde(default)]
    pub segments: Vec<SegmentSource>,
    pub campaigns: Vec<CampaignSource>,
    #[serde(default)]
    pub guardrails: GuardrailsSource,
    #[serde(default)]
    pub products: BTreeMap<String, ProductSource>,
    #[serde(default)]
    pub affinity: AffinitySource,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlacementSource {
    pub id: String,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentSource {
    pub id: String,
    #[serde(default)]
    pub description: Option<String>,
    /// A JsonLogic condition; may use `{"segment": "other"}` (no cycles).
    pub condition: Value,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignSource {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    pub placement: String,
    /// Higher wins; ties are broken by the campaign's position in the bundle.
    #[serde(default)]
    pub priority: i64,
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Segment ids that must all match.
    #[serde(default)]
    pub segments: Vec<String>,
    /// A JsonLogic condition that must be truthy.
    #[serde(default)]
    pub condition: Option<Value>,
    #[serde(default)]
    pub schedule: Option<ScheduleSource>,
    #[serde(default)]
    pub caps: CapsSource,
    /// With consent denied (or Global Privacy Control on) the campaign is skipped.
    #[serde(default)]
    pub requires_consent: bool,
    #[serde(default)]
    pub trigger: TriggerSource,
    #[serde(default)]
    pub experiment: Option<ExperimentSource>,
    pub action: ActionSource,
    /// Shopper-facing "why am I seeing this": plain facts, never a segment or tier.
    #[serde(default)]
    pub why: Option<String>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleSource {
    /// RFC 3339 instant (or `YYYY-MM-DD`, midnight UTC) from which the campaign runs.
    #[serde(default)]
    pub start: Option<String>,
    /// RFC 3339 instant (or `YYYY-MM-DD`) at which the campaign stops (exclusive).
    #[serde(default)]
    pub end: Option<String>,
    /// `[from, to)` local hours, 0-24; `from > to` wraps past midnight (`[22, 6]`).
    #[serde(default)]
    pub hours: Option<[u8; 2]>,
    /// ISO weekdays the campaign runs on, 1 = Monday .. 7 = Sunday.
    #[serde(default)]
    pub weekdays: Option<Vec<u8>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapsSource {
    /// Most impressions per session.
    #[serde(default)]
    pub per_session: Option<u32>,
    /// Most impressions per visitor, ever.
    #[serde(default)]
    pub per_visitor: Option<u32>,
    /// Seconds the campaign stays hidden after the shopper dismissed it; defaults to
    /// the guardrails' `dismiss_cooldown_s`.
    #[serde(default)]
    pub cooldown_after_dismiss_s: Option<u64>,
}

/// When a decided action is shown. `now` is the only trigger an edge worker can
/// render; the others are armed by the browser runtime.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, serde::Serialize)]
#[serde(tag = "on", rename_all = "snake_case", deny_unknown_fields)]
pub enum TriggerSource {
    #[default]
    Now,
    /// After the page has been open this many seconds.
    Dwell { seconds: u32 },
    /// After this many seconds without input.
    Idle { seconds: u32 },
    /// Once the shopper scrolled this far down the page (percent).
    Scroll { percent: u8 },
    /// When the pointer leaves towards the top (desktop) or a fast upward scroll (mobile).
    ExitIntent,
    /// When an item is added to the cart on this page.
    AddToCart,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExperimentSource {
    /// Salt of the bucketing key (default: the campaign id). The bucket of a visitor is
    /// flagd's `fractional` over `salt + visitor_id`.
    #[serde(default)]
    pub salt: Option<String>,
    pub variants: Vec<VariantSource>,
    /// Relative weight of the holdout (shown nothing from this campaign), on the same
    /// scale as the variants' weights.
    #[serde(default)]
    pub holdout: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariantSource {
    pub id: String,
    /// Relative weight (as in flagd: `[["a", 1], ["b", 3]]` gives 25% / 75%).
    #[serde(default = "one")]
    pub weight: i64,
    /// Replaces the campaign's action for this variant; absent = the campaign's action.
    #[serde(default)]
    pub action: Option<ActionSource>,
}

fn one() -> i64 {
    1
}

#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ActionSource {
    Banner(BannerSource),
    Offer(OfferSource),
    Recommend(RecommendSource),
    Welcome(WelcomeSource),
    Register(RegisterSource),
    Chat(ChatSource),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkSource {
    pub label: String,
    /// `http(s)://` or a path starting with `/`.
    pub url: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BannerSource {
    pub title: String,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub image: Option<String>,
    #[serde(default)]
    pub cta: Option<LinkSource>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OfferDisplay {
    #[default]
    Toast,
    Modal,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfferSource {
    pub title: String,
    #[serde(default)]
    pub body: Option<String>,
    /// The code the shopper enters at checkout.
    #[serde(default)]
    pub code: Option<String>,
    /// The store issues a single-use code per shopper (the code above is a prefix).
    #[serde(default)]
    pub single_use: bool,
    #[serde(default)]
    pub display: OfferDisplay,
    /// How long the offer stays valid after it is first shown.
    #[serde(default)]
    pub expires_in_s: Option<u64>,
    #[serde(default)]
    pub terms: Option<String>,
    /// The condition the store's checkout re-checks (with the same engine) against
    /// facts its server knows; absent = the campaign's own condition.
    #[serde(default)]
    pub eligibility: Option<Value>,
    #[serde(default)]
    pub cta: Option<LinkSource>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecommendSource {
    pub title: String,
    /// How many products to show (top k).
    #[serde(default = "four")]
    pub count: u8,
    /// Skus shown when the cart and interests give nothing to go on.
    #[serde(default)]
    pub fallback: Vec<String>,
}

fn four() -> u8 {
    4
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WelcomeSource {
    /// Text with `{context.path}` fields, e.g. `"Welcome back, {customer.first_name}!"`.
    /// If a field is missing the greeting is dropped (never "Hello, undefined").
    pub template: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuestionSource {
    pub id: String,
    pub label: String,
    pub options: Vec<ChoiceSource>,
    #[serde(default)]
    pub multiple: bool,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct ChoiceSource {
    /// Stored in `visitor.interests` when chosen (e.g. a category id).
    pub value: String,
    pub label: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterSource {
    pub title: String,
    #[serde(default)]
    pub body: Option<String>,
    pub questions: Vec<QuestionSource>,
    #[serde(default = "submit")]
    pub submit_label: String,
    /// The reward revealed after the answers are saved (e.g. a free-shipping code).
    #[serde(default)]
    pub reward: Option<RewardSource>,
}

fn submit() -> String {
    "Save".to_owned()
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct RewardSource {
    pub text: String,
    #[serde(default)]
    pub code: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatSource {
    /// Opening line the store's chat widget may show.
    #[serde(default)]
    pub message: Option<String>,
    /// Free-form topic for the chat widget's routing (e.g. "checkout-help").
    #[serde(default)]
    pub topic: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuardrailsSource {
    /// Interruptions (offers, registration prompts, chat triggers) per session.
    #[serde(default = "three")]
    pub max_interruptions_per_session: u32,
    /// Seconds between two interruptions.
    #[serde(default = "sixty")]
    pub min_gap_between_interruptions_s: u64,
    /// Default hide time after a dismissal (30 days).
    #[serde(default = "thirty_days")]
    pub dismiss_cooldown_s: u64,
}

impl Default for GuardrailsSource {
    fn default() -> Self {
        GuardrailsSource {
            max_interruptions_per_session: three(),
            min_gap_between_interruptions_s: sixty(),
            dismiss_cooldown_s: thirty_days(),
        }
    }
}

fn three() -> u32 {
    3
}
fn sixty() -> u64 {
    60
}
fn thirty_days() -> u64 {
    30 * 24 * 3600
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductSource {
    pub name: String,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub price: Option<f64>,
    pub url: String,
    #[serde(default)]
    pub image: Option<String>,
}

/// Cross-sell table: for an item (sku) or a category, the related skus with a score
/// (higher is better), as computed by `perso profiles` from the order history.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AffinitySource {
    #[serde(default)]
    pub items: BTreeMap<String, Vec<(String, f64)>>,
    #[serde(default)]
    pub categories: BTreeMap<String, Vec<(String, f64)>>,
}
