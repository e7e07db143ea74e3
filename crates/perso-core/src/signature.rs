//! Detached Ed25519 signatures over the exact bundle bytes (feature `verify`).
//!
//! The signature file (`bundle.json.sig`) is JSON:
//! `{"alg": "Ed25519", "kid": "<key id>", "sig": "<base64 of 64 bytes>"}`. Trusted keys
//! are raw 32-byte public keys in standard base64, given either alone (`"BASE64"`:
//! trusted whatever the signature's kid) or as `"kid1:BASE64 kid2:BASE64"` (the
//! signature's kid picks the key), so a publisher can rotate keys. Browsers and edge
//! workers check the same format with WebCrypto; this module is for native hosts.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ed25519_dalek::{Signature, VerifyingKey};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedKey {
    /// `None`: trusted for any key id.
    pub kid: Option<String>,
    pub key: [u8; 32],
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("trusted key \"{0}\" is not a base64 Ed25519 public key (32 bytes)")]
    BadKey(String),
    #[error("signature file is malformed: {0}")]
    Malformed(String),
    #[error("signature algorithm \"{0}\" is not supported (only Ed25519)")]
    UnsupportedAlgorithm(String),
    #[error("no trusted key has id \"{0}\"")]
    UnknownKey(String),
    #[error("the bundle does not match its signature (tampered, or signed with another key)")]
    Mismatch,
}

/// Parses `"BASE64"` or `"kid1:BASE64 kid2:BASE64"`.
pub fn parse_trusted_keys(spec: &str) -> Result<Vec<TrustedKey>, SignatureError> {
    let mut keys = Vec::new();
    for entry in spec.split_whitespace() {
        let (kid, encoded) = match entry.split_once(':') {
            Some((kid, encoded)) => (Some(kid.to_owned()), encoded),
            None => (None, entry),
        };
        let bytes = STANDARD.decode(encoded).map_err(|_| SignatureError::BadKey(entry.to_owned()))?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| SignatureError::BadKey(entry.to_owned()))?;
        VerifyingKey::from_bytes(&key).map_err(|_| SignatureError::BadKey(entry.to_owned()))?;
        keys.push(TrustedKey { kid, key });
    }
    if keys.is_empty() {
        return Err(SignatureError::BadKey(spec.to_owned()));
    }
    Ok(keys)
}

/// Checks `signature_file` over `bundle` against the trusted keys.
pub fn verify_detached(bundle: &[u8], signature_file: &[u8], keys: &[TrustedKey]) -> Result<(), SignatureError> {
    let file: serde_json::Value =
        serde_json::from_slice(signature_file).map_err(|e| SignatureError::Malformed(e.to_string()))?;
    let field = |name: &str| file.get(name).and_then(serde_json::Value::as_str);
    let alg = field("alg").ok_or_else(|| SignatureError::Malformed("\"alg\" is missing".into()))?;
    if alg != "Ed25519" {
        return Err(SignatureError::UnsupportedAlgorithm(alg.to_owned()));
    }
    let encoded = field("sig").ok_or_else(|| SignatureError::Malformed("\"sig\" is missing".into()))?;
    let bytes = STANDARD.decode(encoded).map_err(|_| SignatureError::Malformed("\"sig\" is not base64".into()))?;
    let bytes: [u8; 64] = bytes.try_into().map_err(|_| SignatureError::Malformed("\"sig\" is not 64 bytes".into()))?;
    let signature = Signature::from_bytes(&bytes);
    let kid = field("kid");
    let candidates: Vec<&TrustedKey> = keys.iter().filter(|k| k.kid.is_none() || k.kid.as_deref() == kid).collect();
    if candidates.is_empty() {
        return Err(SignatureError::UnknownKey(kid.unwrap_or("").to_owned()));
    }
    for trusted in candidates {
        if let Ok(key) = VerifyingKey::from_bytes(&trusted.key) {
            if key.verify_strict(bundle, &signature).is_ok() {
                return Ok(());
            }
        }
    }
    Err(SignatureError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey};

    fn signed(seed: u8, kid: &str, bundle: &[u8]) -> (String, Vec<u8>) {
        let key = SigningKey::from_bytes(&[seed; 32]);
        let file =
            serde_json::json!({"alg": "Ed25519", "kid": kid, "sig": STANDARD.encode(key.sign(bundle).to_bytes())});
        (STANDARD.encode(key.verifying_key().to_bytes()), file.to_string().into_bytes())
    }

    #[test]
    fn verifies_and_refuses() {
        let bundle = br#"{"version":1}"#;
        let (public, sig) = signed(7, "k1", bundle);
        let (other, _) = signed(8, "k2", bundle);
        let one = parse_trusted_keys(&public).unwrap_or_default();
        assert_eq!(verify_detached(bundle, &sig, &one), Ok(()));
        assert_eq!(verify_detached(br#"{"version":2}"#, &sig, &one), Err(SignatureError::Mismatch), "tampered");
        let wrong = parse_trusted_keys(&other).unwrap_or_default();
        assert_eq!(verify_detached(bundle, &sig, &wrong), Err(SignatureError::Mismatch), "another key");
        let rotated = parse_trusted_keys(&format!("k2:{other} k1:{public}")).unwrap_or_default();
        assert_eq!(verify_detached(bundle, &sig, &rotated), Ok(()), "the kid picks the key");
        let only_k2 = parse_trusted_keys(&format!("k2:{other}")).unwrap_or_default();
        assert_eq!(verify_detached(bundle, &sig, &only_k2), Err(SignatureError::UnknownKey("k1".into())));
        assert!(matches!(verify_detached(bundle, b"{}", &one), Err(SignatureError::Malformed(_))));
        assert!(matches!(parse_trusted_keys("not-base64!"), Err(SignatureError::BadKey(_))));
    }
}
