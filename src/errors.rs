//! The one place engine errors leave the wasm: as an error record of numbers
//! (`[code, a, b, c]`), never as text, so no formatting code is linked. The host
//! kit's `js/src/kit/errors.js` holds the same list of codes, turns a record into a
//! `PersoError` with a sentence naming what is wrong, and its test checks the two
//! lists agree.

use core::sync::atomic::{AtomicU32, Ordering};
use perso_core::context::ContextError;
use perso_core::program::codec::{BinaryError, Section};
use perso_core::program::ProgramFault;
use perso_core::state::StateError;
use perso_core::FreshnessError;

#[derive(Debug, Clone, Copy)]
#[repr(u32)]
pub enum Code {
    BundleNotCompiled = 1,
    BundleVersion = 2,
    BundleTruncated = 3,
    BundleMalformed = 4,
    BundleHeaderMismatch = 5,
    BundleInvalid = 6,
    BundleTrailing = 7,
    ContextEncoding = 10,
    ContextType = 11,
    StateMalformed = 20,
    StateVersion = 21,
    Rollback = 30,
    Expired = 31,
}

/// The last error record. Atomics rather than a thread local: the lean build has no
/// std, and the wasm is single-threaded (relaxed loads and stores are plain ones).
static LAST: [AtomicU32; 4] = [const { AtomicU32::new(0) }; 4];

pub fn last() -> [u32; 4] {
    LAST.each_ref().map(|field| field.load(Ordering::Relaxed))
}

/// Records an error; returns its code (for functions that return one).
pub fn fail(code: Code, fields: [u32; 3]) -> u32 {
    let [a, b, c] = fields;
    for (field, value) in LAST.iter().zip([code as u32, a, b, c]) {
        field.store(value, Ordering::Relaxed);
    }
    code as u32
}

fn section(s: Section) -> u32 {
    match s {
        Section::Header => 0,
        Section::Engine => 1,
        Section::Host => 2,
    }
}

pub fn binary(error: BinaryError) {
    match error {
        BinaryError::NotCompiled => fail(Code::BundleNotCompiled, [0; 3]),
        BinaryError::Version { found } => fail(Code::BundleVersion, [u32::from(found), 0, 0]),
        BinaryError::Truncated { section: s } => fail(Code::BundleTruncated, [section(s), 0, 0]),
        BinaryError::Malformed { section: s } => fail(Code::BundleMalformed, [section(s), 0, 0]),
        BinaryError::HeaderMismatch => fail(Code::BundleHeaderMismatch, [0; 3]),
        BinaryError::TrailingBytes => fail(Code::BundleTrailing, [0; 3]),
        BinaryError::Invalid(fault) => {
            use perso_core::logic::ir::ArenaFault;
            let table = |name: &str| match name {
                "schema" => 1,
                "campaigns_by_id" => 2,
                "products" => 3,
                "categories" => 4,
                "affinity_items" => 5,
                "affinity_categories" => 6,
                "holdout" => 7,
                "campaigns" => 8,
                "segments" => 9,
                "placements" => 10,
                _ => 0,
            };
            let fields = match fault {
                ProgramFault::Arena(ArenaFault::ForwardReference { node }) => [1, node, 0],
                ProgramFault::Arena(ArenaFault::BadLiteral { node }) => [2, node, 0],
                ProgramFault::Arena(ArenaFault::TooDeep { node }) => [3, node, 0],
                ProgramFault::Arena(ArenaFault::BadReference { node }) => [4, node, 0],
                ProgramFault::Campaign { index } => [5, index, 0],
                ProgramFault::Segment { index } => [6, index, 0],
                ProgramFault::Placement { index } => [7, index, 0],
                ProgramFault::Product { index } => [8, index, 0],
                ProgramFault::Index { table: t } => [9, table(t), 0],
                ProgramFault::TooMany { what } => [10, table(what), 0],
                ProgramFault::TooCostly { campaign, node } => [11, campaign, node],
                ProgramFault::Serial => [12, 0, 0],
            };
            fail(Code::BundleInvalid, fields)
        }
    };
}

/// Records a context error; returns -1 (the functions' failure value).
pub fn context(error: ContextError, engine: &perso_core::Engine) -> i32 {
    match error {
        ContextError::Encoding { offset } => {
            fail(Code::ContextEncoding, [offset as u32, 0, 0]);
        }
        ContextError::WrongType { path, expected } => {
            let (slot_path, item) = match path.strip_prefix("cart.items[") {
                Some(rest) => ("cart.items", rest.trim_end_matches(']').parse::<u32>().unwrap_or(u32::MAX)),
                None => (path.as_str(), u32::MAX),
            };
            let slot = engine.program().schema.existing_slot(slot_path).map_or(u32::MAX, u32::from);
            let kind = match expected {
                "a string" => 0,
                "a number" => 1,
                "true or false" => 2,
                "an array" => 3,
                _ => 4,
            };
            fail(Code::ContextType, [slot, item, kind]);
        }
        ContextError::Json(_) | ContextError::NotAnObject => {
            fail(Code::ContextEncoding, [0, 0, 0]);
        }
    }
    -1
}

pub fn state(error: StateError) {
    match error {
        StateError::UnsupportedVersion { found } => fail(Code::StateVersion, [found, 0, 0]),
        StateError::Malformed(_) | StateError::MalformedBytes => fail(Code::StateMalformed, [0; 3]),
    };
}

pub fn freshness(error: FreshnessError) -> u32 {
    match error {
        FreshnessError::Rollback { .. } => fail(Code::Rollback, [0; 3]),
        FreshnessError::Expired { .. } => fail(Code::Expired, [0; 3]),
    }
}
