//! `perso compile`: an authoring file (YAML, see [`crate::authoring`]) to the bundle
//! JSON, checked by the engine before it is written. Other commands accept either form
//! through [`bundle_bytes`].

use crate::authoring::{AuthoringFile, BundleOut, Out};
use crate::error::{read_file, write_file, CliError, Result};
use clap::Args;
use std::path::{Path, PathBuf};

#[derive(Debug, Args)]
pub struct CompileArgs {
    /// The authoring file (`.yaml` / `.yml`).
    pub input: PathBuf,
    /// Where to write the bundle JSON (default: standard output).
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// Use this affinity JSON (e.g. from `perso profiles --affinity-out`) instead of the file's.
    #[arg(long)]
    pub affinity: Option<PathBuf>,
}

/// What the marketer wrote, for pointing problems at their lines.
#[derive(Debug, Clone)]
pub enum Origin {
    Json,
    Authoring(String),
}

pub fn is_authoring(path: &Path) -> bool {
    matches!(path.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
}

pub fn bundle_bytes(path: &Path, affinity: Option<&Path>) -> Result<Vec<u8>> {
    bundle_bytes_with_origin(path, affinity).map(|(bytes, _)| bytes)
}

/// The bundle JSON of `path`: compiled if it is an authoring file, else read as is.
pub fn bundle_bytes_with_origin(path: &Path, affinity: Option<&Path>) -> Result<(Vec<u8>, Origin)> {
    let bytes = read_file(path)?;
    if !is_authoring(path) {
        return Ok((bytes, Origin::Json));
    }
    let text = String::from_utf8(bytes).map_err(|_| CliError::input(path, "not UTF-8 text"))?;
    let compiled = compile(&text, path, affinity)?;
    Ok((compiled, Origin::Authoring(text)))
}

/// Compiles authoring YAML; `path` names the file in errors and anchors relative files.
pub fn compile(text: &str, path: &Path, affinity_override: Option<&Path>) -> Result<Vec<u8>> {
    let file: AuthoringFile = serde_norway::from_str(text).map_err(|e| {
        let place = e.location().map(|l| format!("line {}, column {}: ", l.line(), l.column())).unwrap_or_default();
        CliError::input(path, format!("{place}{}", strip_location(&e.to_string())))
    })?;
    let base = path.parent().unwrap_or(Path::new("."));
    let mut segments = file.segments;
    let mut campaigns = Vec::with_capacity(file.campaigns.len());
    for entry in file.campaigns {
        let (campaign, implied) = entry.expand();
        if let Some(segment) = implied.filter(|s| !segments.iter().any(|d| d.id == s.id)) {
            segments.push(segment);
        }
        campaigns.push(campaign);
    }
    let products = one_of(path, base, "products", file.products, file.products_file.as_deref())?;
    let affinity = match affinity_override {
        Some(file) => Some(Out::Json(read_json(file)?)),
        None => one_of(path, base, "affinity", file.affinity, file.affinity_file.as_deref())?,
    };
    let bundle = BundleOut {
        version: file.version,
        serial: file.serial,
        issued_at: file.issued_at,
        expires_at: file.expires_at,
        store: file.store,
        utc_offset_minutes: file.utc_offset_minutes,
        placements: file.placements,
        segments,
        campaigns,
        guardrails: file.guardrails,
        products,
        affinity,
    };
    let mut json = serde_json::to_string_pretty(&bundle).map_err(|e| CliError::input(path, e.to_string()))?;
    json.push('\n');
    Ok(json.into_bytes())
}

/// serde_norway appends " at line L column C"; the position is shown first instead.
fn strip_location(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

fn one_of(
    path: &Path,
    base: &Path,
    field: &str,
    inline: Option<serde_norway::Value>,
    file: Option<&str>,
) -> Result<Option<Out>> {
    match (inline, file) {
        (Some(_), Some(_)) => {
            Err(CliError::input(path, format!("{field} and {field}_file: give one of them, not both")))
        }
        (Some(value), None) => Ok(Some(Out::Yaml(value))),
        (None, Some(file)) => read_json(&base.join(file)).map(|v| Some(Out::Json(v))),
        (None, None) => Ok(None),
    }
}

fn read_json(path: &Path) -> Result<serde_json::Value> {
    serde_json::from_slice(&read_file(path)?).map_err(|e| CliError::input(path, format!("not JSON: {e}")))
}

pub fn run(args: CompileArgs) -> Result<()> {
    let text =
        String::from_utf8(read_file(&args.input)?).map_err(|_| CliError::input(&args.input, "not UTF-8 text"))?;
    let bytes = compile(&text, &args.input, args.affinity.as_deref())?;
    // Engine problems are printed with the authoring file's lines where found.
    crate::validate_cmd::load_from(&args.input, &bytes, &Origin::Authoring(text.clone()))?;
    match &args.out {
        Some(out) => {
            write_file(out, &bytes)?;
            eprintln!("compiled {} -> {}", args.input.display(), out.display());
        }
        None => print!("{}", String::from_utf8_lossy(&bytes)),
    }
    Ok(())
}
