//! `perso init`: a complete, commented authoring file for a new store — the three
//! reference scenarios (affiliate visitor, anonymous visitor, known high-value
//! customer), the registration answers that become `visitor.interests`, and the
//! pitfalls a first file falls into. What it writes compiles, validates with no
//! warning and shows each scenario in `perso explain` (a test checks all three).

use crate::clock::{format_rfc3339, Clock};
use crate::error::{write_file, CliError, Result};
use clap::Args;
use std::path::PathBuf;

/// The starter, with `{{store}}`, `{{affiliate}}`, `{{expires_at}}` and `{{file}}` to fill.
const STARTER: &str = include_str!("starter.perso.yaml");

/// Days until the starter's `expires_at` (publishing replaces it).
const STARTER_DAYS: i64 = 90;

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The authoring file to write.
    #[arg(default_value = "store.perso.yaml")]
    pub file: PathBuf,
    /// The store's name.
    #[arg(long, default_value = "My store")]
    pub store: String,
    /// The affiliate site of scenario 1 (its referrer host).
    #[arg(long, default_value = "partner.example")]
    pub affiliate: String,
    /// Replace the file if it exists.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub clock: Clock,
}

pub fn run(args: InitArgs) -> Result<()> {
    let host_ok = !args.affiliate.is_empty()
        && args.affiliate.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'))
        && args.affiliate.contains('.');
    if !host_ok {
        return Err(CliError::Usage(format!(
            "--affiliate `{}` is not a host name such as partner.example",
            args.affiliate
        )));
    }
    if args.store.contains(['\n', '"', '#', ':']) {
        return Err(CliError::Usage("--store: a plain name, without \", #, : or line breaks".into()));
    }
    if args.file.exists() && !args.force {
        return Err(CliError::Usage(format!("{} exists; choose another file or pass --force", args.file.display())));
    }
    let expires = format_rfc3339(args.clock.now_ms()? + STARTER_DAYS * 86_400_000);
    let text = STARTER
        .replace("{{store}}", &args.store)
        .replace("{{affiliate}}", &args.affiliate)
        .replace("{{expires_at}}", expires.get(..10).unwrap_or(&expires))
        .replace("{{file}}", &args.file.display().to_string());
    write_file(&args.file, text.as_bytes())?;
    eprintln!(
        "wrote {}: the three reference scenarios for {}; next: perso validate {}",
        args.file.display(),
        args.store,
        args.file.display()
    );
    Ok(())
}
