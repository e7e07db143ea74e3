//! `perso sign`: a detached signature (`bundle.json.sig`) over the bundle's exact bytes.

use crate::error::{read_file, write_file, Result};
use crate::keys::PrivateKey;
use crate::signature::DetachedSignature;
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

pub fn signature_json(bytes: &[u8], key: &PrivateKey) -> String {
    let signature = DetachedSignature { kid: key.kid.clone(), signature: key.signing.sign(bytes).to_bytes() };
    format!("{}\n", signature.to_json())
}

pub fn run(args: SignArgs) -> Result<()> {
    let key = PrivateKey::load(&args.key)?;
    let bytes = read_file(&args.bundle)?;
    // Refuse to sign what no host would load.
    crate::validate_cmd::load(&args.bundle, &bytes)?;
    let out = args.out.unwrap_or_else(|| sig_path(&args.bundle));
    write_file(&out, signature_json(&bytes, &key).as_bytes())?;
    eprintln!("signed {} with kid {} -> {}", args.bundle.display(), key.kid, out.display());
    Ok(())
}
