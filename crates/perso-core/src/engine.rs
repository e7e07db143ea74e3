//! [`Engine`]: a loaded bundle and every operation hosts call — deciding, and every
//! change to the visitor state (page views, impressions, dismissals, clicks,
//! registration answers checked against the bundle's questions, events reported by
//! the browser to the edge, fitting the state to a byte budget), so no host needs to
//! read the bundle or know the state's rules. Stateless between calls: the visitor
//! state and the clock come in as arguments and the new state goes out, so one
//! engine serves every request of an edge isolate and every test with fixed inputs.

use crate::context::{Context, ContextError};
use crate::decide::{Force, Output, Run, Verdict};
use crate::limits::MAX_SERIAL;
use crate::program::codec::{self, BinaryError};
use crate::program::Program;
use crate::state::{PageView, VisitorState};
use alloc::string::String;
use alloc::vec::Vec;

#[derive(Debug)]
pub struct Engine {
    program: Program,
    /// The host section, as shown to shoppers (native hosts render decisions with it).
    #[cfg(feature = "json")]
    host: crate::host::HostView,
    #[cfg(feature = "json")]
    source: Option<crate::bundle::compile::SourceMap>,
    #[cfg(feature = "json")]
    warnings: Vec<crate::bundle::BundleIssue>,
    #[cfg(feature = "json")]
    reader: crate::context::json::JsonReader,
}

/// Why a runtime must not use a (valid, verified) bundle.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FreshnessError {
    /// Older than one this device (or the worker's configured floor) accepted: a
    /// replayed old bundle.
    #[error("bundle serial {serial} is older than serial {last_accepted} accepted before (rollback refused)")]
    Rollback { serial: u64, last_accepted: u64 },
    /// Past its expiry: the publisher stopped refreshing it (freeze refused).
    #[error("bundle expired at {expires_at_ms} ms; it is now {now_ms} ms")]
    Expired { expires_at_ms: i64, now_ms: i64 },
}

/// Something the browser reported to the edge (docs/edge-deploy.md §1.3).
#[derive(Debug, Clone, PartialEq)]
pub enum ClientEvent {
    Impression { campaign: u32 },
    Dismissal { campaign: u32 },
    Click { campaign: u32 },
    Register { answers: Vec<String> },
}

impl Engine {
    fn with_program(program: Program) -> Engine {
        Engine {
            program,
            #[cfg(feature = "json")]
            host: crate::host::HostView {
                serial: 0,
                expires_at_ms: 0,
                placements: Vec::new(),
                campaigns: Vec::new(),
                whys: Vec::new(),
                products: Vec::new(),
                slots: Vec::new(),
                references: Vec::new(),
                time_on_site_thresholds: Vec::new(),
            },
            #[cfg(feature = "json")]
            source: None,
            #[cfg(feature = "json")]
            warnings: Vec::new(),
            #[cfg(feature = "json")]
            reader: crate::context::json::JsonReader::default(),
        }
    }

    /// Loads a compiled bundle (`bundle.bin`, see [`codec`]): decoded and every index
    /// checked, no JSON parsed. Native hosts also read its host section.
    pub fn from_compiled(bytes: &[u8]) -> Result<Engine, BinaryError> {
        let (program, host) = codec::decode(bytes)?;
        #[allow(unused_mut)]
        let mut engine = Engine::with_program(program);
        #[cfg(feature = "json")]
        {
            engine.host =
                serde_json::from_slice(host).map_err(|_| BinaryError::Malformed { section: codec::Section::Host })?;
            engine.reader = crate::context::json::JsonReader::new(&engine.program.schema);
        }
        #[cfg(not(feature = "json"))]
        let _ = host;
        Ok(engine)
    }

    pub fn program(&self) -> &Program {
        &self.program
    }

    pub fn serial(&self) -> u64 {
        self.program.serial
    }

    pub fn expires_at_ms(&self) -> i64 {
        self.program.expires_at_ms
    }

