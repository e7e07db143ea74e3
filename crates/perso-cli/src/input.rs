//! The file a command was given, as bundle JSON: read as is, or compiled from an
//! authoring file ([`crate::authoring`]), with what is needed to point problems at
//! the marketer's lines ([`Origin`]) and the YAML traps found on the way.

use crate::authoring::{self, de::DeError, yaml, AuthoringFile, BundleOut, Out};
use crate::error::{read_file, CliError, Result};
use crate::lint::Lint;
use crate::locate::{Authored, Origin};
use std::path::Path;

/// A bundle's JSON and where it came from.
#[derive(Debug, Clone)]
pub struct Input {
    pub bytes: Vec<u8>,
    pub origin: Origin,
    /// YAML traps of an authoring file (warnings with their lines).
    pub traps: Vec<Lint>,
}

pub fn is_authoring(path: &Path) -> bool {
    matches!(path.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
}

/// The bundle JSON of `path`: compiled if it is an authoring file, else read as is.
pub fn read(path: &Path, affinity: Option<&Path>) -> Result<Input> {
    let bytes = read_file(path)?;
    if !is_authoring(path) {
        let origin = Origin::json(&bytes);
        return Ok(Input { bytes, origin, traps: Vec::new() });
    }
    let text = String::from_utf8(bytes).map_err(|_| CliError::input(path, "not UTF-8 text"))?;
    compile(&text, path, affinity)
}

/// Compiles authoring YAML; `path` names the file in errors and anchors relative files.
pub fn compile(text: &str, path: &Path, affinity_override: Option<&Path>) -> Result<Input> {
    let tree = yaml::parse(text)
        .map_err(|e| CliError::input(path, format!("line {}, column {}: {}", e.at.line, e.at.column, e.message)))?;
    let traps = authoring::traps::find(text, &tree);
    let file: AuthoringFile = authoring::de::from_node(&tree).map_err(|e| {
        // The traps are often the root cause of a structure error (`enabled: yes`).
        for trap in &traps {
            eprintln!("{}:{}: warning[{}]: {}", path.display(), trap.line.unwrap_or(0), trap.code, trap.message);
        }
        structure_error(path, &tree, &e)
    })?;
    let base = path.parent().unwrap_or(Path::new("."));
    let mut segments = file.segments;
    let written_segments = segments.len();
    let mut implied_by = Vec::new();
    let mut campaigns = Vec::with_capacity(file.campaigns.len());
    for (index, entry) in file.campaigns.into_iter().enumerate() {
        let (campaign, implied) = entry.expand();
        if let Some(segment) = implied.filter(|s| !segments.iter().any(|d| d.id == s.id)) {
            segments.push(segment);
            implied_by.push(index);
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
        context: file.context,
        placements: file.placements,
        page_types: file.page_types,
        holdout: file.holdout,
        segments,
        campaigns,
        guardrails: file.guardrails,
        products,
        affinity,
    };
    let mut json = serde_json::to_string_pretty(&bundle).map_err(|e| CliError::input(path, e.to_string()))?;
    json.push('\n');
    let origin = Origin::Authoring(Authored { tree, written_segments, implied_by });
    Ok(Input { bytes: json.into_bytes(), origin, traps })
}

/// `line L, column C: path: message`, with the root cause of a missing field when
/// the field is written elsewhere (an indentation slip).
fn structure_error(path: &Path, tree: &yaml::Node, error: &DeError) -> CliError {
    let place = error.at.map(|p| format!("line {}, column {}: ", p.line, p.column)).unwrap_or_default();
    let field_path = error.path.as_deref().filter(|p| !p.is_empty()).map(|p| format!("{p}: ")).unwrap_or_default();
    let hint = error
        .missing
        .as_deref()
        .and_then(|missing| misplaced(tree, missing, error.path.as_deref().unwrap_or("")))
        .unwrap_or_default();
    CliError::input(path, format!("{place}{field_path}{}{hint}", error.message))
}

/// Where a missing field was written instead: the nearest `field:` at or after
/// the map that lacks it, outside it or nested too deep, with the column it needs.
fn misplaced(tree: &yaml::Node, field: &str, map_path: &str) -> Option<String> {
    let (found, _) = tree.find(&yaml::steps(map_path));
    let yaml::Located::Value(map @ yaml::Node::Map { entries, .. }) = found else { return None };
    let start = map.span().start;
    let column = entries.first().map_or(start.column, |e| e.key_span.start.column);
    let mut candidates = Vec::new();
    collect(tree, "", field, &mut candidates);
    let (line, col, owner) = candidates
        .into_iter()
        .filter(|(line, _, _)| *line >= start.line)
        .min_by_key(|(line, _, _)| line - start.line)?;
    let owner = if owner.is_empty() { "the top level of the file".to_owned() } else { format!("`{owner}`") };
    Some(format!(
        "; a `{field}:` is on line {line}, column {col}, where its indentation makes it part of {owner}: indent it to column {column}, like the other fields of {map_path} (line {})",
        start.line
    ))
}

fn collect(node: &yaml::Node, path: &str, field: &str, out: &mut Vec<(usize, usize, String)>) {
    match node {
        yaml::Node::Map { entries, .. } => {
            for entry in entries {
                if entry.key == field {
                    out.push((entry.key_span.start.line, entry.key_span.start.column, path.to_owned()));
                }
                collect(&entry.value, &authoring::de::join(path, &entry.key), field, out);
            }
        }
        yaml::Node::Seq { items, .. } => {
            for (i, item) in items.iter().enumerate() {
                collect(item, &format!("{path}[{i}]"), field, out);
            }
        }
        yaml::Node::Scalar { .. } => {}
    }
}

fn one_of(
    path: &Path,
    base: &Path,
    field: &str,
    inline: Option<authoring::Value>,
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
