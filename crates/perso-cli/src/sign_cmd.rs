//! `perso sign`: a detached signature (`bundle.json.sig`) over the bundle's exact bytes.

use crate::error::{read_file, write_file, Result};
use crate::keys::PrivateKey;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use clap::Args;
use ed25519_dalek::Signer;
use std::path::{Path, PathBuf};

#[derive(Debug, Args)]
pub struct SignArgs {
    /// The bundle JSON to sign (its bytes are signed as they are).
    pub bundle: PathBuf,
    /// Private key file written by `perso keygen`.
    #[arg(long)]
    pub key: PathBuf,
    /// Where to write the signature (default: the bundle's path + `.sig`).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub fn sig_path(bundle: &Path) -> PathBuf {
    let mut name = bundle.as_os_str().to_owned();
    name.push(".sig");
    PathBuf::from(name)
}

/// The `.sig` file (docs/api.md): `{"alg":"Ed25519","kid":..,"sig":"<base64 of 64 bytes>"}`.
pub fn signature_json(bytes: &[u8], key: &PrivateKey) -> String {
    let signature = key.signing.sign(bytes).to_bytes();
    format!("{}\n", serde_json::json!({ "alg": "Ed25519", "kid": key.kid, "sig": BASE64.encode(signature) }))
}

pub fn run(args: SignArgs) -> Result<()> {
    let key = PrivateKey::load(&args.key)?;
    let bytes = read_file(&args.bundle)?;
    // Refuse to sign what no host would load.
    crate::load::load_publishable(&args.bundle, &bytes)?;
    let out = args.out.unwrap_or_else(|| sig_path(&args.bundle));
    write_file(&out, signature_json(&bytes, &key).as_bytes())?;
    eprintln!("signed {} with kid {} -> {}", args.bundle.display(), key.kid, out.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::SigningKey;

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len() / 2).map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).unwrap()).collect()
    }

    /// RFC 8032, section 7.1, test 2 (one-byte message): the exact signature, so any
    /// conforming verifier (WebCrypto in browsers and workers) accepts what we sign.
    #[test]
    fn rfc8032_test_2() {
        let seed: [u8; 32] =
            hex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb").try_into().unwrap();
        let key = PrivateKey { kid: "rfc".into(), signing: SigningKey::from_bytes(&seed) };
        assert_eq!(
            key.public_base64(),
            BASE64.encode(hex("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c"))
        );
        let file: serde_json::Value = serde_json::from_str(&signature_json(&[0x72], &key)).unwrap();
        let expected = hex("92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00");
        assert_eq!(file["sig"], BASE64.encode(expected));
        let trusted = perso_core::signature::parse_trusted_keys(&format!("rfc:{}", key.public_base64())).unwrap();
        assert_eq!(perso_core::signature::verify_detached(&[0x72], file.to_string().as_bytes(), &trusted), Ok(()));
    }
}
