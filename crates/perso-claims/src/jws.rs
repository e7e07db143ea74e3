//! JWS Compact Serialization (RFC 7515) with EdDSA over Ed25519 (RFC 8037), the one
//! envelope of every perso token: `BASE64URL(header) "." BASE64URL(payload) "."
//! BASE64URL(signature)`, no padding, the signature over the ASCII of the first two
//! parts. The header is exactly `{"alg":"EdDSA","kid":..,"typ":..}`; `typ` tells a
//! claim from a voucher or a landing link, so a token signed for one purpose is
//! never accepted for another, and `kid` picks the trusted key (two keys are trusted
//! during a rotation, as for bundles: [`perso_core::signature::parse_trusted_keys`]).
//!
//! Verification is strict: three parts of base64url, a header that is a JSON object
//! with `alg` exactly `EdDSA` (no `none`, no HMAC), the expected `typ`, a string
//! `kid`; the 64-byte signature checked with `verify_strict` (no malleable or
//! small-order keys). Any standard JOSE library verifies these tokens (PHP sodium,
//! Ruby, Java 15+, Node's `crypto`): docs/offers.md.

use crate::error::ClaimError;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use perso_core::signature::TrustedKey;

/// The longest token accepted (a claim is about 600 characters).
pub const MAX_TOKEN_LEN: usize = 4096;

/// The compact token for `payload` (JSON text), signed with `key`.
pub fn sign(typ: &str, payload: &str, kid: &str, key: &SigningKey) -> String {
    let header = serde_json::json!({ "alg": "EdDSA", "kid": kid, "typ": typ }).to_string();
    let mut input = String::with_capacity(payload.len() * 4 / 3 + 120);
    input.push_str(&B64.encode(header));
    input.push('.');
    input.push_str(&B64.encode(payload));
    let signature = key.sign(input.as_bytes()).to_bytes();
    input.push('.');
    input.push_str(&B64.encode(signature));
    input
}

/// A verified token: its key id and its payload's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub kid: String,
    pub payload: Vec<u8>,
}

/// Checks `token`'s envelope and signature against `keys` for the expected `typ`.
pub fn verify(token: &str, typ: &'static str, keys: &[TrustedKey]) -> Result<Verified, ClaimError> {
    let malformed = |reason: &'static str| ClaimError::Malformed { reason };
    if token.len() > MAX_TOKEN_LEN {
        return Err(malformed("longer than 4096 characters"));
    }
    let mut parts = token.trim().split('.');
    let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed("not three base64url parts separated by dots (JWS compact form)"));
    };
    let header = B64.decode(header_b64).map_err(|_| malformed("the header is not base64url"))?;
    let header: serde_json::Value = serde_json::from_slice(&header).map_err(|_| malformed("the header is not JSON"))?;
    let field = |name: &str| header.get(name).and_then(serde_json::Value::as_str);
    match field("alg") {
        Some("EdDSA") => {}
        Some(other) => return Err(ClaimError::Algorithm { alg: other.chars().take(16).collect() }),
        None => return Err(malformed("the header has no \"alg\"")),
    }
    let found = field("typ").unwrap_or("");
    if found != typ {
        return Err(ClaimError::WrongType { expected: typ, found: found.chars().take(40).collect() });
    }
    let kid = field("kid").ok_or(malformed("the header has no \"kid\""))?.to_owned();
    let signature = B64.decode(signature_b64).map_err(|_| malformed("the signature is not base64url"))?;
    let signature: [u8; 64] = signature.try_into().map_err(|_| malformed("the signature is not 64 bytes"))?;
    let signature = Signature::from_bytes(&signature);
    let candidates: Vec<&TrustedKey> =
        keys.iter().filter(|k| k.kid.is_none() || k.kid.as_deref() == Some(kid.as_str())).collect();
    if candidates.is_empty() {
        return Err(ClaimError::UnknownKey { kid: kid.chars().take(64).collect() });
    }
    let signed = token.trim().len() - signature_b64.len() - 1;
    let input = token.trim().get(..signed).ok_or(malformed("not three parts"))?;
    let valid = candidates.iter().any(|trusted| {
        VerifyingKey::from_bytes(&trusted.key).is_ok_and(|key| key.verify_strict(input.as_bytes(), &signature).is_ok())
    });
    if !valid {
        return Err(ClaimError::BadSignature);
    }
    let payload = B64.decode(payload_b64).map_err(|_| malformed("the payload is not base64url"))?;
    Ok(Verified { kid, payload })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    fn trusted(kid: Option<&str>, key: &SigningKey) -> TrustedKey {
        TrustedKey { kid: kid.map(str::to_owned), key: key.verifying_key().to_bytes() }
    }

    #[test]
    fn round_trip_and_rotation() {
        let (old, new) = (key(1), key(2));
        let token = sign("perso-claim+jwt", r#"{"a":1}"#, "2026-12", &new);
        let keys = [trusted(Some("2026-11"), &old), trusted(Some("2026-12"), &new)];
        let verified = verify(&token, "perso-claim+jwt", &keys).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(verified, Verified { kid: "2026-12".into(), payload: br#"{"a":1}"#.to_vec() });
        // A key given without a kid is trusted whatever the token's kid.
        assert!(verify(&token, "perso-claim+jwt", &[trusted(None, &new)]).is_ok());
        assert_eq!(
            verify(&token, "perso-claim+jwt", &keys[..1]),
            Err(ClaimError::UnknownKey { kid: "2026-12".into() })
        );
        // Another key under the same kid.
        assert_eq!(verify(&token, "perso-claim+jwt", &[trusted(Some("2026-12"), &old)]), Err(ClaimError::BadSignature));
        assert_eq!(
            verify(&token, "perso-link+jwt", &keys),
            Err(ClaimError::WrongType { expected: "perso-link+jwt", found: "perso-claim+jwt".into() })
        );
    }

    #[test]
    fn tampering_and_malformed_tokens() {
        let k = key(3);
        let keys = [trusted(Some("k"), &k)];
        let token = sign("perso-claim+jwt", r#"{"campaign":"a"}"#, "k", &k);
        let parts: Vec<&str> = token.split('.').collect();
        let forged = format!("{}.{}.{}", parts[0], B64.encode(r#"{"campaign":"b"}"#), parts[2]);
        assert_eq!(verify(&forged, "perso-claim+jwt", &keys), Err(ClaimError::BadSignature));
        let none = format!("{}.{}.", B64.encode(r#"{"alg":"none","kid":"k","typ":"perso-claim+jwt"}"#), parts[1]);
        assert_eq!(verify(&none, "perso-claim+jwt", &keys), Err(ClaimError::Algorithm { alg: "none".into() }));
        let hs =
            format!("{}.{}.{}", B64.encode(r#"{"alg":"HS256","kid":"k","typ":"perso-claim+jwt"}"#), parts[1], parts[2]);
        assert!(matches!(verify(&hs, "perso-claim+jwt", &keys), Err(ClaimError::Algorithm { .. })));
        for bad in ["", "a.b", "a.b.c.d", "!!.!!.!!", &"x".repeat(5000)] {
            assert!(matches!(verify(bad, "perso-claim+jwt", &keys), Err(ClaimError::Malformed { .. })), "{bad:.20}");
        }
    }
}
