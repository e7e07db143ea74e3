//! The bundle's wire format (version 1): plain types that mirror the JSON a marketer
//! publishes, one to one, read by [`super::read`] — the one reader every consumer
//! (the engine, the CLI's lints, templates and explain) uses. Nothing here is checked
//! beyond JSON types; the semantic checks (unknown references, duplicate ids,
//! weights, conditions) happen in [`super::compile`]. Defaults are constants beside
//! their fields, and the reader is the only code that applies them.
//!
//! Unknown fields are rejected by the reader: a typo such as `"prority"` must fail
//! loudly rather than silently fall back to a default.

use crate::vocab::{Banner, Benefit, Chat, Link, OfferDisplay, Question, Redeem, Register, Reward, Trigger};
use serde_json::Value;
use std::collections::BTreeMap;

/// The only bundle format this engine reads.
pub const FORMAT_VERSION: u64 = 1;

#[derive(Debug, Clone)]
pub struct BundleSource {
    /// Format version; must equal [`FORMAT_VERSION`].
    pub version: u64,
    /// Publish counter, stamped by `perso publish`; a runtime refuses a bundle whose
    /// serial is lower than the last one it accepted (anti-rollback).
    pub serial: u64,
    /// RFC 3339 instant after which the bundle is stale and must not be used.
    pub expires_at: String,
    pub issued_at: Option<String>,
    pub store: Option<String>,
    /// Offset of the store's time zone from UTC, used for schedule hours and weekdays
    /// when the context carries no `time.hour` / `time.weekday` (default 0).
    pub utc_offset_minutes: i32,
    pub placements: Vec<PlacementSource>,
    pub segments: Vec<SegmentSource>,
    pub campaigns: Vec<CampaignSource>,
    pub guardrails: GuardrailsSource,
    pub products: BTreeMap<String, ProductSource>,
    pub affinity: AffinitySource,
    /// Path rules for `page.type` (default [`DEFAULT_PAGE_TYPES`]).
    pub page_types: Option<Vec<PageTypeRule>>,
    /// A share of visitors kept on the page's defaults everywhere (measurement).
    pub holdout: Option<GlobalHoldoutSource>,
    /// The `custom.*` context paths the bundle reads, with their types (default
    /// none: [`BundleSource::DEFAULT_CONTEXT`]). Declared for the lints, which check
    /// every path a condition reads and every literal compared with it; hosts send
    /// custom values as they are, and the engine does not type-check them.
    pub context: BTreeMap<String, crate::context::Kind>,
}

impl BundleSource {
    /// No custom paths declared.
    pub const DEFAULT_CONTEXT: BTreeMap<String, crate::context::Kind> = BTreeMap::new();
}

