//! What makes an offer redeemable, checked before a bundle is published: nothing in
//! the public bundle may mint a discount (docs/offers.md). These are errors, not
//! warnings — `validate`, `sign` and `publish` refuse the bundle:
//!
//! - `offer-fakeable`: a literal `code` on an offer (or reward) whose eligibility rests
//!   on facts the shopper controls: anyone who reads the bundle can redeem it;
//! - `offer-unverifiable`: a claimed offer whose eligibility reads a fact nobody but
//!   the shopper's device knows (time on site, pages, local state...): no checkout
//!   could ever grant it;
//! - `offer-checkout-unknowable`: `redeem: checkout` on facts the checkout does not
//!   know itself (only `customer.*` and `cart.*`);
//! - `offer-needs-claim-endpoint` (with `--no-claim-endpoint`, for stores that run no
//!   claim endpoint): a claimed offer that such a deployment cannot honour.
//!
//! They read the compiled form: the host section lists, per redeemable campaign, the
//! facts its checkout re-check reads (`offer_facts`), and [`perso_core::provenance`]
//! says where each can come from.

use super::Lint;
use perso_core::host::{HostAction, HostCampaign};
use perso_core::provenance::{provenance, Provenance};
use perso_core::vocab::{Redeem, Register};
use perso_core::Engine;

/// The policy errors of a loaded bundle. `claim_endpoint`: the store runs one.
pub fn errors(engine: &Engine, claim_endpoint: bool) -> Vec<Lint> {
    let mut out = Vec::new();
    for (index, campaign) in engine.host().campaigns.iter().enumerate() {
        let variants = campaign.variants.iter().enumerate().filter_map(|(j, v)| {
            v.action.as_ref().map(|a| (format!("campaigns[{index}].experiment.variants[{j}].action"), a))
        });
        for (path, action) in std::iter::once((format!("campaigns[{index}].action"), &campaign.action)).chain(variants)
        {
            check(campaign, &path, action, claim_endpoint, &mut out);
        }
    }
    out
}

fn check(campaign: &HostCampaign, path: &str, action: &HostAction, claim_endpoint: bool, out: &mut Vec<Lint>) {
    let (redeem, code, field) = match action {
        HostAction::Offer(o) => (o.redeem, o.code.as_deref(), ""),
        HostAction::Register(Register { reward: Some(r), .. }) => (r.redeem, r.code.as_deref(), ".reward"),
        _ => return,
    };
    let mut facts = campaign.offer_facts.clone();
    if redeem == Redeem::Code && field == ".reward" {
        // A reward is earned by registering, which happens on the shopper's device: a
        // literal code in the bundle is readable without it.
        facts.push("visitor.registered".into());
    }
    let list = |keep: &dyn Fn(Provenance) -> bool| {
        facts.iter().filter(|f| keep(provenance(f))).cloned().collect::<Vec<_>>().join(", ")
    };
    let shopper_facts = list(&|p| p != Provenance::Server);
    let mut error = |code: &'static str, at: &str, message: String| {
        out.push(Lint {
            code,
            path: format!("{path}{field}{at}"),
            campaign: Some(campaign.id.clone()),
            message,
            line: None,
        })
    };
    match redeem {
        Redeem::Code if !shopper_facts.is_empty() => error(
            "offer-fakeable",
            ".code",
            format!(
                "offer `{}` puts the literal code `{}` in the public bundle, and its eligibility rests on facts a shopper controls ({shopper_facts}): anyone who reads the bundle can redeem it. Remove `code` and set `redeem: claim` (the shopper's Claim click gets a signed, single-use claim from the store's claim endpoint, which the checkout verifies; docs/offers.md), or base the eligibility on facts the checkout knows (customer.*, cart.*).",
                campaign.id,
                code.unwrap_or_default()
            ),
        ),
        Redeem::Claim => {
            let unverifiable = list(&|p| p == Provenance::Shopper);
            if !unverifiable.is_empty() {
                error(
                    "offer-unverifiable",
                    ".eligibility",
                    format!(
                        "offer `{}` can never be verified at checkout: its eligibility reads {unverifiable}, which only the shopper's device knows and nobody vouches for. Give it an `eligibility` of facts the checkout knows (customer.*, cart.*) or a voucher signs (session.entry_referrer_host from the edge or a signed landing link; session.entry_utm.source/medium/campaign from a signed link)",
                        campaign.id
                    ),
                );
            }
            if !claim_endpoint {
                error(
                    "offer-needs-claim-endpoint",
                    ".redeem",
                    format!(
                        "offer `{}` is redeemed by a claim, and this store runs no claim endpoint (--no-claim-endpoint): run one (docs/offers.md), or use `redeem: checkout` on facts the checkout knows",
                        campaign.id
                    ),
                );
            }
        }
        Redeem::Checkout if !shopper_facts.is_empty() => error(
            "offer-checkout-unknowable",
            ".eligibility",
            format!(
                "offer `{}` is granted by the checkout from its own facts, but its eligibility reads {shopper_facts}, which the checkout does not know: use `redeem: claim`, or only customer.* and cart.*",
                campaign.id
            ),
        ),
        _ => {}
    }
}
