//! Lints: things that load fine but are almost certainly not what the marketer meant.
//! Each is a warning with a stable code:
//!
//! - `never-matches`: a campaign whose requirements contradict each other (`==` two
//!   different values on one path, a range that is empty, `in` an empty list, a
//!   constant false condition, an experiment with only a holdout), or whose schedule
//!   has no hour or weekday left;
//! - `shadowed`: a campaign on the same placement with a higher priority (or equal and
//!   earlier) that always shows, needs a subset of this one's requirements, and has no
//!   caps, schedule, experiment or consent requirement of its own: whenever this one
//!   matches, that one wins (until the shopper dismisses it);
//! - `expired-schedule`: a schedule that ended; `bundle-expired`: `expires_at` passed;
//! - `offer-no-expiry`: an offer without `expires_in_s`;
//! - `recommend-nothing`: a recommendation with no affinity table and no fallback;
//! - `unused-segment`, `empty-placement`.
//!
//! What makes an offer redeemable is not a warning but an error: [`redeem`].

use perso_core::bundle::source::{ActionSource, BundleSource, CampaignSource};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};

mod conditions;
pub mod redeem;

use conditions::{contradiction, expanded_atoms, requirements, segment_refs};

#[derive(Debug, Clone, PartialEq)]
pub struct Lint {
    pub code: &'static str,
    pub path: String,
    pub campaign: Option<String>,
    pub message: String,
}

pub fn lint(bytes: &[u8], now_ms: i64) -> Option<Vec<Lint>> {
    let bundle: BundleSource = perso_core::bundle::read::read_source(bytes).ok()?;
    let mut lints = Vec::new();
    let segments: HashMap<&str, &Value> = bundle.segments.iter().map(|s| (s.id.as_str(), &s.condition)).collect();
    if perso_core::time::parse_rfc3339(&bundle.expires_at).is_some_and(|t| t <= now_ms) {
        lints.push(Lint {
            code: "bundle-expired",
            path: "expires_at".into(),
            campaign: None,
            message: format!(
                "the bundle expired at {}: every host will refuse it (publish with --expires-in-days)",
                bundle.expires_at
            ),
        });
    }
    let required: Vec<Vec<Value>> = bundle.campaigns.iter().map(requirements).collect();
    for (index, campaign) in bundle.campaigns.iter().enumerate() {
        let at = |field: &str| {
            if field.is_empty() {
                format!("campaigns[{index}]")
            } else {
                format!("campaigns[{index}].{field}")
            }
        };
        let mut warn = |code: &'static str, field: &str, message: String| {
            lints.push(Lint { code, path: at(field), campaign: Some(campaign.id.clone()), message })
        };
        if !campaign.enabled {
            continue;
        }
        if let Some(reason) = contradiction(&expanded_atoms(&required[index], &segments)) {
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
        if let Some(winner) = shadowing(&bundle, &required, index) {
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
    let used: BTreeSet<String> = bundle
        .campaigns
        .iter()
        .flat_map(|c| requirements(c).into_iter())
        .chain(bundle.segments.iter().map(|s| s.condition.clone()))
        .flat_map(|rule| segment_refs(&rule))
        .collect();
    for (i, segment) in bundle.segments.iter().enumerate() {
        if !used.contains(&segment.id) {
            lints.push(Lint {
                code: "unused-segment",
                path: format!("segments[{i}]"),
                campaign: None,
                message: format!("segment `{}` is not used by any campaign", segment.id),
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
            });
        }
    }
    Some(lints)
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
