//! The shared vocabulary on the bottom floor: the parts of an action a marketer
//! writes and a shopper sees unchanged — triggers, offer display, links, choices,
//! rewards, and the actions that need no computation. The bundle's source types
//! ([`crate::bundle::source`]) and the decision ([`crate::decision`]) both use these
//! very types, so a new field is added once (here, the reader, the docs).

use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

/// When a decided action is shown. `now` is the only trigger an edge worker can
/// render; the others are armed by the browser runtime.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "on", rename_all = "snake_case")]
pub enum Trigger {
    #[default]
    Now,
    /// After the page has been open this many seconds.
    Dwell { seconds: u32 },
    /// After this many seconds without input.
    Idle { seconds: u32 },
    /// Once the shopper scrolled this far down the page (percent, default
    /// [`Trigger::DEFAULT_SCROLL_PERCENT`]).
    Scroll { percent: u8 },
    /// When the pointer leaves towards the top (desktop) or a fast upward scroll (mobile).
    ExitIntent,
    /// When an item is added to the cart on this page.
    AddToCart,
}

impl Trigger {
    pub const DEFAULT_SCROLL_PERCENT: u8 = 50;
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OfferDisplay {
    #[default]
    Toast,
    Modal,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Link {
    pub label: String,
    /// `http(s)://` or a path starting with `/` (see [`crate::url::safe_url`]).
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    /// Stored in `visitor.interests` when chosen (e.g. a category id).
    pub value: String,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reward {
    pub text: String,
    /// A literal code (only where the checkout can check the reward's eligibility itself).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// How the shopper gets the reward (default: `code` with a code, `claim` with a
    /// benefit, else `none`).
    #[serde(default)]
    pub redeem: Redeem,
    /// What the checkout applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub benefit: Option<Benefit>,
}

/// How a shopper redeems an offer or a reward (docs/offers.md). Offers are claims,
/// not entitlements: nothing shown in the public bundle is redeemable on its own.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Redeem {
    /// The shopper's "Claim" click asks the store's claim endpoint for a signed,
    /// single-use claim; the checkout verifies it and re-checks eligibility.
    Claim,
    /// The checkout grants it from facts it knows itself (`customer.*`, `cart.*`),
    /// with no claim and no code.
    Checkout,
    /// A literal code the shopper types: only for offers whose eligibility the
    /// checkout can check itself (`perso validate` refuses the others).
    Code,
    /// Nothing to redeem (information only).
    #[default]
    None,
}

impl Redeem {
    /// The default when `redeem` is not written: a code is typed, a benefit is claimed.
    pub fn default_for(has_code: bool, has_benefit: bool) -> Redeem {
        if has_code {
            Redeem::Code
        } else if has_benefit {
            Redeem::Claim
        } else {
            Redeem::None
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Redeem::Claim => "claim",
            Redeem::Checkout => "checkout",
            Redeem::Code => "code",
            Redeem::None => "none",
        }
    }
}

/// The offer's terms as the checkout applies them (machine-readable; the title and
/// terms text are what the shopper reads).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Benefit {
    /// A share of the order's merchandise subtotal, `0 < percent <= 100`.
    PercentOff { percent: f64 },
    /// A fixed amount off the merchandise subtotal, in the store's currency, `> 0`.
    AmountOff { amount: f64 },
    /// The order ships free.
    FreeShipping,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Question {
    pub id: String,
    pub label: String,
    pub multiple: bool,
    pub options: Vec<Choice>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Banner {
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cta: Option<Link>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Offer {
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// A literal code the shopper enters at checkout (`redeem: code` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// One use per customer (and, for claims, each claim once).
    pub single_use: bool,
    /// How the shopper redeems it (default: `code` with a code, `claim` with a
    /// benefit, else `none`).
    #[serde(default)]
    pub redeem: Redeem,
    /// What the checkout applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub benefit: Option<Benefit>,
    pub display: OfferDisplay,
    /// How long the offer stays valid after it is first shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in_s: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terms: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cta: Option<Link>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Register {
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    pub questions: Vec<Question>,
    pub submit_label: String,
    /// The reward revealed after the answers are saved (e.g. a free-shipping code).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reward: Option<Reward>,
    /// A dialog over the page (default) or a toast in a corner.
    #[serde(default = "Register::default_display")]
    pub display: OfferDisplay,
}

impl Register {
    pub const DEFAULT_SUBMIT_LABEL: &'static str = "Save";
    pub const DEFAULT_DISPLAY: OfferDisplay = OfferDisplay::Modal;

    fn default_display() -> OfferDisplay {
        Self::DEFAULT_DISPLAY
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Chat {
    /// Opening line the store's chat widget may show.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Free-form topic for the chat widget's routing (e.g. "checkout-help").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Product {
    pub sku: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<f64>,
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
}