    /// The anti-rollback and anti-freeze check a runtime makes after verifying the
    /// signature; `last_accepted` is the highest serial this device accepted (or the
    /// worker's configured minimum). Serials above 2^53 - 1 never load.
    pub fn check_freshness(&self, last_accepted: Option<u64>, now_ms: i64) -> Result<(), FreshnessError> {
        let serial = self.program.serial;
        if let Some(last_accepted) = last_accepted.map(|l| l.min(MAX_SERIAL)).filter(|last| serial < *last) {
            return Err(FreshnessError::Rollback { serial, last_accepted });
        }
        if now_ms >= self.program.expires_at_ms {
            return Err(FreshnessError::Expired { expires_at_ms: self.program.expires_at_ms, now_ms });
        }
        Ok(())
    }

    /// Every context path the bundle reads: all a host needs to collect.
    pub fn references(&self) -> Vec<String> {
        self.program.schema.references()
    }

    pub fn time_on_site_thresholds(&self) -> &[u32] {
        &self.program.time_on_site_thresholds
    }

    /// A context in the slot encoding (see [`crate::context::slots`]).
    pub fn read_slots<'a>(&self, bytes: &'a [u8]) -> Result<Context<'a>, ContextError> {
        crate::context::slots::read(&self.program.schema, bytes)
    }

    /// Decides into `out` (indices and computed parts; reuse `out` across calls).
    pub fn decide_into(&self, context: &Context<'_>, state: &VisitorState, now_ms: i64, out: &mut Output) {
        self.decide_forced_into(context, state, now_ms, None, out);
    }

    /// [`Engine::decide_into`], with `force`'s campaign (if any) shown in its placement
    /// whatever its rules say (a preview link's QA view, see [`Force`]); other
    /// placements decide as usual.
    pub fn decide_forced_into(
        &self,
        context: &Context<'_>,
        state: &VisitorState,
        now_ms: i64,
        force: Option<Force>,
        out: &mut Output,
    ) {
        Run::new(&self.program, context, state, now_ms).force(force).decide(out);
    }

    /// Explains: every campaign's verdict, in evaluation order.
    pub fn explain_into(
        &self,
        context: &Context<'_>,
        state: &VisitorState,
        now_ms: i64,
        out: &mut Output,
    ) -> Vec<Verdict> {
        let mut verdicts = Vec::with_capacity(self.program.campaigns.len());
        Run::new(&self.program, context, state, now_ms).explain(out, &mut verdicts);
        verdicts
    }

    /// Whether the shopper is entitled to an offer, re-checked at checkout against
    /// facts the store's server knows.
    pub fn check_offer_index(&self, campaign: u32, context: &Context<'_>, state: &VisitorState, now_ms: i64) -> bool {
        Run::new(&self.program, context, state, now_ms).offer_eligible(campaign)
    }

    /// [`Engine::check_offer_index`] with the reason when it fails (the deepest false
    /// sub-condition of the eligibility).
    pub fn offer_verdict_index(
        &self,
        campaign: u32,
        context: &Context<'_>,
        state: &VisitorState,
        now_ms: i64,
    ) -> crate::decide::OfferVerdict {
        Run::new(&self.program, context, state, now_ms).offer_verdict(campaign)
    }

    pub fn campaign_index(&self, id: &str) -> Option<u32> {
        self.program.campaign_index(id)
    }

    // ----- the visitor state's transitions -----

    /// A page view (starts a new session after 30 idle minutes).
    pub fn page_view(&self, state: VisitorState, page: &PageView, now_ms: i64) -> VisitorState {
        state.page_view(page, now_ms)
    }

    /// Records that a campaign was rendered; offers, registration prompts and chat
    /// triggers count against the session's interruption budget. An index the bundle
    /// does not have changes nothing.
    pub fn record_impression(&self, state: VisitorState, campaign: u32, now_ms: i64) -> VisitorState {
        match self.program.campaign(campaign) {
            Some(c) => state.impression(&c.id, c.interruption, now_ms),
            None => state,
        }
    }

    pub fn record_dismissal(&self, state: VisitorState, campaign: u32, now_ms: i64) -> VisitorState {
        match self.program.campaign(campaign) {
            Some(c) => state.dismissal(&c.id, now_ms),
            None => state,
        }
    }

    pub fn record_click(&self, state: VisitorState, campaign: u32, now_ms: i64) -> VisitorState {
        match self.program.campaign(campaign) {
            Some(c) => state.click(&c.id, now_ms),
            None => state,
        }
    }

    /// The registration prompt's answers, keeping only values some registration
    /// question of this bundle offers (in the order given, without repeats).
    pub fn register(&self, state: VisitorState, answers: &[String], now_ms: i64) -> VisitorState {
        let offered = |value: &str| {
            self.program.campaigns.iter().any(|c| c.questions.iter().any(|q| q.values.iter().any(|v| **v == *value)))
        };
        let mut kept: Vec<String> = Vec::new();
        for answer in answers {
            if offered(answer) && !kept.contains(answer) {
                kept.push(answer.clone());
            }
        }
        state.register(&kept, now_ms)
    }

    /// Applies what the browser reported since `acked_ms`, in time order, each at its
    /// own time clamped to `[acked_ms, now_ms]`: the browser's clock may be wrong, and
    /// an event "from the future" must neither be scheduled there nor hide later ones.
    /// Returns the new state and the new watermark (never past `now_ms`).
    pub fn apply_client_events(
        &self,
        mut state: VisitorState,
        events: &mut [(i64, ClientEvent)],
        acked_ms: i64,
        now_ms: i64,
    ) -> (VisitorState, i64) {
        crate::util::insertion_sort_by(events, |a, b| a.0 < b.0);
        let mut watermark = acked_ms.min(now_ms);
        for (at, event) in events.iter() {
            if *at <= acked_ms {
                continue;
            }
            let at = (*at).min(now_ms);
            state = match event {
                ClientEvent::Impression { campaign } => self.record_impression(state, *campaign, at),
                ClientEvent::Dismissal { campaign } => self.record_dismissal(state, *campaign, at),
                ClientEvent::Click { campaign } => self.record_click(state, *campaign, at),
                ClientEvent::Register { answers } => self.register(state, answers, at),
            };
            watermark = watermark.max(at);
        }
        (state, watermark)
    }
}

