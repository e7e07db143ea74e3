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
//! The YAML is read into a tree that keeps every key's and value's position
//! ([`yaml`]), the typed structure is read from it with every error placed ([`de`]),
//! the YAML traps are found on it ([`traps`]), and the engine's JSON paths are
//! mapped back to its lines ([`crate::locate`]). Conditions and actions are checked
//! by the engine itself.

pub mod de;
mod out;
mod templates;
pub mod traps;
mod value;
pub mod yaml;

pub use out::{Map, Out};
pub use templates::{AffiliateOffer, CartChat, CrossSell, FreeShipping};
pub use value::Value;

use serde::{Deserialize, Serialize};

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
    /// Types of the `custom.*` context paths the conditions read (`custom.tier: string`).
    #[serde(default)]
    pub context: Option<Value>,
    pub placements: Vec<Placement>,
    /// The store's page-type rules (default: the engine's table).
    #[serde(default)]
    pub page_types: Option<Value>,
    /// A share of visitors kept on the defaults everywhere (measurement).
    #[serde(default)]
    pub holdout: Option<Value>,
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

pub const ENTRY_KINDS: &[&str] = &["campaign", "affiliate_offer", "free_shipping", "cart_chat", "cross_sell"];

// By hand rather than serde's externally tagged enum, so that the entry's one key
// names the template (`campaign:`, `cart_chat:`) and errors inside keep their place.
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
                    "campaign" => map.next_value().map(CampaignEntry::Campaign),
                    "affiliate_offer" => map.next_value().map(CampaignEntry::AffiliateOffer),
                    "free_shipping" => map.next_value().map(CampaignEntry::FreeShipping),
                    "cart_chat" => map.next_value().map(CampaignEntry::CartChat),
                    "cross_sell" => map.next_value().map(CampaignEntry::CrossSell),
                    other => return Err(A::Error::unknown_variant(other, ENTRY_KINDS)),
                };
                // A field beside the kind is an indentation slip, and the root cause of
                // whatever reading the (then empty) entry said: reported first.
                if let Some(extra) = map.next_key::<String>()? {
                    return Err(A::Error::custom(format!(
                        "`{extra}` is beside `{kind}:` instead of under it: each campaigns entry has one key; indent the campaign's fields two more spaces than `{kind}:`"
                    )));
                }
                entry
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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<Value>,
    pub placements: Vec<Placement>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_types: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub holdout: Option<Value>,
    pub segments: Vec<Segment>,
    pub campaigns: Vec<CampaignOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guardrails: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub products: Option<Out>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub affinity: Option<Out>,
}