/// `{"segment": "products", "type": "product"}`: a path whose first segment is
/// `products` is a product page; `{"path": "/", "type": "home"}`: that exact path.
#[derive(Debug, Clone, PartialEq)]
pub struct PageTypeRule {
    pub matcher: PageMatch,
    pub page_type: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PageMatch {
    /// The whole path, exactly.
    Path(String),
    /// The path's first segment (`/products/x` → `products`), exactly.
    Segment(String),
}

/// The page types a bundle gets unless it lists its own: Shopify-style and common
/// storefront paths. Matching is by exact path or first path segment, never by
/// prefix (`/cartography` is not the cart).
pub const DEFAULT_PAGE_TYPES: &[(&str, &str, &str)] = &[
    ("path", "/", "home"),
    ("path", "/index.html", "home"),
    ("segment", "category", "category"),
    ("segment", "categories", "category"),
    ("segment", "collection", "category"),
    ("segment", "collections", "category"),
    ("segment", "c", "category"),
    ("segment", "product", "product"),
    ("segment", "products", "product"),
    ("segment", "p", "product"),
    ("segment", "item", "product"),
    ("segment", "cart", "cart"),
    ("segment", "basket", "cart"),
    ("segment", "bag", "cart"),
    ("segment", "checkout", "checkout"),
    ("segment", "checkouts", "checkout"),
    ("segment", "login", "account"),
    ("segment", "account", "account"),
    ("segment", "search", "search"),
];

#[derive(Debug, Clone)]
pub struct GlobalHoldoutSource {
    /// Percent of visitors (0-100, may be fractional) who see defaults only.
    pub percent: f64,
    /// Salt of the bucketing key (default [`GlobalHoldoutSource::DEFAULT_SALT`]).
    pub salt: Option<String>,
}

impl GlobalHoldoutSource {
    pub const DEFAULT_SALT: &'static str = "perso_global";
}

#[derive(Debug, Clone)]
pub struct PlacementSource {
    pub id: String,
    pub description: Option<String>,
}

#[derive(Debug, Clone)]
pub struct SegmentSource {
    pub id: String,
    pub description: Option<String>,
    /// A JsonLogic condition; may use `{"segment": "other"}` (no cycles).
    pub condition: Value,
}

#[derive(Debug, Clone)]
pub struct CampaignSource {
    pub id: String,
    pub name: Option<String>,
    pub placement: String,
    /// Higher wins; ties are broken by the campaign's position in the bundle (default 0).
    pub priority: i64,
    /// Default true.
    pub enabled: bool,
    /// Segment ids that must all match.
    pub segments: Vec<String>,
    /// A JsonLogic condition that must be truthy.
    pub condition: Option<Value>,
    pub schedule: Option<ScheduleSource>,
    pub caps: CapsSource,
    /// With consent denied (or Global Privacy Control on) the campaign is skipped.
    pub requires_consent: bool,
    /// Default [`Trigger::Now`].
    pub trigger: Trigger,
    pub experiment: Option<ExperimentSource>,
    pub action: ActionSource,
    /// Shopper-facing "why am I seeing this": plain facts, never a segment or tier.
    pub why: Option<String>,
}

impl CampaignSource {
    pub const WHY_EVERYONE: &'static str = "This is shown to everyone visiting the store.";
    pub const WHY_TARGETED: &'static str = "Based on what you are doing on this site right now.";
}

#[derive(Debug, Clone, Default)]
pub struct ScheduleSource {
    /// RFC 3339 instant (or `YYYY-MM-DD`, midnight UTC) from which the campaign runs.
    pub start: Option<String>,
    /// RFC 3339 instant (or `YYYY-MM-DD`) at which the campaign stops (exclusive).
    pub end: Option<String>,
    /// `[from, to)` local hours, 0-24; `from > to` wraps past midnight (`[22, 6]`).
    pub hours: Option<[u8; 2]>,
    /// ISO weekdays the campaign runs on, 1 = Monday .. 7 = Sunday.
    pub weekdays: Option<Vec<u8>>,
}

#[derive(Debug, Clone, Default)]
pub struct CapsSource {
    /// Most impressions per session.
    pub per_session: Option<u32>,
    /// Most impressions per visitor, ever.
    pub per_visitor: Option<u32>,
    /// Seconds the campaign stays hidden after the shopper dismissed it; defaults to
    /// the guardrails' `dismiss_cooldown_s`.
    pub cooldown_after_dismiss_s: Option<u64>,
}

#[derive(Debug, Clone)]
pub struct ExperimentSource {
    /// Salt of the bucketing key (default: the campaign id). The bucket of a visitor is
    /// flagd's `fractional` over `salt + visitor_id`.
    pub salt: Option<String>,
    pub variants: Vec<VariantSource>,
    /// Relative weight of the holdout (shown nothing from this campaign), on the same
    /// scale as the variants' weights (default 0).
    pub holdout: i64,
}

#[derive(Debug, Clone)]
pub struct VariantSource {
    pub id: String,
    /// Relative weight (as in flagd: `[["a", 1], ["b", 3]]` gives 25% / 75%); default 1.
    pub weight: i64,
    /// Replaces the campaign's action for this variant; absent = the campaign's action.
    pub action: Option<ActionSource>,
}

impl VariantSource {
    pub const DEFAULT_WEIGHT: i64 = 1;
}

#[derive(Debug, Clone)]
pub enum ActionSource {
    Banner(Banner),
    Offer(OfferSource),
    Recommend(RecommendSource),
    Welcome(WelcomeSource),
    Register(RegisterSource),
    Chat(Chat),
}

impl ActionSource {
    pub fn kind(&self) -> &'static str {
        match self {
            ActionSource::Banner(_) => "banner",
            ActionSource::Offer(_) => "offer",
            ActionSource::Recommend(_) => "recommend",
            ActionSource::Welcome(_) => "welcome",
            ActionSource::Register(_) => "register",
            ActionSource::Chat(_) => "chat",
        }
    }

    /// Offers, registration prompts and chat triggers interrupt the shopper.
    pub fn interrupts(&self) -> bool {
        matches!(self, ActionSource::Offer(_) | ActionSource::Register(_) | ActionSource::Chat(_))
    }