#[cfg(feature = "json")]
pub use json_api::OfferRefusal;

/// JSON bundles, decisions and explanations as plain data (native hosts, tools, the
/// wasm package's full build).
#[cfg(feature = "json")]
mod json_api {
    use super::*;
    use crate::bundle::compile::{self, Options};
    use crate::bundle::{BundleError, BundleIssue, Limits};
    use crate::decision::{Decision, Explanation, FailedCondition};

    /// Why an offer is refused at checkout ([`Engine::explain_offer`]).
    #[derive(Debug, Clone, PartialEq)]
    pub struct OfferRefusal {
        pub verdict: crate::decide::OfferVerdict,
        /// The eligibility's deepest false sub-condition, as written when the bundle
        /// was compiled here (else as evaluated).
        pub failed: Option<FailedCondition>,
    }

    impl Engine {
        /// Parses, validates and compiles a bundle's JSON with the default limits.
        pub fn from_bundle(bytes: &[u8]) -> Result<Engine, BundleError> {
            Engine::from_bundle_with(bytes, &Options { limits: Limits::default(), keep_document: true })
        }

        pub fn from_bundle_with_limits(bytes: &[u8], limits: &Limits) -> Result<Engine, BundleError> {
            Engine::from_bundle_with(bytes, &Options { limits: *limits, keep_document: true })
        }

        pub fn from_bundle_with(bytes: &[u8], options: &Options) -> Result<Engine, BundleError> {
            Ok(Engine::from_compiled_source(compile::compile(bytes, options)?))
        }

