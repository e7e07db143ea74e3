//! The host section of a compiled bundle: what a host shows, by index — placement
//! and campaign ids, each action's payload (titles, texts, links, questions), the
//! product catalogue, the context slots to fill. The compiler writes it as JSON
//! beside the binary [`crate::program::Program`]; JS hosts parse it once per bundle
//! with the platform's `JSON.parse` and turn each decision (indices plus the
//! computed parts) into the plain objects of [`crate::decision::Decision`]. The wasm
//! engine never reads it: it carries no text it does not compute with.

use crate::vocab::{Banner, Chat, Offer, Product, Register, Trigger};
use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostView {
    pub serial: u64,
    pub expires_at_ms: i64,
    /// Placement ids, by placement index.
    pub placements: Vec<String>,
    /// Campaigns, by campaign index (bundle order).
    pub campaigns: Vec<HostCampaign>,
    /// The campaigns' distinct "why am I seeing this" texts (campaigns name one by index).
    pub whys: Vec<String>,
    /// Products, by product index.
    pub products: Vec<Product>,
    /// Host-supplied context paths, by slot: what a host writes, in this order.
    pub slots: Vec<String>,
    /// Every context path the bundle reads (slots and derived facts), sorted.
    pub references: Vec<String>,
    pub time_on_site_thresholds: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostCampaign {
    pub id: String,
    pub placement: u16,
    pub interruption: bool,
    pub trigger: Trigger,
    /// Index into [`HostView::whys`].
    pub why: u32,
    pub action: HostAction,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variants: Vec<HostVariant>,
    /// For an offer or reward a shopper can redeem: the context paths its checkout
    /// re-check reads (segments followed), sorted — the facts a claim rests on and
    /// where each must come from (docs/offers.md).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub offer_facts: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostVariant {
    pub id: String,
    /// The variant's own action; absent = the campaign's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<HostAction>,
}

/// An action's payload; for computed actions, the part that is not computed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum HostAction {
    Banner(Banner),
    Offer(Offer),
    /// Items are computed per decision.
    Recommend {
        title: String,
    },
    /// The text is computed per decision.
    Welcome {},
    Register(Register),
    Chat(Chat),
}

impl HostAction {
    /// How the shopper redeems this action's offer or reward, if it has one.
    pub fn redeem(&self) -> Option<crate::vocab::Redeem> {
        match self {
            HostAction::Offer(o) => Some(o.redeem),
            HostAction::Register(Register { reward: Some(r), .. }) => Some(r.redeem),
            _ => None,
        }
    }

    /// The terms a claim binds: the benefit and the title the shopper read.
    pub fn terms(&self) -> Option<(&crate::vocab::Benefit, &str)> {
        match self {
            HostAction::Offer(o) => o.benefit.as_ref().map(|b| (b, o.title.as_str())),
            HostAction::Register(Register { reward: Some(r), .. }) => r.benefit.as_ref().map(|b| (b, r.text.as_str())),
            _ => None,
        }
    }
}
