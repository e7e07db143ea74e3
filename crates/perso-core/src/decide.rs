//! Arbitration: per placement, in priority order, the first eligible campaign wins;
//! guardrails apply across placements. [`decide`] stops at each placement's winner
//! (work proportional to what can still win); [`explain`] runs the very same checks
//! over every campaign and says why each one won, lost or was excluded.
//!
//! The order of checks puts the cheap ones first (switch, consent, schedule, caps
//! and guardrails from the visitor's records) and conditions last. Exclusions are
//! small `Copy` codes on the hot path; only `explain` turns them into sentences.

use crate::bundle::{ActionTemplate, CompiledBundle, CompiledCampaign, TemplatePart};
use crate::context::Context;
use crate::decision::{
    Action, CampaignVerdict, Decision, Exclusion, Explanation, FailedCondition, Outcome, Placed, Product,
};
use crate::logic::compile::{Expr, VarPath};
use crate::logic::eval::{Env, Hooks};
use crate::logic::value::{js_number_string, Datum, NULL};
use crate::state::{CampaignRecord, VisitorState};
use crate::time::hour_and_weekday;
use std::cell::Cell;

/// Why a campaign was not eligible, without allocating.
#[derive(Debug, Clone, Copy)]
enum Reject {
    Disabled,
    Consent,
    NotStarted(i64),
    Ended,
    OutsideHours(u8),
    OutsideWeekdays(u8),
    SessionCap(u32),
    VisitorCap(u32),
    Cooldown { dismissed_ms: i64, cooldown_ms: i64 },
    OneInterruptionAtATime,
    Budget(u32),
    Gap { last_ms: i64 },
    Segment(u16),
    Condition,
    Holdout,
    NothingToShow(&'static str),
}

/// One decision's evaluation state.
pub(crate) struct Run<'r> {
    bundle: &'r CompiledBundle,
    slots: &'r [Datum<'r>],
    derived: Vec<Datum<'r>>,
    state: &'r VisitorState,
    /// The visitor's campaign records, by campaign index.
    records: Vec<(u32, &'r CampaignRecord)>,
    now_ms: i64,
    hour: u8,
    weekday: u8,
    consent_denied: bool,
    /// A bit per slot (the first 64) holding a truthy value; see `required_slots`.
    present: u64,
    /// Explaining reports exact reasons, so it skips the prefilter.
    explaining: bool,
    /// Segment results: 0 = not yet evaluated, 1 = false, 2 = true.
    segment_memo: Vec<Cell<u8>>,
}

struct CampaignHooks<'h, 'r> {
    run: &'h Run<'r>,
    owner: &'h str,
}

impl Hooks for CampaignHooks<'_, '_> {
    fn segment(&self, index: u16) -> bool {
        self.run.segment(index)
    }

    fn implicit_bucket_key(&self, _env: &Env<'_>) -> Option<String> {
        let id = &self.run.state.id;
        (!id.is_empty()).then(|| format!("{}{}", self.owner, id))
    }
}

fn slot_value<'a>(slots: &'a [Datum<'a>], slot: Option<u16>) -> &'a Datum<'a> {
    slot.and_then(|s| slots.get(usize::from(s))).unwrap_or(&NULL)
}

