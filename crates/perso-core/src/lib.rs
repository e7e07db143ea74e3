//! perso's decision engine: plain Rust, no JavaScript types, tested natively.
//!
//! The pipeline, one module per stage:
//! - [`bundle::source`]: the bundle's wire format (serde), as marketers publish it;
//! - [`bundle`]: validation and compilation into a [`bundle::CompiledBundle`] —
//!   conditions compiled ([`logic`]), context paths interned into slots, campaigns
//!   indexed by placement in priority order;
//! - [`context`]: reading a host's context JSON into slots, only the paths the bundle uses;
//! - [`decide`]: arbitration per placement, caps, guardrails, experiments, and the
//!   rendered [`decision::Decision`] (recommendations, greetings) — or an
//!   [`decision::Explanation`] of every campaign;
//! - [`state`]: the visitor state a host keeps on the device.
//!
//! Time and the visitor id are inputs, never read from the system, so every
//! decision is reproducible.
#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod bundle;
pub mod context;
pub mod decide;
pub mod decision;
mod engine;
pub mod logic;
#[cfg(feature = "verify")]
pub mod signature;
pub mod state;
pub mod time;

pub use bundle::{BundleError, BundleIssue, Limits};
pub use context::{Context, ContextError};
pub use decision::{Decision, Explanation};
pub use engine::{Engine, FreshnessError};
pub use state::{PageView, VisitorState};
