//! Detached Ed25519 signatures over a bundle's exact bytes, as the browser runtime and
//! the edge worker check them (docs/api.md, "Signatures"):
//! `bundle.json.sig` = `{"alg":"Ed25519","kid":"<key id>","sig":"<base64, 64 bytes>"}`;
//! trusted keys are raw 32-byte public keys in standard base64, given either alone
//! (`"BASE64"`: trusted whatever the kid) or as a list (`"kid1:BASE64 kid2:BASE64"`:
//! the signature's kid picks the key), so keys can rotate.
//!
//! This file is meant to live in perso-core as `signature.rs` behind the `verify`
//! feature; it depends only on ed25519-dalek, base64, serde_json and thiserror.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use ed25519_dalek::{Signature, VerifyingKey};

/// Why a signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The trusted-keys text is malformed (names the entry).
    #[error("trusted key `{entry}`: {message}")]
    BadTrustedKey { entry: String, message: String },
    /// The `.sig` file is not the documented JSON (names the field).
    #[error("signature file: {field}: {message}")]
    Malformed { field: &'static str, message: String },
    /// Not `"alg": "Ed25519"`.
    #[error("signature file: alg: `{0}` is not supported (only Ed25519)")]
    UnsupportedAlgorithm(String),
    /// No trusted key carries the signature's kid.
    #[error("no trusted key has kid `{kid}` (trusted: {trusted})")]
    UnknownKey { kid: String, trusted: String },
    /// The signature does not match the bytes under the chosen key.
    #[error("the signature (kid `{kid}`) does not match the bundle's bytes: the bundle was changed after signing, or signed with another key")]
    Mismatch { kid: String },
}

/// The public keys a host trusts.
#[derive(Debug, Clone)]
pub struct TrustedKeys {
    /// `None` kid: a single key trusted whatever the signature's kid.
    keys: Vec<(Option<String>, VerifyingKey)>,
}

impl TrustedKeys {
    /// Parses `"BASE64"` or `"kid1:BASE64 kid2:BASE64"` (whitespace or commas between).
    pub fn parse(text: &str) -> Result<TrustedKeys, SignatureError> {
        let entries: Vec<&str> = text.split(|c: char| c.is_whitespace() || c == ',').filter(|e| !e.is_empty()).collect();
        if entries.is_empty() {
            return Err(SignatureError::BadTrustedKey { entry: String::new(), message: "no key given".into() });
        }
        let mut keys = Vec::with_capacity(entries.len());
        for entry in &entries {
            let (kid, encoded) = match entry.split_once(':') {
                Some((kid, key)) => (Some(kid.to_owned()), key),
                None if entries.len() == 1 => (None, *entry),
                None => {
                    return Err(SignatureError::BadTrustedKey {
                        entry: (*entry).into(),
                        message: "with several keys each must be written `kid:BASE64`".into(),
                    })
                }
            };
            keys.push((kid, decode_public_key(encoded).map_err(|message| SignatureError::BadTrustedKey { entry: (*entry).into(), message })?));
        }
        Ok(TrustedKeys { keys })
    }

    fn find(&self, kid: &str) -> Option<&VerifyingKey> {
        match self.keys.as_slice() {
            [(None, key)] => Some(key),
            keys => keys.iter().find(|(k, _)| k.as_deref() == Some(kid)).map(|(_, key)| key),
        }
    }

    fn kids(&self) -> String {
        self.keys.iter().map(|(k, _)| k.clone().unwrap_or_else(|| "(any)".into())).collect::<Vec<_>>().join(", ")
    }
}

pub fn decode_public_key(encoded: &str) -> Result<VerifyingKey, String> {
    let bytes = BASE64.decode(encoded.trim()).map_err(|e| format!("not standard base64: {e}"))?;
    let bytes: [u8; 32] = bytes.try_into().map_err(|b: Vec<u8>| format!("an Ed25519 public key is 32 bytes, this is {}", b.len()))?;
    VerifyingKey::from_bytes(&bytes).map_err(|_| "not a valid Ed25519 public key".to_owned())
}

/// A parsed `bundle.json.sig`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetachedSignature {
    pub kid: String,
    pub signature: [u8; 64],
}