impl<'r> Run<'r> {
    pub(crate) fn new(
        bundle: &'r CompiledBundle,
        context: &'r Context<'r>,
        state: &'r VisitorState,
        now_ms: i64,
    ) -> Run<'r> {
        let slots = context.slots();
        let known = &bundle.known;
        let (mut hour, mut weekday) = hour_and_weekday(now_ms, bundle.utc_offset_minutes);
        if let Datum::Num(h) = slot_value(slots, known.time_hour) {
            hour = h.clamp(0.0, 23.0) as u8;
        }
        if let Datum::Num(d) = slot_value(slots, known.time_weekday) {
            weekday = d.clamp(1.0, 7.0) as u8;
        }
        let consent_denied = matches!(slot_value(slots, known.consent_personalization), Datum::Bool(false))
            || matches!(slot_value(slots, known.consent_gpc), Datum::Bool(true));
        let records =
            state.campaigns.iter().filter_map(|r| bundle.campaign_index.get(&r.id).map(|i| (*i, r))).collect();
        Run {
            bundle,
            slots,
            derived: bundle.schema.derive(state, now_ms),
            state,
            records,
            now_ms,
            hour,
            weekday,
            consent_denied,
            present: slots
                .iter()
                .take(64)
                .enumerate()
                .fold(0, |mask, (i, d)| if d.truthy() { mask | 1 << i } else { mask }),
            explaining: false,
            segment_memo: (0..bundle.segments.len()).map(|_| Cell::new(0)).collect(),
        }
    }

    fn env<'h>(&'h self, hooks: &'h CampaignHooks<'h, 'r>) -> Env<'h> {
        Env { slots: self.slots, derived: &self.derived, root: &NULL, scope: &NULL, hooks }
    }

    fn segment(&self, index: u16) -> bool {
        let Some(memo) = self.segment_memo.get(usize::from(index)) else { return false };
        match memo.get() {
            1 => false,
            2 => true,
            _ => {
                let Some(segment) = self.bundle.segments.get(usize::from(index)) else { return false };
                let hooks = CampaignHooks { run: self, owner: &segment.id };
                let result = segment.condition.truthy(&self.env(&hooks));
                memo.set(if result { 2 } else { 1 });
                result
            }
        }
    }

    fn record(&self, campaign: u32) -> Option<&'r CampaignRecord> {
        self.records.iter().find(|(i, _)| *i == campaign).map(|(_, r)| *r)
    }

    fn truthy(&self, expr: &Expr, owner: &str) -> bool {
        let hooks = CampaignHooks { run: self, owner };
        expr.truthy(&self.env(&hooks))
    }

    /// Every check but arbitration; `Ok` carries the experiment variant, if any.
    fn eligible(&self, index: u32, c: &CompiledCampaign, interruption_taken: bool) -> Result<Option<usize>, Reject> {
        if !c.enabled {
            return Err(Reject::Disabled);
        }
        if c.requires_consent && self.consent_denied {
            return Err(Reject::Consent);
        }
        if let Some(s) = &c.schedule {
            if let Some(start) = s.start_ms.filter(|start| self.now_ms < *start) {
                return Err(Reject::NotStarted(start));
            }
            if s.end_ms.is_some_and(|end| self.now_ms >= end) {
                return Err(Reject::Ended);
            }
            if let Some((from, to)) = s.hours {
                let inside =
                    if from < to { self.hour >= from && self.hour < to } else { self.hour >= from || self.hour < to };
                if !inside {
                    return Err(Reject::OutsideHours(self.hour));
                }
            }
            if s.weekdays.is_some_and(|mask| mask & (1 << self.weekday) == 0) {
                return Err(Reject::OutsideWeekdays(self.weekday));
            }
        }
        // Deciding checks the visitor's records first (cheap); explaining checks the
        // rules first, so a campaign that could never match says so rather than
        // naming a cap or guardrail.
        if self.explaining {
            self.rules(c)?;
            self.limits(index, c, interruption_taken)?;
        } else {
            self.limits(index, c, interruption_taken)?;
            self.rules(c)?;
        }
        match &c.experiment {
            None => Ok(None),
            Some(experiment) => {
                let key = format!("{}{}", experiment.salt, self.state.id);
                let weights = experiment.variants.iter().map(|v| v.weight).chain(std::iter::once(experiment.holdout));
                match crate::logic::hash::pick_bucket(key.as_bytes(), weights) {
                    Some(variant) if variant < experiment.variants.len() => Ok(Some(variant)),
                    _ => Err(Reject::Holdout),
                }
            }
        }
    }

    /// Caps, cooldown and (for interruptions) the guardrails.
    fn limits(&self, index: u32, c: &CompiledCampaign, interruption_taken: bool) -> Result<(), Reject> {
        if let Some(record) = self.record(index) {
            if c.caps.per_session.is_some_and(|cap| record.s >= cap) {
                return Err(Reject::SessionCap(record.s));
            }
            if c.caps.per_visitor.is_some_and(|cap| record.t >= cap) {
                return Err(Reject::VisitorCap(record.t));
            }
            if let Some(dismissed_ms) = record.dismissed_ms {
                if self.now_ms < dismissed_ms.saturating_add(c.caps.dismiss_cooldown_ms) {
                    return Err(Reject::Cooldown { dismissed_ms, cooldown_ms: c.caps.dismiss_cooldown_ms });
                }
            }
        }
        if c.interruption {
            let session = &self.state.session;
            let guardrails = &self.bundle.guardrails;
            if interruption_taken {
                return Err(Reject::OneInterruptionAtATime);
            }
            if session.interruptions >= guardrails.max_interruptions_per_session {
                return Err(Reject::Budget(session.interruptions));
            }
            if let Some(last_ms) = session.last_interruption_ms {
                if self.now_ms < last_ms.saturating_add(guardrails.min_gap_ms) {
                    return Err(Reject::Gap { last_ms });
                }
            }
        }
        Ok(())
    }

    /// The required-facts prefilter, the segments and the condition.
    fn rules(&self, c: &CompiledCampaign) -> Result<(), Reject> {
        if !self.explaining && c.required & !self.present != 0 {
            return Err(Reject::Condition);
        }
        for &segment in &c.segments {
            if !self.segment(segment) {
                return Err(Reject::Segment(segment));
            }
        }
        if let Some(condition) = &c.condition {
            if !self.truthy(condition, &c.id) {
                return Err(Reject::Condition);
            }
        }
        Ok(())
    }

    fn render(&self, c: &CompiledCampaign, variant: Option<usize>) -> Result<Placed, Reject> {
        let chosen = variant.and_then(|v| c.experiment.as_ref().and_then(|e| e.variants.get(v)));
        let template = chosen.and_then(|v| v.action.as_ref()).unwrap_or(&c.action);
        Ok(Placed {
            placement: self.bundle.placements.get(usize::from(c.placement)).map(|p| p.id.clone()).unwrap_or_default(),
            campaign: c.id.clone(),
            variant: chosen.map(|v| v.id.clone()),
            interruption: c.interruption,
            trigger: c.trigger.clone(),
            action: self.action(template)?,
            why: c.why.clone(),
        })
    }

    fn action(&self, template: &ActionTemplate) -> Result<Action, Reject> {
        Ok(match template {
            ActionTemplate::Banner { title, body, image, cta } => {
                Action::Banner { title: title.clone(), body: body.clone(), image: image.clone(), cta: cta.clone() }
            }
            ActionTemplate::Offer { title, body, code, single_use, display, expires_in_s, terms, cta } => {
                Action::Offer {
                    title: title.clone(),
                    body: body.clone(),
                    code: code.clone(),
                    single_use: *single_use,
                    display: *display,
                    expires_in_s: *expires_in_s,
                    terms: terms.clone(),
                    cta: cta.clone(),
                }
            }
            ActionTemplate::Recommend { title, count, fallback } => {
                let items = self.recommend(*count, fallback);
                if items.is_empty() {
                    return Err(Reject::NothingToShow("no product to recommend for this cart"));
                }
                Action::Recommend { title: title.clone(), items }
            }
            ActionTemplate::Welcome { parts } => Action::Welcome { text: self.fill(parts)? },
            ActionTemplate::Register { title, body, questions, submit_label, reward } => Action::Register {
                title: title.clone(),
                body: body.clone(),
                questions: questions.clone(),
                submit_label: submit_label.clone(),
                reward: reward.clone(),
            },
            ActionTemplate::Chat { message, topic } => Action::Chat { message: message.clone(), topic: topic.clone() },
        })
    }

    /// Fills a greeting; a missing or empty field drops it (never "Hello, undefined").
    fn fill(&self, parts: &[TemplatePart]) -> Result<String, Reject> {
        let mut text = String::new();
        for part in parts {
            match part {
                TemplatePart::Text(t) => text.push_str(t),
                TemplatePart::Field(path) => {
                    let value = match path {
                        VarPath::Slot(s) => self.slots.get(usize::from(*s)),
                        VarPath::Derived(d) => self.derived.get(usize::from(*d)),
                        _ => None,
                    };
                    match value {
                        Some(Datum::Str(s)) if !s.trim().is_empty() => text.push_str(s.trim()),
                        Some(Datum::Num(n)) => text.push_str(&js_number_string(*n)),
                        _ => return Err(Reject::NothingToShow("a greeting field is missing")),
                    }
                }
            }
        }
        Ok(text)
    }

    /// Top-k cross-sell: items related to the cart's items (full weight) and to its
    /// categories (half weight); with an empty cart, the visitor's stated interests.
    /// Never an item already in the cart; ties broken by sku, so every host agrees.
    fn recommend(&self, count: usize, fallback: &[u32]) -> Vec<Product> {
        let b = self.bundle;
        let mut in_cart: Vec<u32> = Vec::new();
        let mut scores: Vec<(u32, f64)> = Vec::new();
        let add = |product: u32, score: f64, scores: &mut Vec<(u32, f64)>| match scores
            .iter_mut()
            .find(|(p, _)| *p == product)
        {
            Some(entry) => entry.1 += score,
            None => scores.push((product, score)),
        };
        let items = match slot_value(self.slots, b.known.cart_items) {
            Datum::List(items) => items.as_slice(),
            _ => &[],
        };
        for item in items {
            let sku = item.get("sku").and_then(Datum::as_str).unwrap_or("");
            let qty = item.get("qty").and_then(Datum::as_f64).unwrap_or(1.0).max(1.0);
            if let Some(index) = b.product_index.get(sku) {
                in_cart.push(*index);
            }
            for (product, score) in b.affinity_items.get(sku).map(Vec::as_slice).unwrap_or(&[]) {
                add(*product, score * qty, &mut scores);
            }
            let category = item
                .get("category")
                .and_then(Datum::as_str)
                .or_else(|| b.product_index.get(sku).and_then(|i| b.product_categories.get(*i as usize)?.as_deref()));
            if let Some(category) = category {
                for (product, score) in b.affinity_categories.get(category).map(Vec::as_slice).unwrap_or(&[]) {
                    add(*product, score * 0.5, &mut scores);
                }
            }
        }
        if items.is_empty() {
            if let Some(Datum::List(interests)) = b.known.interests.and_then(|i| self.derived.get(usize::from(i))) {
                for interest in interests.iter().filter_map(Datum::as_str) {
                    for (product, score) in b.affinity_categories.get(interest).map(Vec::as_slice).unwrap_or(&[]) {
                        add(*product, *score, &mut scores);
                    }
                }
            }
        }
        scores.retain(|(p, _)| !in_cart.contains(p));
        scores.sort_by(|(pa, sa), (pb, sb)| {
            sb.total_cmp(sa).then_with(|| b.products[*pa as usize].sku.cmp(&b.products[*pb as usize].sku))
        });
        let mut picks: Vec<u32> = scores.into_iter().map(|(p, _)| p).take(count).collect();
        if picks.is_empty() {
            picks = fallback.iter().copied().filter(|p| !in_cart.contains(p)).take(count).collect();
        }
        picks.into_iter().filter_map(|p| b.products.get(p as usize).cloned()).collect()
    }

    /// Decide, or (with `verdicts`) explain: the same walk either way.
    fn run(&self, mut verdicts: Option<&mut Vec<CampaignVerdict>>) -> Decision {
        let b = self.bundle;
        let mut decision =
            Decision { serial: b.serial, placements: Vec::new(), holdouts: Vec::new(), recheck_at_ms: None };
        let mut interruption_taken = false;
        for placement in &b.placements {
            let mut winner: Option<&str> = None;
            for &index in &placement.campaigns {
                let Some(c) = b.campaigns.get(index as usize) else { continue };
                if winner.is_some() && verdicts.is_none() {
                    break;
                }
                let verdict =
                    match self.eligible(index, c, interruption_taken).and_then(|v| Ok((v, self.render(c, v)?))) {
                        Ok((variant, placed)) => match winner {
                            Some(to) => Outcome::Lost { to: to.to_owned() },
                            None => {
                                winner = Some(&c.id);
                                interruption_taken |= c.interruption;
                                decision.placements.push(placed);
                                let variant =
                                    variant.and_then(|v| c.experiment.as_ref()?.variants.get(v)).map(|v| v.id.clone());
                                Outcome::Won { variant }
                            }
                        },
                        Err(reject) => {
                            match reject {
                                Reject::Holdout if winner.is_none() => decision.holdouts.push(c.id.clone()),
                                Reject::Gap { last_ms } => {
                                    self.recheck(&mut decision, last_ms.saturating_add(b.guardrails.min_gap_ms))
                                }
                                Reject::NotStarted(start) => self.recheck(&mut decision, start),
                                _ => {}
                            }
                            match verdicts {
                                Some(_) => Outcome::Excluded { reason: self.describe(c, reject) },
                                None => continue,
                            }
                        }
                    };
                if let Some(list) = verdicts.as_deref_mut() {
                    list.push(CampaignVerdict {
                        campaign: c.id.clone(),
                        placement: placement.id.clone(),
                        priority: c.priority,
                        outcome: verdict,
                    });
                }
            }
        }
        decision
    }

    fn recheck(&self, decision: &mut Decision, at_ms: i64) {
        if at_ms > self.now_ms {
            decision.recheck_at_ms = Some(decision.recheck_at_ms.map_or(at_ms, |t| t.min(at_ms)));
        }
    }

    fn describe(&self, c: &CompiledCampaign, reject: Reject) -> Exclusion {
        let seconds = |ms: i64| ms / 1000;
        let g = &self.bundle.guardrails;
        match reject {
            Reject::Disabled => Exclusion::Disabled,
            Reject::Consent => Exclusion::Consent,
            Reject::NotStarted(start) => {
                Exclusion::Schedule { detail: format!("starts in {} s", seconds(start - self.now_ms)) }
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
                    seconds(self.now_ms - dismissed_ms),
                    seconds(cooldown_ms)
                ),
            },
            Reject::OneInterruptionAtATime => {
                Exclusion::Guardrail { detail: "another interruption is already shown".into() }
            }
            Reject::Budget(n) => Exclusion::Guardrail {
                detail: format!("{n} interruption(s) this session (max {})", g.max_interruptions_per_session),
            },
            Reject::Gap { last_ms } => Exclusion::Guardrail {
                detail: format!(
                    "last interruption {} s ago (minimum gap {} s)",
                    seconds(self.now_ms - last_ms),
                    seconds(g.min_gap_ms)
                ),
            },
            Reject::Segment(index) => {
                let segment = &self.bundle.segments[usize::from(index)];
                Exclusion::Segment {
                    segment: segment.id.clone(),
                    failed: self.failing(&segment.condition, &segment.source, segment.path.clone(), &segment.id),
                }
            }
            Reject::Condition => match (&c.condition, &c.condition_source) {
                (Some(expr), Some(source)) => {
                    Exclusion::Condition { failed: self.failing(expr, source, format!("{}.condition", c.path), &c.id) }
                }
                _ => Exclusion::Condition {
                    failed: FailedCondition { path: format!("{}.condition", c.path), rule: serde_json::Value::Null },
                },
            },
            Reject::Holdout => Exclusion::Holdout,
            Reject::NothingToShow(detail) => Exclusion::NothingToShow { detail: detail.into() },
        }
    }

    /// The deepest sub-condition found false: through `and` to its first false
    /// operand, and into referenced segments.
    fn failing(&self, expr: &Expr, source: &serde_json::Value, path: String, owner: &str) -> FailedCondition {
        match (expr, source.get("and").and_then(serde_json::Value::as_array)) {
            (Expr::And(items), Some(sources)) if items.len() == sources.len() => {
                for (i, (item, item_source)) in items.iter().zip(sources).enumerate() {
                    if !self.truthy(item, owner) {
                        return self.failing(item, item_source, format!("{path}.and[{i}]"), owner);
                    }
                }
            }
            (Expr::Segment(index), _) => {
                if let Some(segment) = self.bundle.segments.get(usize::from(*index)) {
                    return self.failing(&segment.condition, &segment.source, segment.path.clone(), &segment.id);
                }
            }
            _ => {}
        }
        FailedCondition { path, rule: source.clone() }
    }
}

