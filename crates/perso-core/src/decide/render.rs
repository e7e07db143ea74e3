//! Turning a decision's [`Output`] into the render plan ([`Decision`]: plain data a
//! host may show) and explain's verdicts into sentences ([`Explanation`]), natively.
//! JS hosts assemble the same `Decision` from the host section (the JS host kit);
//! the shared vectors prove both give the same JSON, byte for byte.

use super::{ComputedOut, Empty, Output, Reject, Verdict, VerdictOutcome};
use crate::bundle::compile::SourceMap;
use crate::decision::{Action, CampaignVerdict, Decision, Exclusion, Explanation, FailedCondition, Outcome, Placed};
use crate::host::{HostAction, HostView};
use crate::logic::ir::NodeId;
use crate::program::Program;

fn action(host: &HostView, payload: &HostAction, output: &Output, winner: &super::Winner) -> Action {
    match payload {
        HostAction::Banner(b) => Action::Banner(b.clone()),
        HostAction::Offer(o) => Action::Offer(o.clone()),
        HostAction::Register(r) => Action::Register(r.clone()),
        HostAction::Chat(c) => Action::Chat(c.clone()),
        HostAction::Recommend { title } => Action::Recommend {
            title: title.clone(),
            items: output.picks_of(winner).iter().filter_map(|p| host.products.get(*p as usize).cloned()).collect(),
        },
        HostAction::Welcome {} => Action::Welcome { text: output.text_of(winner).to_owned() },
    }
}

pub fn decision(program: &Program, host: &HostView, output: &Output) -> Decision {
    let mut placements = Vec::with_capacity(output.winners.len());
    for winner in &output.winners {
        let Some(campaign) = host.campaigns.get(winner.campaign as usize) else { continue };
        let variant = winner.variant.and_then(|v| campaign.variants.get(usize::from(v)));
        let payload = variant.and_then(|v| v.action.as_ref()).unwrap_or(&campaign.action);
        let _ = matches!(winner.computed, ComputedOut::Nothing);
        placements.push(Placed {
            placement: host.placements.get(usize::from(winner.placement)).cloned().unwrap_or_default(),
            campaign: campaign.id.clone(),
            variant: variant.map(|v| v.id.clone()),
            interruption: campaign.interruption,
            trigger: campaign.trigger.clone(),
            action: action(host, payload, output, winner),
            why: host.whys.get(campaign.why as usize).cloned().unwrap_or_default(),
        });
    }
    Decision {
        serial: program.serial,
        placements,
        holdouts: output
            .holdouts
            .iter()
            .filter_map(|c| host.campaigns.get(*c as usize).map(|c| c.id.clone()))
            .collect(),
        recheck_at_ms: output.recheck_at_ms,
        global_holdout: output.global_holdout.map(|held| if held { "holdout" } else { "personalized" }),
        over_budget: output
            .over_budget
            .iter()
            .filter_map(|c| host.campaigns.get(*c as usize).map(|c| c.id.clone()))
            .collect(),
    }
}

/// What explain can say of a node: its path and rule from the source when the
/// bundle was compiled here, else the rule as evaluated.
pub(crate) fn failed(
    program: &Program,
    source: Option<&SourceMap>,
    owner_path: &str,
    node: Option<NodeId>,
) -> FailedCondition {
    let Some(node) = node else {
        return FailedCondition { path: owner_path.to_owned(), rule: serde_json::Value::Null };
    };
    if let Some(source) = source {
        let path = source.paths.get(node).map_or_else(|| owner_path.to_owned(), str::to_owned);
        let rule = source.paths.pointer(node).and_then(|p| source.document.pointer(p)).cloned().unwrap_or_default();
        return FailedCondition { path, rule };
    }
    let segment_id = |s: u16| program.segments.get(usize::from(s)).map(|s| s.id.to_string()).unwrap_or_default();
    FailedCondition {
        path: format!("{owner_path} (node {})", node.0),
        rule: crate::logic::decompile::to_json(&program.logic, node, &program.schema, &segment_id),
    }
}

