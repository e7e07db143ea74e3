//! Bundles as marketers write them: the wire format ([`source`]), its one reader
//! ([`read`]) and the compiler ([`compile`]) to the form every host loads
//! ([`crate::program::Program`] plus its host section, [`crate::host::HostView`]).
//!
//! Invariants of a compiled bundle: every reference (placement, segment, product)
//! resolves; segment references are acyclic and at most
//! [`crate::limits::MAX_SEGMENT_NESTING`] deep; each placement's campaigns are sorted
//! by priority (highest first), ties by bundle order; every condition is compiled
//! with its context paths interned into slots, and costs at most
//! [`crate::limits::MAX_CONDITION_COST`].

pub mod compile;
pub mod read;
pub mod source;

pub use compile::{compile, Compiled};

/// Bounds on what a bundle may hold, so a bad or hostile bundle cannot exhaust the
/// device. Conditions are also bounded in depth and size (see [`crate::logic::compile`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_bytes: usize,
    pub max_campaigns: usize,
    pub max_segments: usize,
    pub max_placements: usize,
    pub max_products: usize,
}

impl Default for Limits {
    fn default() -> Self {
        use crate::limits::*;
        Limits {
            max_bytes: MAX_BUNDLE_BYTES,
            max_campaigns: MAX_CAMPAIGNS,
            max_segments: MAX_SEGMENTS,
            max_placements: MAX_PLACEMENTS,
            max_products: MAX_PRODUCTS,
        }
    }
}

/// Why a bundle was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BundleError {
    /// Larger than [`Limits::max_bytes`]; not parsed at all.
    #[error("the bundle is {size} bytes, over the limit of {limit} bytes")]
    TooLarge { size: usize, limit: usize },
    /// Not JSON, or a field of the wrong JSON type (the first such problem).
    #[error("{path}: {message}")]
    Json { path: String, message: String },
    /// A format version this engine does not read.
    #[error("version: bundle format version {found} is not supported (this engine reads version 1)")]
    UnsupportedVersion { found: u64 },
    /// Well-formed JSON that breaks the format's rules: every problem found.
    #[error("{} problem(s) in the bundle: {}", .0.len(), .0.iter().map(|i| i.to_string()).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<BundleIssue>),
}

impl BundleError {
    /// JSON path of the (first) problem, when there is one.
    pub fn path(&self) -> Option<&str> {
        match self {
            BundleError::Json { path, .. } => Some(path),
            BundleError::UnsupportedVersion { .. } => Some("version"),
            BundleError::Invalid(issues) => issues.first().map(|i| i.path.as_str()),
            BundleError::TooLarge { .. } => None,
        }
    }

    pub fn issues(&self) -> &[BundleIssue] {
        match self {
            BundleError::Invalid(issues) => issues,
            _ => &[],
        }
    }
}

/// One problem, at a JSON path such as `campaigns[3].condition.and[1]`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{path}: {problem}")]
pub struct BundleIssue {
    pub path: String,
    pub problem: Problem,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Problem {
    #[error("must be {expected}, found {found}")]
    WrongType { expected: &'static str, found: &'static str },
    #[error("is required")]
    Missing,
    #[error("unknown field{}", .suggestion.as_ref().map(|s| format!(" (did you mean \"{s}\"?)")).unwrap_or_default())]
    UnknownField { suggestion: Option<String> },
    #[error("must be between {min} and {max}")]
    NumberRange { min: i64, max: i64 },
    #[error("\"{found}\" is not one of: {expected}")]
    UnknownKind { found: String, expected: &'static str },
    #[error("unknown placement \"{0}\"")]
    UnknownPlacement(String),
    #[error("unknown segment \"{0}\"")]
    UnknownSegment(String),
    #[error("unknown product \"{0}\"")]
    UnknownProduct(String),
    #[error("duplicate {kind} id \"{id}\"")]
    DuplicateId { kind: &'static str, id: String },
    #[error("must not be empty")]
    Empty,
    #[error("{0}")]
    Condition(crate::logic::LogicProblem),
    #[error("segments refer to each other in a cycle: {0}")]
    SegmentCycle(String),
    #[error("\"{0}\" is not an RFC 3339 date-time (e.g. 2026-12-01T00:00:00Z) or date (2026-12-01)")]
    BadTime(String),
    #[error("the schedule ends before it starts")]
    EmptySchedule,
    #[error("{0}")]
    OutOfRange(&'static str),
    #[error("weight must not be negative")]
    NegativeWeight,
    #[error("weights are all zero: no visitor could be bucketed (weights are relative, as in flagd)")]
    AllZeroWeights,
    #[error("\"{0}\" is not an http(s) URL or a path starting with /")]
    BadUrl(String),
    #[error("template field {0}")]
    BadTemplate(String),
    #[error("more than {limit} {what}")]
    TooMany { what: &'static str, limit: usize },
    #[error("costs about {cost} units of work to evaluate, over the limit of {limit}: {hint}")]
    TooCostly { cost: u64, limit: u64, hint: &'static str },
    #[error("segments nest more than {0} levels deep (a segment refers to a segment that refers to ...)")]
    SegmentsTooDeep(usize),
    #[error("serial {0} is above 2^53 - 1, the largest every host reads exactly")]
    SerialTooLarge(u64),
}
