//! `perso keygen` and private-key files. A key file is JSON
//! `{"alg":"Ed25519","kid":..,"secret":"<base64 32-byte seed>","public":"<base64>"}`,
//! written with mode 0600 and never inside a git work tree, so a private key cannot be
//! committed by accident (nor can it reach a bundle: bundles are signed, not keyed).

use crate::error::{read_file, CliError, Result};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use clap::Args;
use ed25519_dalek::SigningKey;
use std::path::{Path, PathBuf};

#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Key id, e.g. the month it starts being used (`2026-12`); letters, digits, `-`, `_`, `.`.
    #[arg(long)]
    pub kid: String,
    /// Folder for the private key; must be outside any git work tree.
    #[arg(long, default_value_os_t = default_key_dir())]
    pub dir: PathBuf,
}

fn default_key_dir() -> PathBuf {
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("."));
    home.join(".config").join("perso").join("keys")
}

pub struct PrivateKey {
    pub kid: String,
    pub signing: SigningKey,
}

impl PrivateKey {
    pub fn public_base64(&self) -> String {
        BASE64.encode(self.signing.verifying_key().to_bytes())
    }

    pub fn load(path: &Path) -> Result<PrivateKey> {
        let bytes = read_file(path)?;
        if let Some(tree) = enclosing_git_tree(path.parent().unwrap_or(Path::new("."))) {
            eprintln!(
                "warning: the private key {} is inside the git work tree {}: move it out and rotate it if it was ever committed",
                path.display(),
                tree.display()
            );
        }
        let value: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| CliError::input(path, format!("not a perso key file (JSON): {e}")))?;
        let field = |name: &str| {
            value
                .get(name)
                .and_then(|v| v.as_str())
                .ok_or_else(|| CliError::input(path, format!("{name}: missing, or not a string")))
        };
        let kid = field("kid")?.to_owned();
        let secret =
            BASE64.decode(field("secret")?).map_err(|e| CliError::input(path, format!("secret: not base64: {e}")))?;
        let seed: [u8; 32] = secret.try_into().map_err(|_| CliError::input(path, "secret: must be 32 bytes"))?;
        Ok(PrivateKey { kid, signing: SigningKey::from_bytes(&seed) })
    }
}

fn valid_kid(kid: &str) -> bool {
    !kid.is_empty() && kid.len() <= 64 && kid.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// The git work tree holding `dir` (or its nearest existing ancestor), if any.
pub fn enclosing_git_tree(dir: &Path) -> Option<PathBuf> {
    let absolute = std::path::absolute(dir).ok()?;
    absolute.ancestors().find(|a| a.join(".git").exists()).map(Path::to_path_buf)
}

pub fn keygen(args: KeygenArgs) -> Result<()> {
    if !valid_kid(&args.kid) {
        return Err(CliError::Usage(format!("--kid `{}`: use 1-64 letters, digits, `-`, `_` or `.`", args.kid)));
    }
    if let Some(tree) = enclosing_git_tree(&args.dir) {
        return Err(CliError::Usage(format!(
            "--dir {} is inside the git work tree {}: private keys must never be written into a repository; choose a folder outside it",
            args.dir.display(),
            tree.display()
        )));
    }
    let path = args.dir.join(format!("{}.key", args.kid));
    if path.exists() {
        return Err(CliError::Usage(format!(
            "{} exists already; a key id names one key forever, choose a new kid",
            path.display()
        )));
    }
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| CliError::Failed(format!("the system's random source failed: {e}")))?;
    let key = PrivateKey { kid: args.kid.clone(), signing: SigningKey::from_bytes(&seed) };
    let json = serde_json::json!({
        "alg": "Ed25519", "kid": key.kid, "secret": BASE64.encode(seed), "public": key.public_base64(),
    });
    std::fs::create_dir_all(&args.dir).map_err(|e| CliError::io(&args.dir, e))?;
    write_private(&path, format!("{json}\n").as_bytes())?;
    eprintln!("wrote private key {} (keep it secret; never commit it)", path.display());
    eprintln!("public key for data-key / worker config (add it to the trusted list before signing with it):");
    println!("{}:{}", key.kid, key.public_base64());
    Ok(())
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(|e| CliError::io(path, e))?;
    file.write_all(bytes).map_err(|e| CliError::io(path, e))
}
