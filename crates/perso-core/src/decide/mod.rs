//! Arbitration: per placement, in priority order, the first eligible campaign wins;
//! guardrails apply across placements. [`Run::decide`] stops at each placement's
//! winner (work proportional to what can still win) and writes an [`Output`] —
//! indices plus the computed parts, no strings it need not build; explaining runs
//! the very same checks over every campaign and records why each one won, lost or
//! was excluded ([`Verdict`]). Turning either into readable text is
//! [`render`]'s job, natively; JS hosts do it from the host section.
//!
//! The order of checks puts the cheap ones first (switch, consent, schedule, caps
//! and guardrails from the visitor's records) and conditions last. Exclusions are
//! small `Copy` codes ([`Reject`]). Every condition runs on its budget; one that
//! runs out is excluded ([`Reject::OverBudget`]) and the rest of the page decides on.

#[cfg(feature = "json")]
pub mod render;

use crate::context::{Context, KnownSlots, DERIVED_PATHS};
use crate::limits::{DECISION_BUDGET, MAX_CONDITION_COST};
use crate::logic::eval::{Budget, Env, Hooks};
use crate::logic::ir::{Node, NodeId, VarPath};
use crate::logic::value::{Datum, NULL};
use crate::program::{Campaign, Computed, Program, TemplatePart};
use crate::state::{CampaignRecord, VisitorState};
use crate::time::hour_and_weekday;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::Cell;

/// Why a campaign was not eligible, without allocating.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Reject {
    Disabled,
    Consent,
    NotStarted(i64),
    Ended,
    OutsideHours(u8),
    OutsideWeekdays(u8),
    SessionCap(u32),
    VisitorCap(u32),
    Cooldown {
        dismissed_ms: i64,
        cooldown_ms: i64,
    },
    OneInterruptionAtATime,
    /// Interruptions stay off the guardrails' quiet pages (checkout, account).
    QuietPage,
    Budget(u32),
    Gap {
        last_ms: i64,
    },
    /// Segment `segment` did not match; `failed` is its deepest false node.
    Segment {
        segment: u16,
        failed: NodeId,
    },
    /// The condition is false; `failed` is its deepest false node (`None`: the
    /// prefilter rejected it without evaluating).
    Condition {
        failed: Option<NodeId>,
    },
    Holdout,
    /// Every campaign is off for a visitor in the bundle's global holdout.
    GlobalHoldout,
    NothingToShow(Empty),
    /// The condition ran out of its run-time budget (a costly bundle): excluded.
    OverBudget,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Empty {
    NoRecommendation,
    GreetingFieldMissing,
}

/// One winner, by index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Winner {
    pub placement: u16,
    pub campaign: u32,
    pub variant: Option<u16>,
    pub computed: ComputedOut,
}

/// Where a winner's computed part is in [`Output::picks`] / [`Output::text`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComputedOut {
    Nothing,
    /// Product indices `picks[start..start + len]`.
    Recommend {
        start: u32,
        len: u32,
    },
    /// Bytes `text[start..start + len]`.
    Welcome {
        start: u32,
        len: u32,
    },
}

/// What one decision produced. Reused across decisions (cleared, not reallocated).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Output {
    pub winners: Vec<Winner>,
    /// Campaigns whose experiment held this visitor out (they would have won).
    pub holdouts: Vec<u32>,
    /// When a campaign held back only by time may become eligible.
    pub recheck_at_ms: Option<i64>,
    pub picks: Vec<u32>,
    pub text: String,
    /// Campaigns excluded because their condition ran out of budget.
    pub over_budget: Vec<u32>,
    /// `Some(true)`: in the bundle's global holdout (nothing shown); `Some(false)`:
    /// personalized; `None`: the bundle has no global holdout.
    pub global_holdout: Option<bool>,
}

impl Output {
    pub fn clear(&mut self) {
        self.winners.clear();
        self.holdouts.clear();
        self.recheck_at_ms = None;
        self.picks.clear();
        self.text.clear();
        self.over_budget.clear();
        self.global_holdout = None;
    }

    pub fn winner(&self, placement: u16) -> Option<&Winner> {
        self.winners.iter().find(|w| w.placement == placement)
    }

    pub fn picks_of(&self, winner: &Winner) -> &[u32] {
        match winner.computed {
            ComputedOut::Recommend { start, len } => {
                self.picks.get(start as usize..).and_then(|picks| picks.get(..len as usize)).unwrap_or(&[])
            }
            _ => &[],
        }
    }

