//! `perso verify`: the checks a browser runtime or edge worker makes before using a
//! bundle, in the same order: the detached signature against the trusted keys, then
//! loading (validation), then freshness (not expired; not older than the last accepted
//! serial, when given). The signature check is perso-core's (feature `verify`).

use crate::clock::Clock;
use crate::error::{read_file, CliError, Result};
use clap::Args;
use perso_core::signature::{parse_trusted_keys, verify_detached, SignatureError};
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct VerifyArgs {
    pub bundle: PathBuf,
    /// Signature file (default: the bundle's path + `.sig`).
    #[arg(long)]
    pub sig: Option<PathBuf>,
    /// Trusted public keys: `BASE64` or `"kid1:BASE64 kid2:BASE64"` (as in `data-key`).
    #[arg(long, required_unless_present = "keys_file")]
    pub keys: Option<String>,
    /// A file holding the trusted keys in the same syntax (one or more lines).
    #[arg(long)]
    pub keys_file: Option<PathBuf>,
    /// The highest serial already accepted: a lower one is a rollback.
    #[arg(long)]
    pub last_serial: Option<u64>,
    #[command(flatten)]
    pub clock: Clock,
}

pub fn run(args: VerifyArgs) -> Result<()> {
    let keys_text = match (&args.keys, &args.keys_file) {
        (Some(keys), _) => keys.clone(),
        (None, Some(path)) => String::from_utf8_lossy(&read_file(path)?).into_owned(),
        (None, None) => return Err(CliError::Usage("give --keys or --keys-file".into())),
    };
    let trusted = parse_trusted_keys(&keys_text.replace(',', " ")).map_err(|e| CliError::Usage(e.to_string()))?;
    let bytes = read_file(&args.bundle)?;
    let sig_path = args.sig.clone().unwrap_or_else(|| crate::sign_cmd::sig_path(&args.bundle));
    let sig = read_file(&sig_path)?;
    verify_detached(&bytes, &sig, &trusted).map_err(|e| CliError::input(&sig_path, explain(e, &args.bundle)))?;
    let kid = serde_json::from_slice::<serde_json::Value>(&sig)
        .ok()
        .and_then(|s| s.get("kid").and_then(|k| k.as_str()).map(str::to_owned))
        .unwrap_or_default();
    let engine = crate::load::load_bytes(&args.bundle, &bytes)?;
    let now_ms = args.clock.now_ms()?;
    engine.check_freshness(args.last_serial, now_ms).map_err(|e| CliError::input(&args.bundle, e.to_string()))?;
    println!(
        "OK: {} is signed by kid {}, loads, serial {}, expires {}",
        args.bundle.display(),
        kid,
        engine.serial(),
        crate::clock::format_rfc3339(engine.expires_at_ms())
    );
    Ok(())
}

/// perso-core's message, plus what a marketer can do about it.
fn explain(error: SignatureError, bundle: &std::path::Path) -> String {
    match error {
        SignatureError::Mismatch => {
            format!("{}: {error}; re-sign it (perso sign / perso publish) or restore the signed file", bundle.display())
        }
        SignatureError::UnknownKey(kid) => {
            format!("no trusted key has kid `{kid}`: add its public key to the trusted keys (kid:BASE64)")
        }
        other => other.to_string(),
    }
}
