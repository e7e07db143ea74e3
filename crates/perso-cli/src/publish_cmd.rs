//! `perso publish`: stamps the next serial and the issue time, validates, compiles,
//! signs and writes `bundle.json` + `bundle.json.sig` (the readable source) and
//! `bundle.bin` + `bundle.bin.sig` (the compiled form hosts load, docs/bundle-format.md)
//! into the published folder, keeping a copy of
//! every published bundle in `archive/`. The serial always goes up, whatever the
//! content: republishing an old bundle (`perso publish DIR/archive/bundle-3.json`) or
//! switching a campaign off (`--disable ID`) is a new publish, never a rollback that
//! hosts would refuse.
//!
//! `--preview` publishes a draft instead: signed with a preview key (a key pair of its
//! own, kid `preview-...`, that pages list in `data-preview-keys`, never in
//! `data-key`), written to `DIR/preview/` only (production files and the archive are
//! untouched), expiring within a week, and the preview link printed: the page's URL
//! with `perso_preview=<path of the draft's bundle.bin>` (docs/browser-runtime.md,
//! "Preview links", is the contract the runtime follows).

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
    /// Set `expires_at` to this many days from now (default: keep the input's, at most
    /// --max-expiry-days).
    #[arg(long)]
    pub expires_in_days: Option<u32>,
    /// Longest life a published bundle gets: an `expires_at` further away is brought in,
    /// so a leaked or stale bundle stops loading within days; re-publish (a new serial,
    /// re-signed) before it ends, e.g. from a daily job.
    #[arg(long, default_value_t = DEFAULT_MAX_EXPIRY_DAYS)]
    pub max_expiry_days: u32,
    /// The store's own record of the last published serial (a file it keeps with its
    /// deploys, e.g. in its repository or bucket): the serial moves past it and it is
    /// rewritten, so publishing into a fresh folder or from another machine is never a
    /// rollback hosts would refuse.
    #[arg(long, value_name = "FILE")]
    pub serial_file: Option<PathBuf>,
    /// Switch these campaigns off (by id) in what is published.
    #[arg(long, value_name = "CAMPAIGN")]
    pub disable: Vec<String>,
    /// Switch these campaigns on (by id) in what is published.
    #[arg(long, value_name = "CAMPAIGN")]
    pub enable: Vec<String>,
    /// Affinity JSON to put into a compiled authoring file (see `perso compile`).
    #[arg(long)]
    pub affinity: Option<PathBuf>,
    /// Publish a draft for a preview link: signed with a preview key (kid `preview-...`),
    /// written to DIR/preview/, production untouched.
    #[arg(long)]
    pub preview: bool,
    /// The site path where DIR is served (for the preview link), e.g. `/perso/`.
    #[arg(long, default_value = "/", requires = "preview")]
    pub served_at: String,
    /// A page of the store to open the preview on, e.g. `https://shop.example/`.
    #[arg(long, requires = "preview")]
    pub page: Option<String>,
    /// Make the preview link show this campaign in its placement.
    #[arg(long, value_name = "CAMPAIGN", requires = "preview")]
    pub force_campaign: Option<String>,
    /// ... with this variant of its experiment.
    #[arg(long, value_name = "VARIANT", requires = "force_campaign")]
    pub force_variant: Option<String>,
    #[command(flatten)]
    pub clock: Clock,
}

/// Key ids of preview keys start with this; production never signs with one.
pub const PREVIEW_KID_PREFIX: &str = "preview-";

/// Longest life of a preview draft (a link passed around should not work for ever).
const PREVIEW_DAYS: i64 = 7;

/// Default longest life of a published bundle (days, not months: `--max-expiry-days`).
pub const DEFAULT_MAX_EXPIRY_DAYS: u32 = 30;