    pub fn text_of(&self, winner: &Winner) -> &str {
        match winner.computed {
            ComputedOut::Welcome { start, len } => {
                self.text.get(start as usize..).and_then(|text| text.get(..len as usize)).unwrap_or("")
            }
            _ => "",
        }
    }
}

/// A campaign a preview link shows in its placement (docs/browser-runtime.md, "Preview
/// links"): it wins there regardless of its segments, condition, schedule, caps,
/// cooldown, the guardrails and the global holdout — the marketer's QA view — but not
/// of consent (a `requires_consent` campaign stays off without it) or its switch.
/// `variant`: that experiment variant; `None` (or an index the campaign does not have)
/// buckets the visitor as usual, the first variant standing in for the holdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Force {
    pub campaign: u32,
    pub variant: Option<u16>,
}

/// Explain's record of one campaign.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Verdict {
    pub campaign: u32,
    pub outcome: VerdictOutcome,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum VerdictOutcome {
    Won { variant: Option<u16> },
    Lost { to: u32 },
    Excluded(Reject),
}

/// One decision's evaluation state.
pub struct Run<'r> {
    program: &'r Program,
    slots: &'r [Datum<'r>],
    derived: [Datum<'r>; DERIVED_PATHS.len()],
    state: &'r VisitorState,
    /// The visitor's campaign records, by campaign index.
    records: Vec<(u32, &'r CampaignRecord)>,
    now_ms: i64,
    hour: u8,
    weekday: u8,
    consent_denied: bool,
    /// `page.type` is one of the guardrails' quiet pages.
    quiet_page: bool,
    /// A bit per slot (the first 64) holding a truthy value; see `required_slots`.
    present: u64,
    /// Explaining reports exact reasons, so it skips the prefilter.
    explaining: bool,
    /// Segment results: 0 = not yet evaluated, 1 = false, 2 = true.
    segment_memo: Vec<Cell<u8>>,
    /// The condition being evaluated, and the decision's remaining budget.
    budget: Budget,
    decision_left: Cell<u64>,
    /// Set only by [`Run::force`] (previews); deciding without it is unchanged.
    force: Option<Force>,
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
        (!id.is_empty()).then(|| {
            let mut key = String::with_capacity(self.owner.len().saturating_add(id.len()));
            key.push_str(self.owner);
            key.push_str(id);
            key
        })
    }
}

/// Interruptions already decided in this decision, by kind.
#[derive(Debug, Clone, Copy, Default)]
struct Interruptions {
    unprompted: bool,
    answering: bool,
}

/// An interruption armed on the shopper's own action (add to cart) answers it: it is
/// exempt from the gap between pop-ups and may pre-empt an unprompted one.
pub fn answers_shopper(c: &Campaign) -> bool {
    matches!(c.trigger, crate::vocab::Trigger::AddToCart)
}

fn slot_value<'a>(slots: &'a [Datum<'a>], slot: Option<u16>) -> &'a Datum<'a> {
    slot.and_then(|s| slots.get(usize::from(s))).unwrap_or(&NULL)
}

/// Whether a visitor with this id is in the bundle's global holdout.
pub fn in_global_holdout(program: &Program, visitor_id: &str) -> Option<bool> {
    let holdout = program.holdout.as_ref()?;
    let mut key = String::with_capacity(holdout.salt.len().saturating_add(visitor_id.len()));
    key.push_str(&holdout.salt);
    key.push_str(visitor_id);
    // Above 10,000 basis points (a hand-made binary) the second weight is negative,
    // which counts as zero: everyone is held out.
    let weights = [i64::from(holdout.basis_points), 10_000i64.saturating_sub(i64::from(holdout.basis_points))];
    Some(crate::logic::hash::pick_bucket(key.as_bytes(), weights.into_iter()) == Some(0))
}

