//! [`Engine`]: a compiled bundle and the operations hosts call. Stateless between
//! calls: the visitor state and the clock come in as arguments and the new state
//! goes out, so the engine can be shared across requests (edge) and tested with
//! fixed inputs.

use crate::bundle::{self, BundleError, BundleIssue, CompiledBundle, Limits};
use crate::context::{Context, ContextError};
use crate::decide;
use crate::decision::{Decision, Explanation};
use crate::state::VisitorState;

#[derive(Debug)]
pub struct Engine {
    bundle: CompiledBundle,
    references: Vec<String>,
}

/// Why a runtime must not use a (valid, verified) bundle.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FreshnessError {
    /// Older than one this device already accepted: a replayed old bundle.
    #[error("bundle serial {serial} is older than serial {last_accepted} accepted before (rollback refused)")]
    Rollback { serial: u64, last_accepted: u64 },
    /// Past its expiry: the publisher stopped refreshing it (freeze refused).
    #[error("bundle expired at {expires_at_ms} ms; it is now {now_ms} ms")]
    Expired { expires_at_ms: i64, now_ms: i64 },
}

impl Engine {
    /// Parses, validates and compiles a bundle with the default [`Limits`].
    pub fn from_bundle(bytes: &[u8]) -> Result<Engine, BundleError> {
        Engine::from_bundle_with_limits(bytes, &Limits::default())
    }

    pub fn from_bundle_with_limits(bytes: &[u8], limits: &Limits) -> Result<Engine, BundleError> {
        let bundle = bundle::compile(bytes, limits)?;
        let references = bundle.schema.references();
        Ok(Engine { bundle, references })
    }

    pub fn serial(&self) -> u64 {
        self.bundle.serial
    }

    pub fn expires_at_ms(&self) -> i64 {
        self.bundle.expires_at_ms
    }

    /// The anti-rollback and anti-freeze check a runtime makes after verifying the
    /// signature; `last_accepted` is the highest serial this device accepted.
    pub fn check_freshness(&self, last_accepted: Option<u64>, now_ms: i64) -> Result<(), FreshnessError> {
        if let Some(last_accepted) = last_accepted.filter(|last| self.bundle.serial < *last) {
            return Err(FreshnessError::Rollback { serial: self.bundle.serial, last_accepted });
        }
        if now_ms >= self.bundle.expires_at_ms {
            return Err(FreshnessError::Expired { expires_at_ms: self.bundle.expires_at_ms, now_ms });
        }
        Ok(())
    }

    /// Every context path the bundle reads: all a host needs to collect.
    pub fn references(&self) -> &[String] {
        &self.references
    }

    pub fn time_on_site_thresholds(&self) -> &[u32] {
        &self.bundle.time_on_site_thresholds
    }

    /// Problems that did not stop the bundle from loading.
    pub fn warnings(&self) -> &[BundleIssue] {
        &self.bundle.warnings
    }

    pub fn bundle(&self) -> &CompiledBundle {
        &self.bundle
    }

    /// Reads a context's JSON, keeping only what the bundle uses.
    pub fn read_context<'a>(&self, json: &'a [u8]) -> Result<Context<'a>, ContextError> {
        self.bundle.schema.read(json)
    }

    pub fn read_context_value<'a>(&self, value: &'a serde_json::Value) -> Result<Context<'a>, ContextError> {
        self.bundle.schema.read_value(value)
    }

    pub fn decide(&self, context: &Context<'_>, state: &VisitorState, now_ms: i64) -> Decision {
        decide::decide(&self.bundle, context, state, now_ms)
    }

    pub fn explain(&self, context: &Context<'_>, state: &VisitorState, now_ms: i64) -> Explanation {
        decide::explain(&self.bundle, context, state, now_ms)
    }

    /// Records that a campaign was rendered; offers, registration prompts and chat
    /// triggers count against the session's interruption budget.
    pub fn record_impression(&self, state: VisitorState, campaign: &str, now_ms: i64) -> VisitorState {
        let interruption = self
            .bundle
            .campaign_index
            .get(campaign)
            .and_then(|i| self.bundle.campaigns.get(*i as usize))
            .is_some_and(|c| c.interruption);
        state.impression(campaign, interruption, now_ms)
    }

    /// Whether the shopper is entitled to an offer, re-checked at checkout against
    /// facts the store's server knows.
    pub fn check_offer(&self, campaign: &str, context: &Context<'_>, state: &VisitorState, now_ms: i64) -> bool {
        decide::offer_eligible(&self.bundle, campaign, context, state, now_ms)
    }
}
