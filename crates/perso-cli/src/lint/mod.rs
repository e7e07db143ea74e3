//! Lints: things that load fine but are almost certainly not what the marketer meant.
//! Each is a warning with a stable code. Conditions are read as the engine compiled
//! them — passes over the node arena ([`ir`]) from each campaign's and segment's
//! roots, with the JSON path of each node from the compiler's source map — and
//! everything else from the one reader's [`BundleSource`], with its defaults:
//!
//! - `unknown-path`, `type-mismatch`, `unknown-value`: context paths and the literals
//!   compared with them ([`context`]);
//! - `never-matches`: a campaign whose requirements contradict each other (`==` two
//!   different values on one path, a range that is empty, `in` an empty list, a
//!   constant false condition, an experiment with only a holdout), or whose schedule
//!   has no hour or weekday left;
//! - `shadowed`: a campaign on the same placement with a higher priority (or equal and
//!   earlier) that always shows, needs a subset of this one's requirements, and has no
//!   caps, schedule, experiment or consent requirement of its own: whenever this one
//!   matches, that one wins (until the shopper dismisses it);
//! - `expired-schedule`: a schedule that ended (an expired *bundle* is an error of
//!   `perso validate`, not a lint: every host refuses it);
//! - `offer-no-expiry`: an offer without `expires_in_s`;
//! - `recommend-nothing`: a recommendation with no affinity table and no fallback;
//! - `unused-segment`, `empty-placement`.
//!
//! The YAML traps of authoring files are lints too (`yaml-*`, [`crate::authoring::traps`]).
//!
//! What makes an offer redeemable is not a warning but an error: [`redeem`].

use perso_core::bundle::source::{ActionSource, BundleSource, CampaignSource, DEFAULT_PAGE_TYPES};
use perso_core::logic::ir::Node;
use perso_core::Engine;
use serde_json::Value;
use std::collections::BTreeSet;

mod conditions;
pub mod context;
mod ir;
pub mod redeem;

use ir::{Atom, Ir};

#[derive(Debug, Clone, PartialEq)]
pub struct Lint {
    pub code: &'static str,
    /// JSON path in the bundle (or, for YAML traps, in the authoring file).
    pub path: String,
    pub campaign: Option<String>,
    pub message: String,
    /// The line, when the lint knows it (YAML traps); else found from `path`.
    pub line: Option<usize>,
}

/// Every page type the bundle's table gives, and `other` (no rule matched).
pub fn page_types(bundle: &BundleSource) -> Vec<String> {
    let mut types: Vec<String> = match &bundle.page_types {
        Some(rules) => rules.iter().map(|r| r.page_type.clone()).collect(),
        None => DEFAULT_PAGE_TYPES.iter().map(|(_, _, t)| (*t).to_owned()).collect(),
    };
    types.push("other".into());
    let mut seen = BTreeSet::new();
    types.retain(|t| seen.insert(t.clone()));
    types
}

/// Every text a bundle's conditions compare `path` with (`==`, `in` a list).
pub fn compared_values(engine: &Engine, path: &str) -> BTreeSet<String> {
    let ir = Ir { program: engine.program(), source: engine.source_map() };
    ir.compared_values(path)
}