impl<'r> Run<'r> {
    pub fn new(program: &'r Program, context: &'r Context<'r>, state: &'r VisitorState, now_ms: i64) -> Run<'r> {
        let slots = context.slots();
        let known: &KnownSlots = program.schema.known();
        let (mut hour, mut weekday) = hour_and_weekday(now_ms, program.utc_offset_minutes);
        if let Datum::Num(h) = slot_value(slots, known.time_hour) {
            hour = h.clamp(0.0, 23.0) as u8;
        }
        if let Datum::Num(d) = slot_value(slots, known.time_weekday) {
            weekday = d.clamp(1.0, 7.0) as u8;
        }
        let consent_denied = matches!(slot_value(slots, known.consent_personalization), Datum::Bool(false))
            || matches!(slot_value(slots, known.consent_gpc), Datum::Bool(true));
        let quiet_page = match slot_value(slots, known.page_type) {
            Datum::Str(page_type) => program.guardrails.quiet_pages.iter().any(|quiet| **quiet == **page_type),
            _ => false,
        };
        let records = state.campaigns.iter().filter_map(|r| program.campaign_index(&r.id).map(|i| (i, r))).collect();
        Run {
            program,
            slots,
            derived: program.schema.derive(state, now_ms),
            state,
            records,
            now_ms,
            hour,
            weekday,
            consent_denied,
            quiet_page,
            present: slots
                .iter()
                .take(64)
                .enumerate()
                .fold(0, |mask, (i, d)| if d.truthy() { mask | 1 << i } else { mask }),
            explaining: false,
            segment_memo: (0..program.segments.len()).map(|_| Cell::new(0)).collect(),
            budget: Budget::new(MAX_CONDITION_COST),
            decision_left: Cell::new(DECISION_BUDGET),
            force: None,
        }
    }

    /// Makes [`Run::decide`] show `force`'s campaign in its placement (see [`Force`]).
    /// Explaining ignores it: explain says what the rules decide.
    pub fn force(mut self, force: Option<Force>) -> Self {
        self.force = force;
        self
    }

    fn env<'h>(&'h self, hooks: &'h CampaignHooks<'h, 'r>) -> Env<'h> {
        Env {
            logic: &self.program.logic,
            slots: self.slots,
            derived: &self.derived,
            root: &NULL,
            scope: &NULL,
            hooks,
            budget: &self.budget,
        }
    }

    fn segment(&self, index: u16) -> bool {
        let Some(memo) = self.segment_memo.get(usize::from(index)) else { return false };
        match memo.get() {
            1 => false,
            2 => true,
            _ => {
                let Some(segment) = self.program.segments.get(usize::from(index)) else { return false };
                let hooks = CampaignHooks { run: self, owner: &segment.id };
                let result = self.env(&hooks).truthy(segment.condition);
                // A segment cut short by the budget is not remembered as false.
                if !self.budget.exhausted() {
                    memo.set(if result { 2 } else { 1 });
                }
                result
            }
        }
    }

    fn record(&self, campaign: u32) -> Option<&'r CampaignRecord> {
        self.records.iter().find(|(i, _)| *i == campaign).map(|(_, r)| *r)
    }

    /// Runs `f` (one condition) on a fresh per-condition budget, drawn from the
    /// decision's; `Err` when either runs out.
    fn budgeted<T>(&self, f: impl FnOnce() -> T) -> Result<T, Reject> {
        let allowance = self.decision_left.get().min(MAX_CONDITION_COST);
        if allowance == 0 {
            return Err(Reject::OverBudget);
        }
        self.budget.reset(allowance);
        let result = f();
        let spent = allowance.saturating_sub(self.budget.remaining());
        self.decision_left.set(self.decision_left.get().saturating_sub(spent));
        if self.budget.exhausted() {
            Err(Reject::OverBudget)
        } else {
            Ok(result)
        }
    }

    fn truthy(&self, root: NodeId, owner: &str) -> Result<bool, Reject> {
        self.budgeted(|| {
            let hooks = CampaignHooks { run: self, owner };
            self.env(&hooks).truthy(root)
        })
    }

    /// Every check but arbitration; `Ok` carries the experiment variant, if any.
    fn eligible(&self, index: u32, c: &Campaign, taken: Interruptions) -> Result<Option<u16>, Reject> {
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
            self.limits(index, c, taken)?;
        } else {
            self.limits(index, c, taken)?;
            self.rules(c)?;
        }
        match &c.experiment {
            None => Ok(None),
            Some(experiment) => self.bucket(experiment).map(Some).ok_or(Reject::Holdout),
        }
    }

    /// The visitor's variant of an experiment; `None`: held out.
    fn bucket(&self, experiment: &crate::program::Experiment) -> Option<u16> {
        let mut key = String::with_capacity(experiment.salt.len().saturating_add(self.state.id.len()));
        key.push_str(&experiment.salt);
        key.push_str(&self.state.id);
        let weights = experiment.variants.iter().map(|v| v.weight).chain(core::iter::once(experiment.holdout));
        match crate::logic::hash::pick_bucket(key.as_bytes(), weights) {
            Some(variant) if variant < experiment.variants.len() => u16::try_from(variant).ok(),
            _ => None,
        }
    }

    /// A forced campaign's variant, or why it cannot be shown (its switch, consent).
    fn forced(&self, c: &Campaign, force: Force) -> Result<Option<u16>, Reject> {
        if !c.enabled {
            return Err(Reject::Disabled);
        }
        if c.requires_consent && self.consent_denied {
            return Err(Reject::Consent);
        }
        Ok(c.experiment.as_ref().map(|experiment| {
            force
                .variant
                .filter(|v| usize::from(*v) < experiment.variants.len())
                .or_else(|| self.bucket(experiment))
                .unwrap_or(0)
        }))
    }

    /// Caps, cooldown and (for interruptions) the guardrails.
    fn limits(&self, index: u32, c: &Campaign, taken: Interruptions) -> Result<(), Reject> {
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
            let guardrails = &self.program.guardrails;
            if self.quiet_page {
                return Err(Reject::QuietPage);
            }
            // One of each kind at a time: an unprompted interruption and one that answers
            // the shopper's own action may both be armed; when the shopper acts, the
            // answer pre-empts the other on screen (the host makes it yield).
            let answers = answers_shopper(c);
            if (answers && taken.answering) || (!answers && taken.unprompted) {
                return Err(Reject::OneInterruptionAtATime);
            }
            // Both count against the session's budget, those decided beside it included.
            let decided = u32::from(taken.answering).saturating_add(u32::from(taken.unprompted));
            if session.interruptions.saturating_add(decided) >= guardrails.max_interruptions_per_session {
                return Err(Reject::Budget(session.interruptions));
            }
            // The gap keeps unprompted pop-ups apart; an answer comes when the shopper acts.
            if !answers {
                if let Some(last_ms) = session.last_interruption_ms {
                    if self.now_ms < last_ms.saturating_add(guardrails.min_gap_ms) {
                        return Err(Reject::Gap { last_ms });
                    }
                }
            }
        }
        Ok(())
    }

    /// The required-facts prefilter, the segments and the condition.
    fn rules(&self, c: &Campaign) -> Result<(), Reject> {
        if !self.explaining && c.required & !self.present != 0 {
            return Err(Reject::Condition { failed: None });
        }
        for &segment in &c.segments {
            let Some(spec) = self.program.segments.get(usize::from(segment)) else {
                return Err(Reject::Condition { failed: None });
            };
            if !self.budgeted(|| self.segment(segment))? {
                let failed = if self.explaining { self.failing(spec.condition, &spec.id) } else { spec.condition };
                return Err(Reject::Segment { segment, failed });
            }
        }
        if let Some(condition) = c.condition {
            if !self.truthy(condition, &c.id)? {
                let failed = self.explaining.then(|| self.failing(condition, &c.id));
                return Err(Reject::Condition { failed });
            }
        }
        Ok(())
    }

    /// The deepest sub-condition found false: through `and` to its first false
    /// operand, through `!` and `!!`, into the taken branch of `if`, into a referenced
    /// segment, through the generic form of a specialized clause; `or` (every
    /// operand false) and leaves are where it stops. One visitor over the arena.
    pub fn failing(&self, mut node: NodeId, owner: &str) -> NodeId {
        let logic = &self.program.logic;
        for _ in 0..=crate::limits::MAX_DEPTH * (crate::limits::MAX_SEGMENT_NESTING + 1) {
            let next = match logic.node(node) {
                Node::And(items) => {
                    logic.args(*items).iter().copied().find(|i| !self.truthy(*i, owner).unwrap_or(false))
                }
                Node::Truthy(inner) => Some(*inner),
                Node::Segment(index) => self.program.segments.get(usize::from(*index)).map(|s| s.condition),
                Node::If(items) => {
                    // (condition, branch) pairs, then the else branch if the count is odd.
                    let mut pairs = logic.args(*items).chunks_exact(2);
                    let taken = pairs.by_ref().find_map(|pair| match pair {
                        [condition, then] if self.truthy(*condition, owner).unwrap_or(false) => Some(*then),
                        _ => None,
                    });
                    taken.or_else(|| pairs.remainder().first().copied())
                }
                _ => None,
            };
            match next {
                Some(next) => node = next,
                None => break,
            }
        }
        node
    }

    fn computed<'c>(&self, c: &'c Campaign, variant: Option<u16>) -> &'c Computed {
        let chosen = variant.and_then(|v| c.experiment.as_ref().and_then(|e| e.variants.get(usize::from(v))));
        chosen.and_then(|v| v.computed.as_ref()).unwrap_or(&c.computed)
    }

    /// Computes a winner's computed part into `out`; `Err` when there is nothing to show.
    fn compute(&self, c: &Campaign, variant: Option<u16>, out: &mut Output) -> Result<ComputedOut, Reject> {
        Ok(match self.computed(c, variant) {
            Computed::Nothing => ComputedOut::Nothing,
            Computed::Recommend { count, fallback } => {
                let start = out.picks.len();
                self.recommend(usize::from(*count), fallback, &mut out.picks);
                // `recommend` only appends: the length cannot go below `start`.
                let len = out.picks.len().saturating_sub(start);
                if len == 0 {
                    return Err(Reject::NothingToShow(Empty::NoRecommendation));
                }
                ComputedOut::Recommend { start: start as u32, len: len as u32 }
            }
            Computed::Welcome { parts } => {
                let start = out.text.len();
                if !self.fill(parts, &mut out.text) {
                    out.text.truncate(start);
                    return Err(Reject::NothingToShow(Empty::GreetingFieldMissing));
                }
                // `fill` only appends: the length cannot go below `start`.
                ComputedOut::Welcome { start: start as u32, len: out.text.len().saturating_sub(start) as u32 }
            }
        })
    }

    /// Fills a greeting; a missing or empty field drops it (never "Hello, undefined").
    fn fill(&self, parts: &[TemplatePart], text: &mut String) -> bool {
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
                        Some(Datum::Num(n)) => crate::logic::number::write(*n, text),
                        _ => return false,
                    }
                }
            }
        }
        true
    }

    /// Top-k cross-sell: items related to the cart's items (full weight) and to its
    /// categories (half weight); with an empty cart, the visitor's stated interests.
    /// Never an item already in the cart; ties broken by sku, so every host agrees.
    fn recommend(&self, count: usize, fallback: &[u32], picks: &mut Vec<u32>) {
        let p = self.program;
        let mut in_cart: Vec<u32> = Vec::new();
        let mut scores: Vec<(u32, f64)> = Vec::new();
        let add = |product: u32, score: f64, scores: &mut Vec<(u32, f64)>| match scores
            .iter_mut()
            .find(|(p, _)| *p == product)
        {
            Some(entry) => entry.1 += score,
            None => scores.push((product, score)),
        };
        let related = |table: &'r [Vec<(u32, f64)>], index: Option<u32>| -> &'r [(u32, f64)] {
            index.and_then(|i| table.get(i as usize)).map_or(&[], Vec::as_slice)
        };
        let items = match slot_value(self.slots, p.schema.known().cart_items) {
            Datum::List(items) => items.as_slice(),
            _ => &[],
        };
        for item in items {
            let sku = item.get("sku").and_then(Datum::as_str).unwrap_or("");
            let qty = item.get("qty").and_then(Datum::as_f64).unwrap_or(1.0).max(1.0);
            let product = p.product_index(sku);
            if let Some(index) = product {
                in_cart.push(index);
            }
            for (related_product, score) in related(&p.affinity_items, product) {
                add(*related_product, score * qty, &mut scores);
            }
            let category = match item.get("category").and_then(Datum::as_str) {
                Some(name) => p.category_index(name),
                None => product.and_then(|i| p.products.get(i as usize)).and_then(|p| p.category),
            };
            for (related_product, score) in related(&p.affinity_categories, category) {
                add(*related_product, score * 0.5, &mut scores);
            }
        }
        if items.is_empty() {
            if let Some(Datum::List(interests)) = self.derived.get(crate::context::INTERESTS) {
                for interest in interests.iter().filter_map(Datum::as_str) {
                    for (related_product, score) in related(&p.affinity_categories, p.category_index(interest)) {
                        add(*related_product, *score, &mut scores);
                    }
                }
            }
        }
        scores.retain(|(product, _)| !in_cart.contains(product));
        // The top `count` by score; product indices are in sku order, so the index
        // breaks ties by sku. A selection (count <= 24), not a sort of every candidate.
        let better = |(pa, sa): &(u32, f64), (pb, sb): &(u32, f64)| sa.total_cmp(sb).reverse().then(pa.cmp(pb)).is_lt();
        let mut top: Vec<(u32, f64)> = Vec::with_capacity(count.saturating_add(1));
        for candidate in scores {
            let at = top.iter().position(|kept| better(&candidate, kept)).unwrap_or(top.len());
            if at < count {
                top.insert(at, candidate);
                top.truncate(count);
            }
        }
        let start = picks.len();
        picks.extend(top.iter().map(|(product, _)| *product));
        if picks.len() == start {
            picks.extend(fallback.iter().copied().filter(|product| !in_cart.contains(product)).take(count));
        }
    }

    /// Decides into `out`.
    pub fn decide(&mut self, out: &mut Output) {
        out.clear();
        self.walk(out, None);
    }

    /// Explains into `verdicts` (every campaign, in evaluation order); `out` gets the
    /// decision the same walk makes.
    pub fn explain(&mut self, out: &mut Output, verdicts: &mut Vec<Verdict>) {
        out.clear();
        self.explaining = true;
        self.walk(out, Some(verdicts));
        self.explaining = false;
    }

    fn walk(&self, out: &mut Output, mut verdicts: Option<&mut Vec<Verdict>>) {
        let p = self.program;
        out.global_holdout = in_global_holdout(p, &self.state.id);
        let held_out = out.global_holdout == Some(true);
        let mut taken = Interruptions::default();
        for (placement_index, placement) in p.placements.iter().enumerate() {
            let mut winner: Option<u32> = None;
            // A preview's forced campaign goes first, past its rules; if it cannot show
            // (consent, switched off, nothing to show) the placement decides as usual.
            let mut forcing = self.force.filter(|f| verdicts.is_none() && placement.campaigns.contains(&f.campaign));
            let first = forcing.map(|f| f.campaign);
            for index in first.into_iter().chain(placement.campaigns.iter().copied()) {
                let forced = forcing.take();
                let Some(c) = p.campaign(index) else { continue };
                if winner.is_some() && verdicts.is_none() {
                    break;
                }
                let decided = match forced {
                    Some(force) => self.forced(c, force),
                    None if held_out => Err(Reject::GlobalHoldout),
                    None => self.eligible(index, c, taken),
                };
                let outcome = match decided {
                    // An eligible campaign with nothing to show is excluded, even
                    // behind a winner (explain says so rather than "lost").
                    Ok(variant) => {
                        let (picks, text) = (out.picks.len(), out.text.len());
                        match (self.compute(c, variant, out), winner) {
                            (Ok(_), Some(to)) => {
                                out.picks.truncate(picks);
                                out.text.truncate(text);
                                VerdictOutcome::Lost { to }
                            }
                            (Ok(computed), None) => {
                                winner = Some(index);
                                if c.interruption {
                                    if answers_shopper(c) {
                                        taken.answering = true;
                                    } else {
                                        taken.unprompted = true;
                                    }
                                }
                                out.winners.push(Winner {
                                    placement: placement_index as u16,
                                    campaign: index,
                                    variant,
                                    computed,
                                });
                                VerdictOutcome::Won { variant }
                            }
                            (Err(reject), _) => VerdictOutcome::Excluded(reject),
                        }
                    }
                    Err(_) if forced.is_some() => continue,
                    Err(reject) => {
                        match reject {
                            Reject::Holdout if winner.is_none() => out.holdouts.push(index),
                            Reject::Gap { last_ms } => {
                                self.recheck(out, last_ms.saturating_add(p.guardrails.min_gap_ms))
                            }
                            Reject::NotStarted(start) => self.recheck(out, start),
                            Reject::OverBudget => out.over_budget.push(index),
                            _ => {}
                        }
                        VerdictOutcome::Excluded(reject)
                    }
                };
                if let Some(list) = verdicts.as_deref_mut() {
                    list.push(Verdict { campaign: index, outcome });
                }
            }
        }
    }

    fn recheck(&self, out: &mut Output, at_ms: i64) {
        if at_ms > self.now_ms {
            out.recheck_at_ms = Some(out.recheck_at_ms.map_or(at_ms, |t| t.min(at_ms)));
        }
    }

    /// The checkout's re-check of an offer: its eligibility rule (else the
    /// campaign's segments and condition), its switch and its schedule — not caps or
    /// guardrails, which are about pestering, not entitlement.
    pub fn offer_eligible(&self, campaign: u32) -> bool {
        self.offer_verdict(campaign) == OfferVerdict::Eligible
    }

    /// The checkout's re-check of an offer (or a registration prompt's reward) and,
    /// when it fails, why: the campaign's switch and schedule, then its eligibility
    /// (an offer without one: its segments and condition) with the deepest false
    /// sub-condition. Caps, consent, triggers and guardrails are about showing, not
    /// about what was promised, and are not checked.
    pub fn offer_verdict(&self, campaign: u32) -> OfferVerdict {
        let Some(c) = self.program.campaign(campaign) else { return OfferVerdict::Unknown };
        let redeemable = match c.kind {
            crate::program::ActionKind::Offer => true,
            // A reward always has an eligibility (a constant `true` without one).
            crate::program::ActionKind::Register => c.eligibility.is_some(),
            _ => false,
        };
        if !redeemable {
            return OfferVerdict::NotAnOffer;
        }
        if !c.enabled {
            return OfferVerdict::Disabled;
        }
        if let Some(s) = &c.schedule {
            if s.start_ms.is_some_and(|t| self.now_ms < t) || s.end_ms.is_some_and(|t| self.now_ms >= t) {
                return OfferVerdict::OutsideSchedule;
            }
        }
        match c.eligibility {
            Some(rule) => match self.truthy(rule, &c.id) {
                Ok(true) => OfferVerdict::Eligible,
                Ok(false) => OfferVerdict::Failed { node: Some(self.failing(rule, &c.id)) },
                Err(_) => OfferVerdict::OverBudget,
            },
            None => {
                for s in &c.segments {
                    match self.budgeted(|| self.segment(*s)) {
                        Ok(true) => {}
                        Ok(false) => {
                            let node = self
                                .program
                                .segments
                                .get(usize::from(*s))
                                .map(|seg| self.failing(seg.condition, &seg.id));
                            return OfferVerdict::Failed { node };
                        }
                        Err(_) => return OfferVerdict::OverBudget,
                    }
                }
                match c.condition.map(|e| (e, self.truthy(e, &c.id))) {
                    None | Some((_, Ok(true))) => OfferVerdict::Eligible,
                    Some((e, Ok(false))) => OfferVerdict::Failed { node: Some(self.failing(e, &c.id)) },
                    Some((_, Err(_))) => OfferVerdict::OverBudget,
                }
            }
        }
    }
}

