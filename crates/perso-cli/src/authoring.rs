//! The authoring format: YAML that a marketer edits, compiled to the bundle JSON
//! (docs/authoring.md has the full reference and example). It is the bundle's own
//! shape with three conveniences:
//!
//! - **campaign templates** for the common cases — `affiliate_offer`, `free_shipping`,
//!   `cart_chat`, `cross_sell` — each a one-key map in `campaigns` next to plain
//!   `campaign` entries, expanded into ordinary campaigns with sensible defaults;
//! - segments a template implies (`affiliate: gadgets.com` creates `from_gadgets`
//!   unless it is defined);
//! - `products_file` / `affinity_file`: the catalogue and the affinity table (written by
//!   `perso profiles --affinity-out`) kept in their own JSON files.
//!
//! The structure is typed with unknown fields refused, so a typo is reported with the
//! file, line, column and field path (serde_norway's error position); conditions and
//! actions are checked by the engine itself, whose JSON paths `perso` maps back to the
//! campaign's lines.

use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// YAML values keep the order the marketer wrote (serde_json's maps would sort keys),
/// so the compiled bundle reads like its source.
type Value = serde_norway::Value;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthoringFile {
    #[serde(default = "one")]
    pub version: u64,
    /// Left at 0 in the source: `perso publish` stamps the serial.
    #[serde(default)]
    pub serial: u64,
    #[serde(default)]
    pub issued_at: Option<String>,
    pub expires_at: String,
    #[serde(default)]
    pub store: Option<String>,
    #[serde(default)]
    pub utc_offset_minutes: Option<i32>,
    pub placements: Vec<Placement>,
    #[serde(default)]
    pub segments: Vec<Segment>,
    pub campaigns: Vec<CampaignEntry>,
    #[serde(default)]
    pub guardrails: Option<Value>,
    #[serde(default)]
    pub products: Option<Value>,
    /// A JSON file with the `products` object (relative to the authoring file).
    #[serde(default)]
    pub products_file: Option<String>,
    #[serde(default)]
    pub affinity: Option<Value>,
    /// A JSON file with the `affinity` object, e.g. from `perso profiles --affinity-out`.
    #[serde(default)]
    pub affinity_file: Option<String>,
}

fn one() -> u64 {
    1
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Placement {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Segment {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub condition: Value,
}

/// One entry of `campaigns`: a plain campaign or a template, written as a map with
/// one key naming which (`campaign:`, `affiliate_offer:`, ...).
#[derive(Debug)]
pub enum CampaignEntry {
    Campaign(Campaign),
    AffiliateOffer(AffiliateOffer),
    FreeShipping(FreeShipping),
    CartChat(CartChat),
    CrossSell(CrossSell),
}

const ENTRY_KINDS: &[&str] = &["campaign", "affiliate_offer", "free_shipping", "cart_chat", "cross_sell"];

// By hand rather than serde's externally tagged enum, which serde_norway reads only
// from YAML tags (`!campaign`); this reads `campaign:` keys, streaming, so errors
// inside keep their line and column.
impl<'de> Deserialize<'de> for CampaignEntry {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Entry;
        impl<'de> serde::de::Visitor<'de> for Entry {
            type Value = CampaignEntry;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                write!(f, "a map with one key, one of: {}", ENTRY_KINDS.join(", "))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<CampaignEntry, A::Error> {
                use serde::de::Error;
                let kind: String = map
                    .next_key()?
                    .ok_or_else(|| A::Error::custom(format!("empty entry: {}", ENTRY_KINDS.join(", "))))?;
                let entry = match kind.as_str() {
                    "campaign" => CampaignEntry::Campaign(map.next_value()?),
                    "affiliate_offer" => CampaignEntry::AffiliateOffer(map.next_value()?),
                    "free_shipping" => CampaignEntry::FreeShipping(map.next_value()?),
                    "cart_chat" => CampaignEntry::CartChat(map.next_value()?),
                    "cross_sell" => CampaignEntry::CrossSell(map.next_value()?),
                    other => return Err(A::Error::unknown_variant(other, ENTRY_KINDS)),
                };
                if let Some(extra) = map.next_key::<String>()? {
                    return Err(A::Error::custom(format!(
                        "`{extra}` next to `{kind}`: each campaigns entry has one key; indent the campaign's fields under `{kind}:`"
                    )));
                }
                Ok(entry)
            }
        }
        deserializer.deserialize_map(Entry)
    }
}

/// A campaign as in the bundle (docs/bundle-format.md); only what is written is emitted.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Campaign {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub placement: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segments: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caps: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requires_consent: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub experiment: Option<Value>,
    pub action: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
}

/// An instant offer for visitors whose session came from an affiliate; always a
/// single-use code (the referrer is a fact a shopper can fake).
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
    /// The code's prefix; the store issues one single-use code per shopper.
    pub code: String,
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

/// A JSON object built in order (templates' output).
#[derive(Debug, Default)]
pub struct Map(Vec<(String, Out)>);

/// A value of the compiled bundle: written by the marketer (YAML), generated, or an object.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Out {
    Yaml(Value),
    Json(serde_json::Value),
    Map(Map),
}

impl Map {
    fn insert(&mut self, key: &str, value: impl Into<Out>) {
        self.0.push((key.to_owned(), value.into()));
    }
}

impl Serialize for Map {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl From<Value> for Out {
    fn from(value: Value) -> Out {
        Out::Yaml(value)
    }
}
impl From<serde_json::Value> for Out {
    fn from(value: serde_json::Value) -> Out {
        Out::Json(value)
    }
}
impl From<Map> for Out {
    fn from(value: Map) -> Out {
        Out::Map(value)
    }
}
macro_rules! out_from_json {
    ($($t:ty),*) => { $(impl From<$t> for Out { fn from(v: $t) -> Out { Out::Json(v.into()) } })* };
}
out_from_json!(String, &str, bool, i64, u64, u32, u8, Vec<String>);

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
                    description: Some(format!("Session entered from the {} affiliate", t.affiliate)),
                    condition: serde_norway::to_value(
                        json!({ "==": [{ "var": "session.entry_referrer_host" }, t.affiliate] }),
                    )
                    .unwrap_or(Value::Null),
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
                action.insert("code", t.code);
                action.insert("single_use", true);
                action.insert("display", t.display.unwrap_or_else(|| "toast".into()));
                action.insert("expires_in_s", t.expires_in_s);
                insert(&mut action, "terms", t.terms);
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
                let mut eligible: Vec<serde_json::Value> =
                    t.eligible_when.iter().map(|v| serde_json::to_value(v).unwrap_or_default()).collect();
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

/// Whole numbers as integers (`100`, not `100.0`), as a marketer wrote them.
fn caps_or_once(caps: Option<Value>) -> Out {
    caps.map_or_else(|| Out::Json(json!({ "per_session": 1 })), Out::Yaml)
}

fn number(n: f64) -> serde_json::Value {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        json!(n as i64)
    } else {
        json!(n)
    }
}

/// A compiled campaign: as written, or expanded from a template.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum CampaignOut {
    Written(Box<Campaign>),
    Template(Map),
}

/// The bundle's top level, in the order the format documents.
#[derive(Debug, Serialize)]
pub struct BundleOut {
    pub version: u64,
    pub serial: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issued_at: Option<String>,
    pub expires_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub utc_offset_minutes: Option<i32>,
    pub placements: Vec<Placement>,
    pub segments: Vec<Segment>,
    pub campaigns: Vec<CampaignOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guardrails: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub products: Option<Out>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub affinity: Option<Out>,
}
