//! The three token payloads (docs/offers.md has the field tables): the **claim** a
//! store's claim endpoint issues on the shopper's "Claim" click, the **voucher** the
//! edge worker signs of what it saw on the landing request, and the **landing link**
//! a store signs for an affiliate (`perso sign-link`). Times are JWT NumericDates
//! (whole seconds since 1970, UTC); `jti` is a random nonce (16 Crockford base32
//! characters, 80 bits).

use perso_core::vocab::Benefit;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const CLAIM_TYP: &str = "perso-claim+jwt";
pub const VOUCHER_TYP: &str = "perso-voucher+jwt";
pub const LINK_TYP: &str = "perso-link+jwt";

/// Who vouched for a fact a claim rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum By {
    /// The edge worker saw it on the landing request (its `Referer`).
    Edge,
    /// A landing link the store signed for an affiliate.
    Link,
    /// The store's server: re-checked at checkout from its own records and cart, so
    /// the claim names the fact but carries no value.
    Server,
}

/// One fact a claim rests on: a context path, its vouched value, and who vouched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fact {
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    pub by: By,
    /// The `jti` of the voucher or link it came from.
    #[serde(default, rename = "ref", skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

/// What the shopper was promised: the bundle's title and benefit for the campaign.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Terms {
    pub title: String,
    pub benefit: Benefit,
}

/// A claim (`typ: perso-claim+jwt`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClaimPayload {
    pub campaign: String,
    pub terms: Terms,
    /// The serial of the bundle it was issued under.
    pub serial: u64,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
    pub facts: Vec<Fact>,
}

/// What the edge saw on a landing request.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Seen {
    /// The `Referer` header's host, lowercased, `www.` kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referrer_host: Option<String>,
    /// `utm_*` parameters of the landing URL (attribution only: anyone can type them).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub utm: BTreeMap<String, String>,
    /// The landing URL's path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// An edge voucher (`typ: perso-voucher+jwt`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VoucherPayload {
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
    /// The host the edge served the landing page for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
    pub seen: Seen,
}

/// A signed affiliate landing link (`typ: perso-link+jwt`), the value of `?perso_link=`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkPayload {
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
    /// The affiliate, as the host shoppers come from (`gadgets.com`).
    pub source: String,
    /// Further tags the store signs with it (`medium`, `campaign`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub utm: BTreeMap<String, String>,
    /// The store host the link is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
}

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// 10 bytes as 16 Crockford base32 characters (a nonce).
pub fn jti_from_bytes(bytes: [u8; 10]) -> String {
    let mut bits: u128 = 0;
    for b in bytes {
        bits = (bits << 8) | u128::from(b);
    }
    (0..16).rev().map(|i| char::from(CROCKFORD[((bits >> (i * 5)) & 31) as usize])).collect()
}

/// A fresh random nonce from the system's random source.
pub fn new_jti() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 10];
    getrandom::fill(&mut bytes)?;
    Ok(jti_from_bytes(bytes))
}

/// What the shopper is shown and types at checkout: the nonce in groups of four
/// (`9XK2-M4Q7-T1VZ-8RPA`); the store looks the claim up by it.
pub fn display_code(jti: &str) -> String {
    let chars: Vec<char> = jti.chars().collect();
    chars.chunks(4).map(|c| c.iter().collect::<String>()).collect::<Vec<_>>().join("-")
}

/// A typed display code back to the nonce (case, spaces and dashes forgiven, Crockford's
/// O/I/L read as 0/1/1), or `None` when it cannot be one.
pub fn jti_of_display(typed: &str) -> Option<String> {
    let jti: String = typed
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        })
        .collect();
    (jti.len() == 16 && jti.bytes().all(|b| CROCKFORD.contains(&b))).then_some(jti)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_and_display_codes() {
        let jti = jti_from_bytes([0xff; 10]);
        assert_eq!(jti, "ZZZZZZZZZZZZZZZZ");
        assert_eq!(jti_from_bytes([0; 10]), "0000000000000000");
        let code = display_code("9XK2M4Q7T1VZ8RPA");
        assert_eq!(code, "9XK2-M4Q7-T1VZ-8RPA");
        assert_eq!(jti_of_display(" 9xk2-m4q7 t1vz-8rpa").as_deref(), Some("9XK2M4Q7T1VZ8RPA"));
        assert_eq!(jti_of_display("9XK2-M4Q7-T1VZ-8RPO").as_deref(), Some("9XK2M4Q7T1VZ8RP0"));
        assert_eq!(jti_of_display("GADGETS10"), None);
        assert_eq!(jti_of_display("9XK2-M4Q7-T1VZ-8RPU"), None, "U is not Crockford");
        let a = new_jti().unwrap_or_default();
        assert_eq!(a.len(), 16);
        assert_ne!(a, new_jti().unwrap_or_default());
    }
}