/// The checkout's answer for one offer ([`Run::offer_verdict`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfferVerdict {
    Eligible,
    /// No campaign has this index.
    Unknown,
    /// The campaign is not an offer, nor a registration prompt with a reward.
    NotAnOffer,
    Disabled,
    /// Before its schedule's start or after its end.
    OutsideSchedule,
    /// The eligibility is false; `node` is its deepest false sub-condition.
    Failed {
        node: Option<NodeId>,
    },
    /// The eligibility ran out of its run-time budget.
    OverBudget,
}

#[cfg(all(test, feature = "json"))]
mod tests {
    use super::{Force, Output};
    use crate::{Engine, VisitorState};

    const NOW_MS: i64 = 1_800_000_000_000; // 2027-01-15

    /// hero: `ended` (never matches, schedule over) > `exp` (experiment a/b + holdout) >
    /// `fallback` > `consented`; popup: `offer`, capped at one per session.
    fn bundle(global_holdout: bool) -> Engine {
        let holdout = if global_holdout { r#","holdout":{"percent":100}"# } else { "" };
        let bundle = format!(
            r#"{{"version":1,"serial":7,"expires_at":"2030-01-01T00:00:00Z"{holdout},
            "placements":[{{"id":"hero"}},{{"id":"popup"}}],
            "segments":[{{"id":"never","condition":{{"==":[1,2]}}}}],
            "campaigns":[
              {{"id":"ended","placement":"hero","priority":90,"segments":["never"],"schedule":{{"end":"2020-01-01"}},
                "action":{{"kind":"banner","title":"Ended"}}}},
              {{"id":"exp","placement":"hero","priority":50,
                "experiment":{{"holdout":1,"variants":[{{"id":"a","weight":1}},{{"id":"b","weight":1,"action":{{"kind":"banner","title":"B"}}}}]}},
                "action":{{"kind":"banner","title":"A"}}}},
              {{"id":"fallback","placement":"hero","priority":10,"action":{{"kind":"banner","title":"Default"}}}},
              {{"id":"consented","placement":"hero","priority":5,"requires_consent":true,"action":{{"kind":"banner","title":"C"}}}},
              {{"id":"offer","placement":"popup","priority":10,"caps":{{"per_session":1}},"action":{{"kind":"offer","title":"O"}}}}
            ]}}"#
        );
        Engine::from_bundle(bundle.as_bytes()).unwrap()
    }

    fn decide(engine: &Engine, context: &str, state: &VisitorState, force: Option<Force>) -> Output {
        let context = engine.read_context(context.as_bytes()).unwrap();
        let mut out = Output::default();
        match force {
            None => engine.decide_into(&context, state, NOW_MS, &mut out),
            Some(_) => engine.decide_forced_into(&context, state, NOW_MS, force, &mut out),
        }
        out
    }

    /// (campaign id, variant id) per placement index, for readable assertions.
    fn shown(engine: &Engine, out: &Output) -> Vec<(u16, String, Option<String>)> {
        out.winners
            .iter()
            .map(|w| {
                let c = engine.program().campaign(w.campaign).unwrap();
                let variant = w.variant.map(|v| c.experiment.as_ref().unwrap().variants[usize::from(v)].id.to_string());
                (w.placement, c.id.to_string(), variant)
            })
            .collect()
    }

    fn force(engine: &Engine, campaign: &str, variant: Option<u16>) -> Option<Force> {
        Some(Force { campaign: engine.campaign_index(campaign).unwrap(), variant })
    }

    /// A visitor id the `exp` experiment buckets into `want` (None: the holdout).
    fn visitor_in(engine: &Engine, want: Option<&str>) -> VisitorState {
        (0..1000)
            .map(|i| VisitorState::new(&format!("visitor-{i}"), NOW_MS - 60_000))
            .find(|state| {
                let out = decide(engine, "{}", state, None);
                let hero = shown(engine, &out).into_iter().find(|(p, ..)| *p == 0);
                match want {
                    Some(v) => hero.is_some_and(|(_, c, variant)| c == "exp" && variant.as_deref() == Some(v)),
                    None => hero.is_some_and(|(_, c, _)| c == "fallback"),
                }
            })
            .unwrap()
    }

    #[test]
    fn a_forced_campaign_wins_its_placement_whatever_its_rules_say() {
        let engine = bundle(false);
        let state = visitor_in(&engine, Some("a"));
        // Unforced: `ended` never matches (segment, schedule); `exp` wins with a.
        assert_eq!(
            shown(&engine, &decide(&engine, "{}", &state, None)),
            [(0, "exp".into(), Some("a".into())), (1, "offer".into(), None)]
        );
        // Forced past its segment and its schedule, above a higher-priority winner's place.
        let out = decide(&engine, "{}", &state, force(&engine, "ended", None));
        assert_eq!(shown(&engine, &out), [(0, "ended".into(), None), (1, "offer".into(), None)]);
        // A lower-priority campaign, over the one that would have won.
        let out = decide(&engine, "{}", &state, force(&engine, "fallback", None));
        assert_eq!(shown(&engine, &out)[0], (0, "fallback".into(), None));
    }

    #[test]
    fn forcing_picks_the_variant_asked_for_else_the_visitors_own() {
        let engine = bundle(false);
        let in_a = visitor_in(&engine, Some("a"));
        let held_out = visitor_in(&engine, None);
        let b = decide(&engine, "{}", &in_a, force(&engine, "exp", Some(1)));
        assert_eq!(shown(&engine, &b)[0], (0, "exp".into(), Some("b".into())));
        // No variant asked: the visitor's bucket; held out, the first variant stands in.
        assert_eq!(
            shown(&engine, &decide(&engine, "{}", &in_a, force(&engine, "exp", None)))[0].2.as_deref(),
            Some("a")
        );
        let out = decide(&engine, "{}", &held_out, force(&engine, "exp", None));
        assert_eq!(shown(&engine, &out)[0], (0, "exp".into(), Some("a".into())));
        assert!(out.holdouts.is_empty(), "a forced campaign is not reported as held out");
        // A variant index the campaign does not have is the visitor's own bucket.
        assert_eq!(
            shown(&engine, &decide(&engine, "{}", &in_a, force(&engine, "exp", Some(9))))[0].2.as_deref(),
            Some("a")
        );
    }

    #[test]
    fn forcing_overrides_caps_and_the_global_holdout_but_not_consent() {
        let engine = bundle(false);
        let state = visitor_in(&engine, Some("a"));
        let capped = engine.record_impression_of(state.clone(), "offer", NOW_MS - 1000);
        assert!(shown(&engine, &decide(&engine, "{}", &capped, None)).iter().all(|(p, ..)| *p != 1), "capped");
        let out = decide(&engine, "{}", &capped, force(&engine, "offer", None));
        assert!(shown(&engine, &out).contains(&(1, "offer".into(), None)), "shown past its session cap");
        // Consent is still honoured: without it the placement decides as usual.
        let denied = r#"{"consent":{"personalization":false}}"#;
        let out = decide(&engine, denied, &state, force(&engine, "consented", None));
        assert_eq!(shown(&engine, &out)[0], (0, "exp".into(), Some("a".into())));
        let gpc = r#"{"consent":{"personalization":true,"gpc":true}}"#;
        assert_eq!(shown(&engine, &decide(&engine, gpc, &state, force(&engine, "consented", None)))[0].1, "exp");
        let granted = r#"{"consent":{"personalization":true}}"#;
        assert_eq!(
            shown(&engine, &decide(&engine, granted, &state, force(&engine, "consented", None)))[0].1,
            "consented"
        );
        // The global holdout keeps every other placement on its default.
        let held = bundle(true);
        assert!(decide(&held, "{}", &state, None).winners.is_empty());
        let out = decide(&held, "{}", &state, force(&held, "fallback", None));
        assert_eq!(shown(&held, &out), [(0, "fallback".into(), None)]);
        assert_eq!(out.global_holdout, Some(true));
    }
}