pub fn run(args: PublishArgs) -> Result<()> {
    let key = PrivateKey::load(&args.key)?;
    match (args.preview, key.kid.starts_with(PREVIEW_KID_PREFIX)) {
        (true, false) => {
            return Err(CliError::Usage(format!(
                "--preview signs with a preview key (kid `{PREVIEW_KID_PREFIX}...`), not the production key `{}`: create one with `perso keygen --kid {PREVIEW_KID_PREFIX}team` and list it in the page's data-preview-keys",
                key.kid
            )))
        }
        (false, true) => {
            return Err(CliError::Usage(format!(
                "`{}` is a preview key: it signs drafts (--preview), never what every shopper loads",
                key.kid
            )))
        }
        _ => {}
    }
    if !args.served_at.starts_with('/') {
        return Err(CliError::Usage(format!("--served-at `{}` is a site path starting with /", args.served_at)));
    }
    let now_ms = args.clock.now_ms()?;
    let source = crate::input::read(&args.input, args.affinity.as_deref())?.bytes;
    let mut bundle: OrderedObject =
        serde_json::from_slice(&source).map_err(|e| CliError::input(&args.input, format!("not a JSON object: {e}")))?;
    switch_campaigns(&mut bundle, &args.disable, false).map_err(|e| CliError::input(&args.input, e))?;
    switch_campaigns(&mut bundle, &args.enable, true).map_err(|e| CliError::input(&args.input, e))?;
    let published = args.out_dir.join(&args.name);
    let recorded = match &args.serial_file {
        Some(path) => recorded_serial(path)?,
        None => None,
    };
    let last_serial = published_serial(&published)?.max(recorded);
    if last_serial.is_none() && !args.preview {
        eprintln!(
            "note: no earlier serial known ({} does not exist{}): if this store published elsewhere before, pass --serial-file with its record, or hosts that saw a higher serial refuse this one",
            published.display(),
            if args.serial_file.is_some() { ", nor does the serial file" } else { "" }
        );
    }
    let input_serial = bundle.get("serial").and_then(|raw| raw.get().parse::<u64>().ok()).unwrap_or(0);
    let serial = last_serial.unwrap_or(0).max(input_serial) + 1;
    if args.expires_in_days.is_some_and(|days| days > args.max_expiry_days) {
        return Err(CliError::Usage(format!(
            "--expires-in-days {} is beyond --max-expiry-days {}: raise the maximum if you mean it",
            args.expires_in_days.unwrap_or(0),
            args.max_expiry_days
        )));
    }
    let set = |bundle: &mut OrderedObject, key: &str, value: serde_json::Value| {
        bundle.set(key, &value).map_err(|e| CliError::input(&args.input, e))
    };
    set(&mut bundle, "serial", serial.into())?;
    set(&mut bundle, "issued_at", format_rfc3339(now_ms).into())?;
    if let Some(days) = args.expires_in_days {
        set(&mut bundle, "expires_at", format_rfc3339(now_ms + i64::from(days) * 86_400_000).into())?;
    }
    let longest = if args.preview { PREVIEW_DAYS } else { i64::from(args.max_expiry_days) };
    {
        let latest = now_ms + longest * 86_400_000;
        let written = bundle
            .get("expires_at")
            .and_then(|raw| serde_json::from_str::<String>(raw.get()).ok())
            .and_then(|t| perso_core::time::parse_rfc3339(&t));
        if written.is_none_or(|t| t > latest) {
            set(&mut bundle, "expires_at", format_rfc3339(latest).into())?;
        }
    }
    let bytes = bundle.to_json().into_bytes();
    let engine = crate::load::load_publishable(&args.input, &bytes)?;
    engine.check_freshness(last_serial, now_ms).map_err(|e| {
        CliError::input(&args.input, format!("{e}; publish with --expires-in-days N or change expires_at"))
    })?;
    if let Some(id) = &args.force_campaign {
        let index = engine
            .campaign_index(id)
            .ok_or_else(|| CliError::Usage(format!("--force-campaign `{id}`: no campaign of the draft has this id")))?;
        if let Some(variant) = &args.force_variant {
            let has = engine
                .program()
                .campaign(index)
                .and_then(|c| c.experiment.as_ref())
                .is_some_and(|e| e.variants.iter().any(|v| &*v.id == variant.as_str()));
            if !has {
                return Err(CliError::Usage(format!(
                    "--force-variant `{variant}`: campaign `{id}` has no such variant"
                )));
            }
        }
    }
    let signature = crate::sign_cmd::signature_json(&bytes, &key);
    let compiled = engine.to_compiled();
    if args.preview {
        return write_preview(&args, &bytes, &compiled, &signature, &key, serial, engine.expires_at_ms());
    }
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
    if let Some(path) = &args.serial_file {
        write_file(path, format!("{serial}\n").as_bytes())?;
    }
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

/// The serial the store's own record holds (a decimal number), if the file exists.
fn recorded_serial(path: &Path) -> Result<Option<u64>> {
    if !path.exists() {
        return Ok(None);
    }
    let text = String::from_utf8_lossy(&read_file(path)?).trim().to_owned();
    text.parse::<u64>()
        .map(Some)
        .map_err(|_| CliError::input(path, format!("the serial file holds `{text}`, not a serial (a whole number)")))
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

/// Writes the draft to `DIR/preview/` and prints its preview link.
fn write_preview(
    args: &PublishArgs,
    bytes: &[u8],
    compiled: &[u8],
    signature: &str,
    key: &PrivateKey,
    serial: u64,
    expires_at_ms: i64,
) -> Result<()> {
    let dir = args.out_dir.join("preview");
    let json_path = dir.join(&args.name);
    let bin_path = json_path.with_extension("bin");
    write_file(&json_path, bytes)?;
    write_file(&crate::sign_cmd::sig_path(&json_path), signature.as_bytes())?;
    write_file(&bin_path, compiled)?;
    write_file(&crate::sign_cmd::sig_path(&bin_path), crate::sign_cmd::signature_json(compiled, key).as_bytes())?;
    let file = bin_path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
    let draft = format!("{}/preview/{file}", args.served_at.trim_end_matches('/'));
    println!(
        "preview draft serial {serial} written to {} (production untouched), signed with preview key {}, expires {}",
        dir.display(),
        key.kid,
        format_rfc3339(expires_at_ms)
    );
    println!(
        "preview link: {}",
        preview_link(args.page.as_deref(), &draft, args.force_campaign.as_deref(), args.force_variant.as_deref())
    );
    println!(
        "the page must list the preview key in data-preview-keys=\"{}:{}\"; leave the preview with ?perso_preview=off",
        key.kid,
        key.public_base64()
    );
    Ok(())
}

/// `PAGE?perso_preview=/perso/preview/bundle.bin[&perso_campaign=ID[&perso_variant=V]]`
/// (the contract of docs/browser-runtime.md, "Preview links").
pub fn preview_link(page: Option<&str>, draft: &str, campaign: Option<&str>, variant: Option<&str>) -> String {
    let page = page.unwrap_or("https://YOUR-STORE/");
    let (base, fragment) = page.split_once('#').map_or((page, None), |(b, f)| (b, Some(f)));
    let mut link = format!("{base}{}perso_preview={}", if base.contains('?') { '&' } else { '?' }, encode(draft));
    if let Some(campaign) = campaign {
        link.push_str(&format!("&perso_campaign={}", encode(campaign)));
    }
    if let Some(variant) = variant {
        link.push_str(&format!("&perso_variant={}", encode(variant)));
    }
    if let Some(fragment) = fragment {
        link.push('#');
        link.push_str(fragment);
    }
    link
}

/// Percent-encoding of a query value (RFC 3986 unreserved characters and `/` kept).
fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn preview_links() {
        assert_eq!(
            super::preview_link(Some("https://shop.example/"), "/perso/preview/bundle.bin", None, None),
            "https://shop.example/?perso_preview=/perso/preview/bundle.bin"
        );
        assert_eq!(
            super::preview_link(Some("https://shop.example/p?x=1#top"), "/preview/bundle.bin", Some("aff hero"), Some("b")),
            "https://shop.example/p?x=1&perso_preview=/preview/bundle.bin&perso_campaign=aff%20hero&perso_variant=b#top"
        );
    }
}