impl DetachedSignature {
    pub fn parse(json: &[u8]) -> Result<DetachedSignature, SignatureError> {
        let value: serde_json::Value =
            serde_json::from_slice(json).map_err(|e| SignatureError::Malformed { field: "(file)", message: format!("not JSON: {e}") })?;
        let field = |name: &'static str| -> Result<&str, SignatureError> {
            value
                .get(name)
                .and_then(|v| v.as_str())
                .ok_or(SignatureError::Malformed { field: name, message: "missing, or not a string".into() })
        };
        let alg = field("alg")?;
        if alg != "Ed25519" {
            return Err(SignatureError::UnsupportedAlgorithm(alg.into()));
        }
        let kid = field("kid")?.to_owned();
        let bytes = BASE64
            .decode(field("sig")?)
            .map_err(|e| SignatureError::Malformed { field: "sig", message: format!("not standard base64: {e}") })?;
        let signature: [u8; 64] = bytes
            .try_into()
            .map_err(|b: Vec<u8>| SignatureError::Malformed { field: "sig", message: format!("an Ed25519 signature is 64 bytes, this is {}", b.len()) })?;
        Ok(DetachedSignature { kid, signature })
    }

    /// The `.sig` file's JSON text.
    pub fn to_json(&self) -> String {
        serde_json::json!({ "alg": "Ed25519", "kid": self.kid, "sig": BASE64.encode(self.signature) }).to_string()
    }
}

/// Verifies `signature_json` over the exact `bundle` bytes; returns the kid that signed.
pub fn verify(bundle: &[u8], signature_json: &[u8], trusted: &TrustedKeys) -> Result<String, SignatureError> {
    let detached = DetachedSignature::parse(signature_json)?;
    let key = trusted
        .find(&detached.kid)
        .ok_or_else(|| SignatureError::UnknownKey { kid: detached.kid.clone(), trusted: trusted.kids() })?;
    key.verify_strict(bundle, &Signature::from_bytes(&detached.signature))
        .map_err(|_| SignatureError::Mismatch { kid: detached.kid.clone() })?;
    Ok(detached.kid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey};

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    fn signed(bundle: &[u8], kid: &str, key: &SigningKey) -> String {
        DetachedSignature { kid: kid.into(), signature: key.sign(bundle).to_bytes() }.to_json()
    }

    #[test]
    fn one_key_trusts_any_kid_several_keys_pick_by_kid() {
        let (old, new) = (key(1), key(2));
        let b64 = |k: &SigningKey| BASE64.encode(k.verifying_key().to_bytes());
        let sig = signed(b"{}", "2026-12", &new);
        assert_eq!(verify(b"{}", sig.as_bytes(), &TrustedKeys::parse(&b64(&new)).unwrap()).unwrap(), "2026-12");
        let both = TrustedKeys::parse(&format!("2026-11:{} 2026-12:{}", b64(&old), b64(&new))).unwrap();
        assert_eq!(verify(b"{}", sig.as_bytes(), &both).unwrap(), "2026-12");
        let only_old = TrustedKeys::parse(&format!("2026-11:{}", b64(&old))).unwrap();
        assert!(matches!(verify(b"{}", sig.as_bytes(), &only_old), Err(SignatureError::UnknownKey { .. })));
        assert!(matches!(verify(b"{ }", sig.as_bytes(), &both), Err(SignatureError::Mismatch { .. })));
        // The wrong key under the right kid.
        let swapped = TrustedKeys::parse(&format!("2026-12:{}", b64(&old))).unwrap();
        assert!(matches!(verify(b"{}", sig.as_bytes(), &swapped), Err(SignatureError::Mismatch { .. })));
    }

    /// RFC 8032 test 1 (empty message), so any conforming verifier (WebCrypto) agrees.
    #[test]
    fn rfc8032_vector() {
        let public = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
        let sig_hex = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";
        let sig: Vec<u8> = (0..64).map(|i| u8::from_str_radix(&sig_hex[2 * i..2 * i + 2], 16).unwrap()).collect();
        let file = serde_json::json!({"alg": "Ed25519", "kid": "rfc", "sig": BASE64.encode(sig)}).to_string();
        assert_eq!(verify(b"", file.as_bytes(), &TrustedKeys::parse(public).unwrap()).unwrap(), "rfc");
    }

    #[test]
    fn malformed_inputs_name_the_field() {
        let keys = TrustedKeys::parse("11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=").unwrap();
        let e = verify(b"", br#"{"alg":"RS256","kid":"a","sig":""}"#, &keys).unwrap_err();
        assert_eq!(e, SignatureError::UnsupportedAlgorithm("RS256".into()));
        let e = verify(b"", br#"{"alg":"Ed25519","kid":"a","sig":"AAAA"}"#, &keys).unwrap_err();
        assert!(e.to_string().contains("sig: an Ed25519 signature is 64 bytes, this is 3"), "{e}");
        let e = TrustedKeys::parse("a:AAAA b:BBBB").unwrap_err();
        assert!(e.to_string().contains("32 bytes"), "{e}");
    }
}
