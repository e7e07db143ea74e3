//! Campaign templates for the common cases, and their expansion into ordinary
//! campaigns (docs/authoring.md lists every field and default).

use super::{CampaignEntry, CampaignOut, Map, Out, Segment, Value};
use serde::Deserialize;
use serde_json::json;

/// An instant offer for visitors whose session came from an affiliate; always
/// redeemed by a claim (the referrer is a fact a shopper can fake: only the edge's
/// observation or the store's signed landing link vouches for it, docs/offers.md).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AffiliateOffer {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub placement: Option<String>,
    #[serde(default)]
    pub priority: Option<i64>,
    #[serde(default)]
    pub enabled: Option<bool>,
    /// Referrer host of the affiliate, e.g. `gadgets.com`.
    pub affiliate: String,
    /// The affiliate's segment id (default `from_<first label of the host>`); created
    /// from `affiliate` unless defined in `segments`.
    #[serde(default)]
    pub segment: Option<String>,
    /// Show after this many seconds on the site.
    #[serde(default)]
    pub after_seconds: Option<u32>,
    #[serde(default)]
    pub caps: Option<Value>,
    #[serde(default)]
    pub schedule: Option<Value>,
    pub title: String,
    #[serde(default)]
    pub body: Option<String>,
    /// What the checkout applies, e.g. `{kind: percent_off, percent: 10}`.
    pub benefit: Value,
    #[serde(default)]
    pub display: Option<String>,
    #[serde(default = "one_day")]
    pub expires_in_s: u64,
    #[serde(default)]
    pub terms: Option<String>,
    #[serde(default)]
    pub why: Option<String>,
}

fn one_day() -> u64 {
    86_400
}

/// Free shipping above a cart total, re-checked at checkout (`eligible_when` + the threshold).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FreeShipping {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub placement: Option<String>,
    #[serde(default)]
    pub priority: Option<i64>,
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub segments: Option<Vec<String>>,
    #[serde(default)]
    pub condition: Option<Value>,
    /// The cart total the order must exceed.
    pub threshold: f64,
    #[serde(default = "dollar")]
    pub currency_symbol: String,
    /// Conditions the checkout re-checks besides the threshold (facts the server knows).
    #[serde(default)]
    pub eligible_when: Vec<Value>,
    #[serde(default)]
    pub caps: Option<Value>,
    #[serde(default)]
    pub schedule: Option<Value>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub body: Option<String>,
    /// `claim` (default), `checkout` (granted from the checkout's own facts) or `code`.
    #[serde(default)]
    pub redeem: Option<String>,
    /// A literal code, with `redeem: code` only.
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub single_use: Option<bool>,
    #[serde(default)]
    pub display: Option<String>,
    #[serde(default = "one_week")]
    pub expires_in_s: u64,
    #[serde(default)]
    pub terms: Option<String>,
    #[serde(default)]
    pub why: Option<String>,
}

fn dollar() -> String {
    "$".into()
}

fn one_week() -> u64 {
    604_800
}

/// A live-chat trigger once the cart holds `min_items`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CartChat {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub placement: Option<String>,
    #[serde(default)]
    pub priority: Option<i64>,
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub segments: Option<Vec<String>>,
    #[serde(default)]
    pub schedule: Option<Value>,
    #[serde(default)]
    pub caps: Option<Value>,
    #[serde(default)]
    pub requires_consent: Option<bool>,
    #[serde(default)]
    pub why: Option<String>,
    #[serde(default = "one_u32")]
    pub min_items: u32,
    /// When the chat opens: at the add to cart by default (the moment the template is
    /// for; it may pre-empt an offer on screen, see docs/bundle-format.md "Guardrails").
    #[serde(default)]
    pub trigger: Option<Value>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub topic: Option<String>,
}

fn one_u32() -> u32 {
    1
}

/// Cross-sell recommendations from the affinity table once the cart holds `min_items`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrossSell {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub placement: Option<String>,
    #[serde(default)]
    pub priority: Option<i64>,
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub segments: Option<Vec<String>>,
    #[serde(default)]
    pub schedule: Option<Value>,
    #[serde(default)]
    pub caps: Option<Value>,
    #[serde(default)]
    pub requires_consent: Option<bool>,
    #[serde(default)]
    pub why: Option<String>,
    #[serde(default = "one_u32")]
    pub min_items: u32,
    pub title: String,
    #[serde(default = "four")]
    pub count: u8,
    #[serde(default)]
    pub fallback: Vec<String>,
}