pub(crate) fn decide(bundle: &CompiledBundle, context: &Context<'_>, state: &VisitorState, now_ms: i64) -> Decision {
    Run::new(bundle, context, state, now_ms).run(None)
}

pub(crate) fn explain(
    bundle: &CompiledBundle,
    context: &Context<'_>,
    state: &VisitorState,
    now_ms: i64,
) -> Explanation {
    let mut verdicts = Vec::with_capacity(bundle.campaigns.len());
    let mut run = Run::new(bundle, context, state, now_ms);
    run.explaining = true;
    run.run(Some(&mut verdicts));
    Explanation { serial: bundle.serial, campaigns: verdicts }
}

/// The checkout's re-check of an offer: its eligibility rule (else the campaign's
/// segments and condition), its switch and its schedule — not caps or guardrails,
/// which are about pestering, not entitlement.
pub(crate) fn offer_eligible(
    bundle: &CompiledBundle,
    campaign: &str,
    context: &Context<'_>,
    state: &VisitorState,
    now_ms: i64,
) -> bool {
    let Some(&index) = bundle.campaign_index.get(campaign) else { return false };
    let Some(c) = bundle.campaigns.get(index as usize) else { return false };
    if !matches!(c.action, ActionTemplate::Offer { .. }) || !c.enabled {
        return false;
    }
    let run = Run::new(bundle, context, state, now_ms);
    if let Some(s) = &c.schedule {
        if s.start_ms.is_some_and(|t| now_ms < t) || s.end_ms.is_some_and(|t| now_ms >= t) {
            return false;
        }
    }
    match &c.eligibility {
        Some(rule) => run.truthy(rule, &c.id),
        None => c.segments.iter().all(|s| run.segment(*s)) && c.condition.as_ref().is_none_or(|e| run.truthy(e, &c.id)),
    }
}
