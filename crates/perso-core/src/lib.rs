//! perso's decision engine: plain Rust, no JavaScript types, tested natively.
//!
//! The pipeline, one module per stage:
//! - [`bundle`] (feature `json`): the wire format marketers publish, its one reader,
//!   and the compiler to the form hosts load;
//! - [`program`]: the compiled bundle — conditions as one node arena ([`logic`]),
//!   context paths interned into slots, campaigns indexed by placement — and its
//!   binary form ([`program::codec`]), read with every index checked;
//! - [`host`]: the host section, what hosts show by index (the action payloads);
//! - [`context`]: the facts a decision reads, in the bundle's slots; [`page`]: page
//!   facts (URL, referrer, UTM, page type, device, language) normalized once for
//!   every host;
//! - [`decide`]: arbitration per placement, caps, guardrails, experiments, budgets;
//!   the decision as indices ([`decide::Output`]) and, natively, the rendered
//!   [`decision::Decision`] or an [`decision::Explanation`];
//! - [`state`]: the visitor state a host keeps on the device;
//! - [`limits`]: every bound, in one place; [`url`]: the one URL rule.
//!
//! Time and the visitor id are inputs, never read from the system, so every
//! decision is reproducible.
#![cfg_attr(not(feature = "std"), no_std)]
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects
    )
)]

extern crate alloc;

#[cfg(feature = "json")]
pub mod bundle;
pub mod context;
pub mod decide;
#[cfg(feature = "json")]
pub mod decision;
mod engine;
pub mod host;
pub mod limits;
pub mod logic;
pub mod page;
pub mod program;
pub mod provenance;
#[cfg(feature = "verify")]
pub mod signature;
pub mod state;
pub mod time;
pub mod url;
mod util;
pub mod vocab;

#[cfg(feature = "json")]
pub use bundle::{BundleError, BundleIssue, Limits};
pub use context::{Context, ContextError};
#[cfg(feature = "json")]
pub use decision::{Decision, Explanation};
#[cfg(feature = "json")]
pub use engine::OfferRefusal;
pub use engine::{ClientEvent, Engine, FreshnessError};
pub use state::{PageView, VisitorState};
