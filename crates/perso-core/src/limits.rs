//! Every bound perso enforces, in one place: what a bundle may hold, what a
//! condition may cost, how large a context value and the visitor state may grow.
//! Hosts read these from here (the wasm package exports them; the JS host kit
//! mirrors the few it needs and a test compares them), and docs/bundle-format.md
//! ("Limits") documents them. Every limit has a clear error naming what is over it.

/// Largest published bundle, in bytes: the JSON source `perso validate` accepts and
/// the compiled form every host loads. The browser, the edge worker and the CLI all
/// refuse a larger one with `bundle_too_large`.
pub const MAX_BUNDLE_BYTES: usize = 1 << 20;

pub const MAX_CAMPAIGNS: usize = 20_000;
pub const MAX_SEGMENTS: usize = 2_000;
pub const MAX_PLACEMENTS: usize = 64;
pub const MAX_PRODUCTS: usize = 50_000;
/// Segments referring to segments, at most this many levels.
pub const MAX_SEGMENT_NESTING: usize = 8;

/// Most nesting a condition may have; deeper rules are refused at load.
pub const MAX_DEPTH: usize = 32;
/// Most operators in one condition.
pub const MAX_NODES_PER_CONDITION: usize = 2_000;

/// Most units of work (see `logic::cost`) one condition may be estimated to cost;
/// a bundle with a costlier condition is refused, naming it. The same amount is the
/// run-time budget of one condition.
pub const MAX_CONDITION_COST: u64 = 100_000;
/// Run-time budget of one decision, all conditions together: past it, the campaigns
/// not yet evaluated are excluded (`budget`), those already decided stand.
pub const DECISION_BUDGET: u64 = 1_000_000;
/// Run-time budget of one `applyRule` / `logic::apply` call.
pub const APPLY_BUDGET: u64 = 10_000_000;

/// A context list (e.g. `cart.items`, `customer.segments`) is cut to this many items
/// when read: conditions iterate over bounded lists.
pub const MAX_CONTEXT_LIST: usize = 64;
/// A context string is cut to this many bytes (at a character boundary) when read.
pub const MAX_CONTEXT_TEXT: usize = 1024;
/// Nesting of a context value beyond which the rest is dropped (read as null).
pub const MAX_CONTEXT_DEPTH: usize = 8;
/// UTM values and referrer parts kept from a page's URL, in bytes.
pub const MAX_UTM_TEXT: usize = 64;
pub const MAX_REFERRER_TEXT: usize = 1024;
/// Cart lines a host passes (the rest are dropped), and the largest quantity of one.
pub const MAX_CART_LINES: usize = 50;
pub const MAX_CART_QTY: u32 = 999;

/// A session ends after 30 minutes without activity.
pub const SESSION_TIMEOUT_MS: i64 = 30 * 60 * 1000;
/// Campaign records kept in the visitor state (least recently touched dropped first).
pub const MAX_CAMPAIGN_RECORDS: usize = 32;
/// Interests (registration answers) kept in the visitor state.
pub const MAX_INTERESTS: usize = 12;
/// Bytes of any one string in the visitor state (ids, referrer host, UTM values).
pub const MAX_STATE_TEXT: usize = 64;

/// Largest bundle serial (`2^53 - 1`): every host reads it exactly as a number.
pub const MAX_SERIAL: u64 = (1 << 53) - 1;
