//! Where a bundle problem is in the file the marketer wrote: the engine reports JSON
//! paths (`campaigns[3].condition.and[1]`); marketers read lines. The object is found by
//! its section and `id` (`"id": "x"` in JSON, `id: x` in YAML), then the field below it.
//! A heuristic, not a parser with positions: when nothing is found, the problem is still
//! reported with its JSON path, only without a line.

use crate::compile_cmd::Origin;
use serde_json::Value;

/// The 1-based line in `text` where the object at `json_path` (or its field) starts,
/// found by its `id` (`"id": "x"` in JSON, `id: x` in YAML) for `campaigns[i]`,
/// `segments[i]` and `placements[i]`, or by the top-level key.
pub fn line_of(text: &str, bundle: &Value, json_path: &str) -> Option<usize> {
    let head = json_path.split(['.', '[']).next()?;
    let index: Option<usize> =
        json_path.strip_prefix(head)?.strip_prefix('[').and_then(|rest| rest.split(']').next()?.parse().ok());
    let Some(index) = index else {
        return text
            .lines()
            .position(|l| {
                let l = l.trim_start();
                l.starts_with(&format!("\"{head}\"")) || l.starts_with(&format!("{head}:"))
            })
            .map(|n| n + 1);
    };
    let id = bundle.get(head)?.get(index)?.get("id")?.as_str()?;
    // Searched from the section's key on, so a placement and a campaign may share an id.
    let section = text
        .lines()
        .position(|l| l.starts_with(&format!("{head}:")) || l.trim_start().starts_with(&format!("\"{head}\"")))
        .unwrap_or(0);
    let id_line = section
        + text.lines().skip(section).position(|l| {
            let l = l.trim_start().trim_start_matches("- ");
            l.contains(&format!("\"id\": \"{id}\""))
                || l == format!("id: {id}")
                || l == format!("id: \"{id}\"")
                || l.starts_with(&format!("id: {id} "))
        })?;
    // The field right after `[i].`, searched within the next lines of the same object.
    let field = json_path.split_once("].").map(|(_, rest)| rest.split(['.', '[']).next().unwrap_or(""));
    if let Some(field) = field.filter(|f| !f.is_empty()) {
        let found = text.lines().skip(id_line + 1).take(60).position(|l| {
            let l = l.trim_start();
            l.contains(&format!("\"{field}\"")) || l.starts_with(&format!("{field}:"))
        });
        if let Some(offset) = found {
            return Some(id_line + 2 + offset);
        }
    }
    Some(id_line + 1)
}

/// [`line_of`] in the file the marketer wrote (the authoring file, or the bundle itself).
pub fn line_of_in(origin: &Origin, bundle_bytes: &[u8], json_path: &str) -> Option<usize> {
    let bundle: Value = serde_json::from_slice(bundle_bytes).ok()?;
    match origin {
        Origin::Json => line_of(&String::from_utf8_lossy(bundle_bytes), &bundle, json_path),
        Origin::Authoring(text) => line_of(text, &bundle, json_path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lines_are_found_by_section_and_id() {
        let yaml = "placements:\n  - id: chat\ncampaigns:\n  - campaign:\n      id: chat\n      placement: chat\n      condition: true\n";
        let bundle = json!({"placements": [{"id": "chat"}], "campaigns": [{"id": "chat"}]});
        assert_eq!(line_of(yaml, &bundle, "placements[0]"), Some(2));
        assert_eq!(line_of(yaml, &bundle, "campaigns[0]"), Some(5));
        assert_eq!(line_of(yaml, &bundle, "campaigns[0].condition.and[1]"), Some(7));
        assert_eq!(line_of(yaml, &bundle, "campaigns"), Some(3));
    }
}