    /// What a shopper can redeem of this action (an offer, or a registration
    /// prompt's reward): how, and the eligibility the checkout re-checks (`None`:
    /// the offer's campaign rules; for a reward, nothing beyond the claim).
    pub fn redeemable(&self) -> Option<Redeemable<'_>> {
        match self {
            ActionSource::Offer(o) => Some(Redeemable {
                redeem: o.shown.redeem,
                code: o.shown.code.as_deref(),
                benefit: o.shown.benefit.as_ref(),
                eligibility: o.eligibility.as_ref(),
                field: "",
            }),
            ActionSource::Register(RegisterSource { shown: Register { reward: Some(r), .. }, reward_eligibility }) => {
                Some(Redeemable {
                    redeem: r.redeem,
                    code: r.code.as_deref(),
                    benefit: r.benefit.as_ref(),
                    eligibility: reward_eligibility.as_ref(),
                    field: ".reward",
                })
            }
            _ => None,
        }
    }
}

/// An offer or reward as the checkout sees it ([`ActionSource::redeemable`]).
#[derive(Debug, Clone, Copy)]
pub struct Redeemable<'a> {
    pub redeem: Redeem,
    pub code: Option<&'a str>,
    pub benefit: Option<&'a Benefit>,
    pub eligibility: Option<&'a Value>,
    /// Where its fields are below the action (`""` for an offer, `".reward"`).
    pub field: &'static str,
}

#[derive(Debug, Clone)]
pub struct RegisterSource {
    /// What the shopper is shown (questions, reward...).
    pub shown: Register,
    /// The condition the checkout re-checks for the reward (`reward.eligibility`);
    /// absent = the claim alone.
    pub reward_eligibility: Option<Value>,
}

#[derive(Debug, Clone)]
pub struct OfferSource {
    /// What the shopper is shown (title, terms, display...).
    pub shown: crate::vocab::Offer,
    /// The condition the store's checkout re-checks (with the same engine) against
    /// facts its server knows; absent = the campaign's own condition.
    pub eligibility: Option<Value>,
}

impl OfferSource {
    pub const DEFAULT_DISPLAY: OfferDisplay = OfferDisplay::Toast;
}

#[derive(Debug, Clone)]
pub struct RecommendSource {
    pub title: String,
    /// How many products to show (top k), 1-24, default [`RecommendSource::DEFAULT_COUNT`].
    pub count: u8,
    /// Skus shown when the cart and interests give nothing to go on.
    pub fallback: Vec<String>,
}

impl RecommendSource {
    pub const DEFAULT_COUNT: u8 = 4;
}

#[derive(Debug, Clone)]
pub struct WelcomeSource {
    /// Text with `{context.path}` fields, e.g. `"Welcome back, {customer.first_name}!"`.
    /// If a field is missing the greeting is dropped (never "Hello, undefined").
    pub template: String,
}

#[derive(Debug, Clone)]
pub struct GuardrailsSource {
    /// Interruptions (offers, registration prompts, chat triggers) per session.
    pub max_interruptions_per_session: u32,
    /// Seconds between two interruptions.
    pub min_gap_between_interruptions_s: u64,
    /// Default hide time after a dismissal.
    pub dismiss_cooldown_s: u64,
    /// Page types (`page.type`) where no interruption is shown: the shopper is paying
    /// or signing in. Default [`GuardrailsSource::DEFAULT_QUIET_PAGE_TYPES`]; `[]` allows
    /// interruptions everywhere.
    pub quiet_page_types: Vec<String>,
}

impl GuardrailsSource {
    pub const DEFAULT_QUIET_PAGE_TYPES: &'static [&'static str] = &["checkout", "account"];
}

impl Default for GuardrailsSource {
    fn default() -> Self {
        GuardrailsSource {
            max_interruptions_per_session: 3,
            min_gap_between_interruptions_s: 60,
            dismiss_cooldown_s: 30 * 24 * 3600,
            quiet_page_types: Self::DEFAULT_QUIET_PAGE_TYPES.iter().map(|t| (*t).to_owned()).collect(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct ProductSource {
    pub name: String,
    pub category: Option<String>,
    pub price: Option<f64>,
    pub url: String,
    pub image: Option<String>,
}

/// Cross-sell table: for an item (sku) or a category, the related skus with a score
/// (higher is better), as computed by `perso profiles` from the order history.
#[derive(Debug, Clone, Default)]
pub struct AffinitySource {
    pub items: BTreeMap<String, Vec<(String, f64)>>,
    pub categories: BTreeMap<String, Vec<(String, f64)>>,
}

/// Link and reward types appear in the wire format unchanged.
pub type LinkSource = Link;
pub type RewardSource = Reward;
pub type QuestionSource = Question;