fn four() -> u8 {
    4
}

fn insert(map: &mut Map, key: &str, value: Option<impl Into<Out>>) {
    if let Some(value) = value {
        map.insert(key, value);
    }
}

fn at_least(path: &str, n: impl Into<serde_json::Value>) -> serde_json::Value {
    json!({ ">=": [{ "var": path }, n.into()] })
}

/// `from_<first label>`: `gadgets.com` -> `from_gadgets`.
pub fn affiliate_segment_id(host: &str) -> String {
    let label = host.trim_start_matches("www.").split('.').next().unwrap_or(host);
    format!("from_{}", label.replace(|c: char| !c.is_ascii_alphanumeric(), "_"))
}

impl CampaignEntry {
    /// The bundle campaign, and the segment the template implies (if any).
    pub fn expand(self) -> (CampaignOut, Option<Segment>) {
        match self {
            CampaignEntry::Campaign(campaign) => (CampaignOut::Written(Box::new(campaign)), None),
            CampaignEntry::AffiliateOffer(t) => {
                let segment_id = t.segment.clone().unwrap_or_else(|| affiliate_segment_id(&t.affiliate));
                let segment = Segment {
                    id: segment_id.clone(),
                    description: Some(format!(
                        "Session entered from the {} affiliate (its referrer, or links tagged utm_source={})",
                        t.affiliate, t.affiliate
                    )),
                    // Affiliates tag their links with utm_source, which also holds when a
                    // browser withholds the referrer.
                    condition: Value::from_json(&json!({ "or": [
                        { "==": [{ "var": "session.entry_referrer_host" }, t.affiliate] },
                        { "==": [{ "var": "session.entry_utm.source" }, t.affiliate] }
                    ] })),
                };
                let mut c = Map::default();
                c.insert("id", t.id);
                insert(&mut c, "name", t.name);
                c.insert("placement", t.placement.unwrap_or_else(|| "popup".into()));
                insert(&mut c, "priority", t.priority);
                insert(&mut c, "enabled", t.enabled);
                c.insert("segments", json!([segment_id]));
                insert(&mut c, "condition", t.after_seconds.map(|s| at_least("session.time_on_site_s", s)));
                insert(&mut c, "schedule", t.schedule);
                c.insert("caps", caps_or_once(t.caps));
                let mut action = Map::default();
                action.insert("kind", "offer");
                action.insert("title", t.title);
                insert(&mut action, "body", t.body);
                action.insert("redeem", "claim");
                action.insert("benefit", t.benefit);
                action.insert("single_use", true);
                action.insert("display", t.display.unwrap_or_else(|| "toast".into()));
                action.insert("expires_in_s", t.expires_in_s);
                insert(&mut action, "terms", t.terms);
                // What the checkout re-checks: where the session entered, as vouched for
                // by the edge (Referer) or the affiliate's signed link; not the UTM tag
                // of a link anyone can type.
                action.insert(
                    "eligibility",
                    json!({ "==": [{ "var": "session.entry_referrer_host" }, t.affiliate.clone()] }),
                );
                c.insert("action", action);
                c.insert("why", t.why.unwrap_or_else(|| format!("You came from {}.", t.affiliate)));
                (CampaignOut::Template(c), Some(segment))
            }
            CampaignEntry::FreeShipping(t) => {
                let threshold = number(t.threshold);
                let mut c = Map::default();
                c.insert("id", t.id);
                insert(&mut c, "name", t.name);
                c.insert("placement", t.placement.unwrap_or_else(|| "popup".into()));
                insert(&mut c, "priority", t.priority);
                insert(&mut c, "enabled", t.enabled);
                insert(&mut c, "segments", t.segments);
                insert(&mut c, "condition", t.condition);
                insert(&mut c, "schedule", t.schedule);
                c.insert("caps", caps_or_once(t.caps));
                let mut eligible: Vec<serde_json::Value> = t.eligible_when.iter().map(Value::to_json).collect();
                eligible.push(json!({ ">": [{ "var": "cart.total" }, threshold] }));
                let mut action = Map::default();
                action.insert("kind", "offer");
                let amount = if t.threshold.fract() == 0.0 {
                    format!("{}", t.threshold as i64)
                } else {
                    format!("{:.2}", t.threshold)
                };
                action.insert(
                    "title",
                    t.title.unwrap_or_else(|| {
                        format!("Free shipping on your next purchase over {}{amount}", t.currency_symbol)
                    }),
                );
                insert(&mut action, "body", t.body);
                let redeem = t.redeem.unwrap_or_else(|| if t.code.is_some() { "code" } else { "claim" }.into());
                action.insert("redeem", redeem);
                action.insert("benefit", json!({ "kind": "free_shipping" }));
                insert(&mut action, "code", t.code);
                insert(&mut action, "single_use", t.single_use);
                action.insert("display", t.display.unwrap_or_else(|| "toast".into()));
                action.insert("expires_in_s", t.expires_in_s);
                insert(&mut action, "terms", t.terms);
                action.insert("eligibility", json!({ "and": eligible }));
                c.insert("action", action);
                insert(&mut c, "why", t.why);
                (CampaignOut::Template(c), None)
            }
            CampaignEntry::CartChat(t) => {
                let mut c = common(
                    &t.id,
                    &t.name,
                    &t.placement,
                    t.priority,
                    t.enabled,
                    &t.segments,
                    &t.schedule,
                    t.requires_consent,
                    "chat",
                );
                c.insert("condition", at_least("cart.count", t.min_items));
                c.insert("caps", caps_or_once(t.caps.clone()));
                c.insert(
                    "trigger",
                    t.trigger.clone().unwrap_or_else(|| Value::from_json(&serde_json::json!({ "on": "add_to_cart" }))),
                );
                let mut action = Map::default();
                action.insert("kind", "chat");
                insert(&mut action, "message", t.message);
                insert(&mut action, "topic", t.topic);
                c.insert("action", action);
                c.insert(
                    "why",
                    t.why.unwrap_or_else(|| "You have items in your cart; our team is here if you need help.".into()),
                );
                (CampaignOut::Template(c), None)
            }
            CampaignEntry::CrossSell(t) => {
                let mut c = common(
                    &t.id,
                    &t.name,
                    &t.placement,
                    t.priority,
                    t.enabled,
                    &t.segments,
                    &t.schedule,
                    t.requires_consent,
                    "cross_sell",
                );
                c.insert("condition", at_least("cart.count", t.min_items));
                insert(&mut c, "caps", t.caps.clone());
                let mut action = Map::default();
                action.insert("kind", "recommend");
                action.insert("title", t.title);
                action.insert("count", t.count);
                if !t.fallback.is_empty() {
                    action.insert("fallback", t.fallback);
                }
                c.insert("action", action);
                c.insert("why", t.why.unwrap_or_else(|| "Based on the items in your cart.".into()));
                (CampaignOut::Template(c), None)
            }
        }
    }
}

/// The fields every template shares, in the bundle's order.
#[allow(clippy::too_many_arguments)]
fn common(
    id: &str,
    name: &Option<String>,
    placement: &Option<String>,
    priority: Option<i64>,
    enabled: Option<bool>,
    segments: &Option<Vec<String>>,
    schedule: &Option<Value>,
    requires_consent: Option<bool>,
    default_placement: &str,
) -> Map {
    let mut c = Map::default();
    c.insert("id", id);
    insert(&mut c, "name", name.clone());
    c.insert("placement", placement.clone().unwrap_or_else(|| default_placement.into()));
    insert(&mut c, "priority", priority);
    insert(&mut c, "enabled", enabled);
    insert(&mut c, "segments", segments.clone());
    insert(&mut c, "schedule", schedule.clone());
    insert(&mut c, "requires_consent", requires_consent);
    c
}

fn caps_or_once(caps: Option<Value>) -> Out {
    caps.map_or_else(|| Out::Json(json!({ "per_session": 1 })), Out::Yaml)
}

/// Whole numbers as integers (`100`, not `100.0`), as a marketer wrote them.
fn number(n: f64) -> serde_json::Value {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        json!(n as i64)
    } else {
        json!(n)
    }
}