pub fn explanation(
    program: &Program,
    host: &HostView,
    verdicts: &[Verdict],
    now_ms: i64,
    source: Option<&SourceMap>,
) -> Explanation {
    let campaigns = verdicts
        .iter()
        .filter_map(|verdict| {
            let c = program.campaign(verdict.campaign)?;
            let shown = host.campaigns.get(verdict.campaign as usize)?;
            let outcome = match verdict.outcome {
                VerdictOutcome::Won { variant } => Outcome::Won {
                    variant: variant.and_then(|v| shown.variants.get(usize::from(v))).map(|v| v.id.clone()),
                },
                VerdictOutcome::Lost { to } => {
                    Outcome::Lost { to: host.campaigns.get(to as usize).map(|c| c.id.clone()).unwrap_or_default() }
                }
                VerdictOutcome::Excluded(reject) => {
                    Outcome::Excluded { reason: describe(program, source, verdict.campaign, c, reject, now_ms) }
                }
            };
            Some(CampaignVerdict {
                campaign: shown.id.clone(),
                placement: host.placements.get(usize::from(c.placement)).cloned().unwrap_or_default(),
                priority: c.priority,
                outcome,
            })
        })
        .collect();
    Explanation { serial: program.serial, campaigns }
}

fn describe(
    program: &Program,
    source: Option<&SourceMap>,
    index: u32,
    c: &crate::program::Campaign,
    reject: Reject,
    now_ms: i64,
) -> Exclusion {
    let seconds = |ms: i64| ms / 1000;
    let g = &program.guardrails;
    match reject {
        Reject::Disabled => Exclusion::Disabled,
        Reject::Consent => Exclusion::Consent,
        Reject::NotStarted(start) => {
            Exclusion::Schedule { detail: format!("starts in {} s", seconds(start.saturating_sub(now_ms))) }
        }
        Reject::Ended => Exclusion::Schedule { detail: "the schedule has ended".into() },
        Reject::OutsideHours(hour) => {
            Exclusion::Schedule { detail: format!("hour {hour} is outside the scheduled hours") }
        }
        Reject::OutsideWeekdays(day) => Exclusion::Schedule { detail: format!("weekday {day} is not scheduled") },
        Reject::SessionCap(n) => Exclusion::Cap {
            detail: format!("shown {n} time(s) this session (cap {})", c.caps.per_session.unwrap_or(0)),
        },
        Reject::VisitorCap(n) => Exclusion::Cap {
            detail: format!("shown {n} time(s) to this visitor (cap {})", c.caps.per_visitor.unwrap_or(0)),
        },
        Reject::Cooldown { dismissed_ms, cooldown_ms } => Exclusion::Cap {
            detail: format!(
                "dismissed {} s ago (hidden for {} s after a dismissal)",
                seconds(now_ms.saturating_sub(dismissed_ms)),
                seconds(cooldown_ms)
            ),
        },
        Reject::OneInterruptionAtATime => {
            Exclusion::Guardrail { detail: "another interruption is already shown".into() }
        }
        Reject::QuietPage => Exclusion::Guardrail {
            detail: format!(
                "no interruption on {} pages (guardrails.quiet_page_types)",
                g.quiet_pages.iter().map(|t| &**t).collect::<Vec<_>>().join(" or ")
            ),
        },
        Reject::Budget(n) => Exclusion::Guardrail {
            detail: format!("{n} interruption(s) this session (max {})", g.max_interruptions_per_session),
        },
        Reject::Gap { last_ms } => Exclusion::Guardrail {
            detail: format!(
                "last interruption {} s ago (minimum gap {} s)",
                seconds(now_ms.saturating_sub(last_ms)),
                seconds(g.min_gap_ms)
            ),
        },
        Reject::Segment { segment, failed: node } => {
            let id = program.segments.get(usize::from(segment)).map(|s| s.id.to_string()).unwrap_or_default();
            let owner = format!("segments[{segment}].condition");
            Exclusion::Segment { segment: id, failed: failed(program, source, &owner, Some(node)) }
        }
        Reject::Condition { failed: node } => {
            let owner = format!("campaigns[{index}].condition");
            Exclusion::Condition { failed: failed(program, source, &owner, node.or(c.condition)) }
        }
        Reject::Holdout => Exclusion::Holdout,
        Reject::GlobalHoldout => Exclusion::GlobalHoldout,
        Reject::NothingToShow(Empty::NoRecommendation) => {
            Exclusion::NothingToShow { detail: "no product to recommend for this cart".into() }
        }
        Reject::NothingToShow(Empty::GreetingFieldMissing) => {
            Exclusion::NothingToShow { detail: "a greeting field is missing".into() }
        }
        Reject::OverBudget => Exclusion::OverBudget { limit: crate::limits::MAX_CONDITION_COST },
    }
}