/// The lints of a bundle the engine loaded (`engine`) as the one reader read it (`bundle`).
pub fn lint(bundle: &BundleSource, engine: &Engine, now_ms: i64) -> Vec<Lint> {
    let ir = Ir { program: engine.program(), source: engine.source_map() };
    let mut lints = Vec::new();
    let catalogue = context::Catalogue { declared: &bundle.context, page_types: page_types(bundle) };
    context::check(&ir, &catalogue, &mut lints);
    let required: Vec<Vec<Atom>> = (0..bundle.campaigns.len()).map(|i| ir.requirements(i)).collect();
    let required_json: Vec<Vec<Value>> =
        required.iter().map(|atoms| atoms.iter().map(|a| ir.atom_json(*a)).collect()).collect();
    for (index, campaign) in bundle.campaigns.iter().enumerate() {
        let at = |field: &str| {
            if field.is_empty() {
                format!("campaigns[{index}]")
            } else {
                format!("campaigns[{index}].{field}")
            }
        };
        let mut warn = |code: &'static str, field: &str, message: String| {
            lints.push(Lint { code, path: at(field), campaign: Some(campaign.id.clone()), message, line: None })
        };
        if !campaign.enabled {
            continue;
        }
        if let Some(reason) = conditions::contradiction(&ir, &ir.expanded(&required[index])) {
            warn("never-matches", "", format!("campaign `{}` can never match: {reason}", campaign.id));
        }
        if let Some(reason) = empty_schedule(campaign) {
            warn("never-matches", "schedule", format!("campaign `{}` can never match: {reason}", campaign.id));
        }
        if let Some(experiment) = &campaign.experiment {
            if experiment.variants.iter().all(|v| v.weight == 0) && experiment.holdout > 0 {
                warn(
                    "never-matches",
                    "experiment",
                    format!("campaign `{}` holds every visitor out (all variant weights are 0)", campaign.id),
                );
            }
        }
        if let Some(end) = campaign.schedule.as_ref().and_then(|s| s.end.as_deref()) {
            if perso_core::time::parse_rfc3339(end).is_some_and(|t| t <= now_ms) {
                warn(
                    "expired-schedule",
                    "schedule.end",
                    format!("campaign `{}` ended at {end}; remove it or move its end", campaign.id),
                );
            }
        }
        if let Some(winner) = shadowing(bundle, &required_json, index) {
            warn(
                "shadowed",
                "",
                format!(
                    "campaign `{}` is shadowed by `{}` (placement `{}`, priority {} ≥ {}): whenever it matches, `{}` matches too and wins, until the shopper dismisses it",
                    campaign.id, winner.id, campaign.placement, winner.priority, campaign.priority, winner.id
                ),
            );
        }
        for (field, action) in actions(campaign) {
            match action {
                ActionSource::Offer(offer) if offer.shown.expires_in_s.is_none() => {
                    warn(
                        "offer-no-expiry",
                        &format!("{field}.expires_in_s"),
                        format!("offer `{}` has no expiry: a claim that never ends", campaign.id),
                    );
                }
                ActionSource::Recommend(recommend)
                    if recommend.fallback.is_empty()
                        && bundle.affinity.items.is_empty()
                        && bundle.affinity.categories.is_empty() =>
                {
                    warn("recommend-nothing", &field, format!("campaign `{}` recommends from an empty affinity table and has no fallback: it never shows (run `perso profiles`)", campaign.id));
                }
                _ => {}
            }
        }
    }
    let mut used = vec![false; bundle.segments.len()];
    let mut roots = Vec::new();
    for (i, campaign) in engine.program().campaigns.iter().enumerate() {
        for s in &campaign.segments {
            if let Some(flag) = used.get_mut(usize::from(*s)) {
                *flag = true;
            }
        }
        roots.extend(ir.campaign_roots(i));
    }
    roots.extend(engine.program().segments.iter().map(|s| s.condition));
    for id in ir.reachable(&roots, false) {
        if let Node::Segment(s) = ir.logic().node(id) {
            if let Some(flag) = used.get_mut(usize::from(*s)) {
                *flag = true;
            }
        }
    }
    for (i, segment) in bundle.segments.iter().enumerate() {
        if !used.get(i).copied().unwrap_or(true) {
            lints.push(Lint {
                code: "unused-segment",
                path: format!("segments[{i}]"),
                campaign: None,
                message: format!("segment `{}` is not used by any campaign", segment.id),
                line: None,
            });
        }
    }
    for (i, placement) in bundle.placements.iter().enumerate() {
        if !bundle.campaigns.iter().any(|c| c.placement == placement.id && c.enabled) {
            lints.push(Lint {
                code: "empty-placement",
                path: format!("placements[{i}]"),
                campaign: None,
                message: format!("placement `{}` has no enabled campaign", placement.id),
                line: None,
            });
        }
    }
    lints
}

/// The campaign's action and its variants' actions, with their JSON paths.
fn actions(campaign: &CampaignSource) -> Vec<(String, &ActionSource)> {
    let mut out = vec![("action".to_owned(), &campaign.action)];
    if let Some(experiment) = &campaign.experiment {
        for (i, variant) in experiment.variants.iter().enumerate() {
            if let Some(action) = &variant.action {
                out.push((format!("experiment.variants[{i}].action"), action));
            }
        }
    }
    out
}

fn empty_schedule(campaign: &CampaignSource) -> Option<String> {
    let schedule = campaign.schedule.as_ref()?;
    if let Some([from, to]) = schedule.hours {
        if from == to {
            return Some(format!("schedule hours [{from}, {to}) hold no hour"));
        }
    }
    match &schedule.weekdays {
        Some(days) if days.is_empty() => Some("schedule weekdays is empty".into()),
        _ => None,
    }
}

/// The campaign that always wins over `index` whenever `index` matches, if any.
fn shadowing<'a>(bundle: &'a BundleSource, requirements: &[Vec<Value>], index: usize) -> Option<&'a CampaignSource> {
    let campaign = &bundle.campaigns[index];
    bundle.campaigns.iter().enumerate().find_map(|(i, other)| {
        let ranks_higher = other.priority > campaign.priority || (other.priority == campaign.priority && i < index);
        let always_shows = matches!(
            other.action,
            ActionSource::Banner(_) | ActionSource::Offer(_) | ActionSource::Register(_) | ActionSource::Chat(_)
        );
        let unrestricted = other.enabled
            && other.schedule.is_none()
            && other.experiment.is_none()
            && other.caps.per_session.is_none()
            && other.caps.per_visitor.is_none()
            && (!other.requires_consent || campaign.requires_consent)
            && other.trigger == campaign.trigger;
        let subset = requirements[i].iter().all(|atom| requirements[index].contains(atom));
        (i != index && other.placement == campaign.placement && ranks_higher && always_shows && unrestricted && subset)
            .then_some(other)
    })
}