        /// An engine from the compiler's output (keeps the source map for explain).
        pub fn from_compiled_source(compiled: compile::Compiled) -> Engine {
            let reader = crate::context::json::JsonReader::new(&compiled.program.schema);
            Engine {
                program: compiled.program,
                host: compiled.host,
                source: Some(compiled.source),
                warnings: compiled.warnings,
                reader,
            }
        }

        /// The compiled form of this bundle (what `perso publish` writes as bundle.bin).
        pub fn to_compiled(&self) -> Vec<u8> {
            crate::program::codec::encode(&self.program, &self.host)
        }

        pub fn host(&self) -> &crate::host::HostView {
            &self.host
        }

        pub fn source_map(&self) -> Option<&compile::SourceMap> {
            self.source.as_ref()
        }

        /// Problems that did not stop the bundle from loading.
        pub fn warnings(&self) -> &[BundleIssue] {
            &self.warnings
        }

        /// Reads a context's JSON, keeping only what the bundle uses.
        pub fn read_context<'a>(&self, json: &'a [u8]) -> Result<Context<'a>, ContextError> {
            self.reader.read(&self.program.schema, json)
        }

        pub fn read_context_value<'a>(&self, value: &'a serde_json::Value) -> Result<Context<'a>, ContextError> {
            crate::context::json::read_value(&self.program.schema, value)
        }

        pub fn decide(&self, context: &Context<'_>, state: &VisitorState, now_ms: i64) -> Decision {
            let mut out = Output::default();
            self.decide_into(context, state, now_ms, &mut out);
            crate::decide::render::decision(&self.program, &self.host, &out)
        }

        pub fn explain(&self, context: &Context<'_>, state: &VisitorState, now_ms: i64) -> Explanation {
            let mut out = Output::default();
            let verdicts = self.explain_into(context, state, now_ms, &mut out);
            crate::decide::render::explanation(&self.program, &self.host, &verdicts, now_ms, self.source.as_ref())
        }

        /// Why the checkout would refuse an offer now (`None`: it is granted): the
        /// verdict and, for a false eligibility, the failing rule as written.
        pub fn explain_offer(
            &self,
            campaign: &str,
            context: &Context<'_>,
            state: &VisitorState,
            now_ms: i64,
        ) -> Option<OfferRefusal> {
            use crate::decide::OfferVerdict;
            let Some(index) = self.campaign_index(campaign) else {
                return Some(OfferRefusal { verdict: OfferVerdict::Unknown, failed: None });
            };
            let verdict = self.offer_verdict_index(index, context, state, now_ms);
            let failed = match verdict {
                OfferVerdict::Eligible => return None,
                OfferVerdict::Failed { node } => Some(crate::decide::render::failed(
                    &self.program,
                    self.source.as_ref(),
                    &format!("campaigns[{index}].action.eligibility"),
                    node,
                )),
                _ => None,
            };
            Some(OfferRefusal { verdict, failed })
        }

        /// [`Engine::check_offer_index`] by campaign id.
        pub fn check_offer(&self, campaign: &str, context: &Context<'_>, state: &VisitorState, now_ms: i64) -> bool {
            self.campaign_index(campaign).is_some_and(|i| self.check_offer_index(i, context, state, now_ms))
        }

        /// [`Engine::record_impression`] by campaign id (unknown ids change nothing).
        pub fn record_impression_of(&self, state: VisitorState, campaign: &str, now_ms: i64) -> VisitorState {
            match self.campaign_index(campaign) {
                Some(i) => self.record_impression(state, i, now_ms),
                None => state,
            }
        }

        pub fn record_dismissal_of(&self, state: VisitorState, campaign: &str, now_ms: i64) -> VisitorState {
            match self.campaign_index(campaign) {
                Some(i) => self.record_dismissal(state, i, now_ms),
                None => state,
            }
        }
    }
}
