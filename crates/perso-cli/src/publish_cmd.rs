//! `perso publish`: stamps the next serial and the issue time, validates, compiles,
//! signs and writes `bundle.json` + `bundle.json.sig` (the readable source) and
//! `bundle.bin` + `bundle.bin.sig` (the compiled form hosts load, docs/bundle-format.md)
//! into the published folder, keeping a copy of
//! every published bundle in `archive/`. The serial always goes up, whatever the
//! content: republishing an old bundle (`perso publish DIR/archive/bundle-3.json`) or
//! switching a campaign off (`--disable ID`) is a new publish, never a rollback that
//! hosts would refuse.

use crate::clock::{format_rfc3339, Clock};
use crate::error::{read_file, write_file, CliError, Result};
use crate::json_order::OrderedObject;
use crate::keys::PrivateKey;
use clap::Args;
use std::path::{Path, PathBuf};

#[derive(Debug, Args)]
pub struct PublishArgs {
    /// A bundle JSON, or an authoring file (`.yaml`/`.yml`) compiled first.
    pub input: PathBuf,
    /// Private key file written by `perso keygen`.
    #[arg(long)]
    pub key: PathBuf,
    /// The published folder (e.g. the site's `www/`); its current bundle gives the last serial.
    #[arg(long)]
    pub out_dir: PathBuf,
    /// File name of the bundle in the published folder.
    #[arg(long, default_value = "bundle.json")]
    pub name: String,
    /// Set `expires_at` to this many days from now (default: keep the input's).
    #[arg(long)]
    pub expires_in_days: Option<u32>,
    /// Switch these campaigns off (by id) in what is published.
    #[arg(long, value_name = "CAMPAIGN")]
    pub disable: Vec<String>,
    /// Switch these campaigns on (by id) in what is published.
    #[arg(long, value_name = "CAMPAIGN")]
    pub enable: Vec<String>,
    /// Affinity JSON to put into a compiled authoring file (see `perso compile`).
    #[arg(long)]
    pub affinity: Option<PathBuf>,
    #[command(flatten)]
    pub clock: Clock,
}

pub fn run(args: PublishArgs) -> Result<()> {
    let key = PrivateKey::load(&args.key)?;
    let now_ms = args.clock.now_ms()?;
    let source = crate::compile_cmd::bundle_bytes(&args.input, args.affinity.as_deref())?;
    let mut bundle: OrderedObject =
        serde_json::from_slice(&source).map_err(|e| CliError::input(&args.input, format!("not a JSON object: {e}")))?;
    switch_campaigns(&mut bundle, &args.disable, false).map_err(|e| CliError::input(&args.input, e))?;
    switch_campaigns(&mut bundle, &args.enable, true).map_err(|e| CliError::input(&args.input, e))?;
    let published = args.out_dir.join(&args.name);
    let last_serial = published_serial(&published)?;
    let input_serial = bundle.get("serial").and_then(|raw| raw.get().parse::<u64>().ok()).unwrap_or(0);
    let serial = last_serial.unwrap_or(0).max(input_serial) + 1;
    let set = |bundle: &mut OrderedObject, key: &str, value: serde_json::Value| {
        bundle.set(key, &value).map_err(|e| CliError::input(&args.input, e))
    };
    set(&mut bundle, "serial", serial.into())?;
    set(&mut bundle, "issued_at", format_rfc3339(now_ms).into())?;
    if let Some(days) = args.expires_in_days {
        set(&mut bundle, "expires_at", format_rfc3339(now_ms + i64::from(days) * 86_400_000).into())?;
    }
    let bytes = bundle.to_json().into_bytes();
    let engine = crate::validate_cmd::load_publishable(&args.input, &bytes)?;
    engine.check_freshness(last_serial, now_ms).map_err(|e| {
        CliError::input(&args.input, format!("{e}; publish with --expires-in-days N or change expires_at"))
    })?;
    let signature = crate::sign_cmd::signature_json(&bytes, &key);
    let compiled = engine.to_compiled();
    let compiled_path = published.with_extension("bin");
    let archive = args.out_dir.join("archive");
    write_file(&archive.join(format!("bundle-{serial}.json")), &bytes)?;
    write_file(&published, &bytes)?;
    write_file(&crate::sign_cmd::sig_path(&published), signature.as_bytes())?;
    write_file(&compiled_path, &compiled)?;
    write_file(
        &crate::sign_cmd::sig_path(&compiled_path),
        crate::sign_cmd::signature_json(&compiled, &key).as_bytes(),
    )?;
    println!(
        "published serial {serial} (previous {}) to {} and {} ({} bytes compiled), signed with kid {}, expires {}",
        last_serial.map_or("none".to_owned(), |s| s.to_string()),
        published.display(),
        compiled_path.display(),
        compiled.len(),
        key.kid,
        format_rfc3339(engine.expires_at_ms())
    );
    Ok(())
}

/// The serial of the bundle currently published, if there is one.
fn published_serial(path: &Path) -> Result<Option<u64>> {
    if !path.exists() {
        return Ok(None);
    }
    let value: serde_json::Value = serde_json::from_slice(&read_file(path)?).map_err(|e| {
        CliError::input(path, format!("the published bundle is not JSON ({e}); cannot know its serial"))
    })?;
    value
        .get("serial")
        .and_then(|s| s.as_u64())
        .map(Some)
        .ok_or_else(|| CliError::input(path, "serial: missing in the published bundle"))
}

fn switch_campaigns(bundle: &mut OrderedObject, ids: &[String], enabled: bool) -> Result<(), String> {
    if ids.is_empty() {
        return Ok(());
    }
    let raw = bundle.get("campaigns").ok_or("campaigns: missing")?;
    let mut campaigns: Vec<serde_json::Value> =
        serde_json::from_str(raw.get()).map_err(|e| format!("campaigns: {e}"))?;
    for id in ids {
        let campaign = campaigns
            .iter_mut()
            .find(|c| c.get("id").and_then(|v| v.as_str()) == Some(id.as_str()))
            .ok_or_else(|| format!("no campaign has id `{id}`"))?;
        if let Some(object) = campaign.as_object_mut() {
            object.insert("enabled".into(), enabled.into());
        }
    }
    bundle.set("campaigns", &campaigns)
}
