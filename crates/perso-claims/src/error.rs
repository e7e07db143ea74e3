//! Why a token or a claim is refused: one enum for the envelope, the claim's own
//! fields and the checkout's re-check, each variant with the sentence a shopper or a
//! store's engineer can act on and a stable [`ClaimError::code`] (the JS kit uses the
//! same codes: tests/vectors/claims.json runs on both).

use perso_core::decision::FailedCondition;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ClaimError {
    #[error("the token is malformed: {reason}")]
    Malformed { reason: &'static str },
    #[error("the token's algorithm \"{alg}\" is not accepted (only EdDSA)")]
    Algorithm { alg: String },
    #[error("the token is a \"{found}\", not a \"{expected}\"")]
    WrongType { expected: &'static str, found: String },
    #[error("no trusted key has id \"{kid}\" (signed with a key this store does not trust)")]
    UnknownKey { kid: String },
    #[error("the signature does not match (tampered, or signed with another key)")]
    BadSignature,
    /// The payload is not what the token's type requires.
    #[error("the token's {field} is missing or malformed")]
    Field { field: &'static str },
    #[error("expired at {exp} (seconds since 1970); it is now {now}")]
    Expired { exp: i64, now: i64 },
    #[error("issued in the future ({iat}; it is now {now})")]
    NotYetValid { iat: i64, now: i64 },
    #[error("campaign \"{campaign}\" is not in the bundle this checkout runs")]
    UnknownCampaign { campaign: String },
    #[error("campaign \"{campaign}\" has no offer redeemed by a claim")]
    NotClaimable { campaign: String },
    #[error("the terms of \"{campaign}\" changed since the claim was issued; claim the offer again")]
    TermsChanged { campaign: String },
    #[error("the claim comes from bundle serial {claim_serial}, newer than the {bundle_serial} this checkout runs")]
    NewerBundle { claim_serial: u64, bundle_serial: u64 },
    /// The checkout's re-check of the eligibility failed with the facts it knows.
    #[error("{}", not_eligible(campaign, failed.as_ref()))]
    NotEligible { campaign: String, failed: Option<FailedCondition> },
    /// A voucher or landing link sent with a claim request was refused.
    #[error("the {which} was refused: {error}")]
    Voucher { which: &'static str, error: Box<ClaimError> },
}

fn not_eligible(campaign: &str, failed: Option<&FailedCondition>) -> String {
    match failed {
        Some(f) => format!("\"{campaign}\" does not apply: {} is false for this order (at {})", f.rule, f.path),
        None => format!("\"{campaign}\" does not apply to this order"),
    }
}

impl ClaimError {
    /// A stable code per variant (`claim_expired`, ...), the same in every language.
    pub fn code(&self) -> &'static str {
        match self {
            ClaimError::Malformed { .. } | ClaimError::Field { .. } => "claim_malformed",
            ClaimError::Algorithm { .. } => "claim_algorithm",
            ClaimError::WrongType { .. } => "claim_type",
            ClaimError::UnknownKey { .. } => "claim_unknown_key",
            ClaimError::BadSignature => "claim_signature",
            ClaimError::Expired { .. } => "claim_expired",
            ClaimError::NotYetValid { .. } => "claim_not_yet_valid",
            ClaimError::UnknownCampaign { .. } => "claim_unknown_campaign",
            ClaimError::NotClaimable { .. } => "claim_not_claimable",
            ClaimError::TermsChanged { .. } => "claim_terms_changed",
            ClaimError::NewerBundle { .. } => "claim_newer_bundle",
            ClaimError::NotEligible { .. } => "claim_not_eligible",
            ClaimError::Voucher { .. } => "claim_voucher",
        }
    }
}
