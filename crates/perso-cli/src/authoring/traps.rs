//! YAML traps: values that parse, but not as the marketer meant. Found on the
//! spanned tree (the source text, not the bundle it compiles to), each a warning
//! with the line of the value and a stable code:
//!
//! - `yaml-comment`: a text ends where ` #` starts a comment (`title: Top 5 #1 seller`
//!   is the title "Top 5"); flagged when the `#` is followed by a non-space, since
//!   `# note` is how comments are written on purpose;
//! - `yaml-number`: a text field holding a number (`code: 0123` is the number 123 to
//!   every JSON reader; the leading zero is lost);
//! - `yaml-boolean`: a text field holding `true`/`false`/`null` or YAML 1.1's
//!   `yes`/`no`/`on`/`off` (text in YAML 1.2, a boolean to older tools), and a
//!   true-or-false field holding `yes`/`no`/`on`/`off` (text here: write true/false);
//! - `yaml-space`: text starting or ending with a space or tab (a code the shopper
//!   types without it never matches);
//! - `yaml-tab`: a tab inside a text.
//!
//! Conditions are skipped: their literals are typed by the lints over the compiled IR.

use super::de::{is_yaml11_boolean, yaml11_truth};
use super::yaml::{Node, Resolved, Style};
use crate::lint::Lint;

/// Keys whose value a shopper reads or a host matches as text.
const TEXT_FIELDS: &[&str] = &[
    "id",
    "name",
    "description",
    "title",
    "body",
    "code",
    "label",
    "url",
    "image",
    "message",
    "topic",
    "why",
    "terms",
    "template",
    "text",
    "submit_label",
    "value",
    "store",
    "affiliate",
    "segment",
    "placement",
    "currency_symbol",
    "salt",
];

const BOOLEAN_FIELDS: &[&str] = &["enabled", "requires_consent", "single_use", "multiple"];

/// Subtrees that hold JsonLogic.
const CONDITION_FIELDS: &[&str] = &["condition", "eligibility", "eligible_when"];

pub fn find(text: &str, root: &Node) -> Vec<Lint> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    walk(root, "", None, &lines, &mut out);
    out
}

fn walk(node: &Node, path: &str, key: Option<&str>, lines: &[&str], out: &mut Vec<Lint>) {
    match node {
        Node::Map { entries, .. } => {
            for entry in entries {
                if CONDITION_FIELDS.contains(&entry.key.as_str()) {
                    continue;
                }
                let child = super::de::join(path, &entry.key);
                walk(&entry.value, &child, Some(&entry.key), lines, out);
            }
        }
        Node::Seq { items, .. } => {
            for (i, item) in items.iter().enumerate() {
                walk(item, &format!("{path}[{i}]"), key, lines, out);
            }
        }
        Node::Scalar { text, style, span } => {
            let Some(key) = key else { return };
            let line = span.start.line;
            let mut warn = |code: &'static str, message: String| {
                out.push(Lint { code, path: path.to_owned(), campaign: None, message, line: Some(line) })
            };
            if BOOLEAN_FIELDS.contains(&key) {
                if *style == Style::Plain && is_yaml11_boolean(text) {
                    warn(
                        "yaml-boolean",
                        format!(
                            "`{key}: {text}` is the text \"{text}\" in YAML 1.2, not a boolean: write `{key}: {}`",
                            if yaml11_truth(text) { "true" } else { "false" }
                        ),
                    );
                }
                return;
            }
            if !TEXT_FIELDS.contains(&key) {
                return;
            }
            match node.resolved() {
                Some(Resolved::Int(_) | Resolved::Float(_)) => {
                    let lost = match node.resolved() {
                        Some(Resolved::Int(n)) if n.to_string() != *text => format!(" {n} (as written, `{text}` is lost)"),
                        Some(Resolved::Float(f)) if f.to_string() != *text => format!(" {f} (as written, `{text}` is lost)"),
                        _ => String::new(),
                    };
                    warn(
                        "yaml-number",
                        format!("`{key}: {text}` is read as the number{lost}, not text: quote it, `{key}: \"{text}\"`"),
                    );
                }
                Some(Resolved::Bool(_) | Resolved::Null) if !text.is_empty() => warn(
                    "yaml-boolean",
                    format!("`{key}: {text}` is read as {text}, not text: quote it, `{key}: \"{text}\"`"),
                ),
                Some(Resolved::Str(_)) if *style == Style::Plain && is_yaml11_boolean(text) => warn(
                    "yaml-boolean",
                    format!(
                        "`{key}: {text}` is text here (YAML 1.2), but YAML 1.1 tools read it as a boolean: quote it, `{key}: \"{text}\"`"
                    ),
                ),
                _ => {}
            }
            if *style == Style::Plain {
                if let Some(comment) = comment_after(lines, span.end.line, span.end.column) {
                    warn(
                        "yaml-comment",
                        format!(
                            "`{key}` stops at \"{text}\": YAML reads ` {comment}` as a comment; quote the whole text, `{key}: \"{text} {comment}\"`"
                        ),
                    );
                }
            }
            let edge = text.trim_end_matches('\n');
            if edge.starts_with([' ', '\t']) || edge.ends_with([' ', '\t']) {
                warn(
                    "yaml-space",
                    format!("`{key}` starts or ends with a space (\"{edge}\"): a shopper types it without; remove the space"),
                );
            }
            if edge.trim_matches([' ', '\t']).contains('\t') {
                warn(
                    "yaml-tab",
                    format!("`{key}` holds a tab character: it shows as a wide gap or not at all; use spaces"),
                );
            }
        }
    }
}

/// The comment right after a plain scalar ending at (`line`, `column`), when it
/// looks like text that was cut off (`#1`, `#sale`) rather than a written comment.
fn comment_after(lines: &[&str], line: usize, column: usize) -> Option<String> {
    let source = lines.get(line.checked_sub(1)?)?;
    let rest: String = source.chars().skip(column.checked_sub(1)?).collect();
    let comment = rest.trim_start_matches([' ', '\t']);
    if rest.len() == comment.len() || !comment.starts_with('#') {
        return None;
    }
    let after = comment.chars().nth(1)?;
    (!after.is_whitespace()).then(|| comment.trim_end().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(text: &str) -> Vec<(&'static str, usize)> {
        let root = super::super::yaml::parse(text).unwrap();
        find(text, &root).into_iter().map(|l| (l.code, l.line.unwrap_or(0))).collect()
    }

    #[test]
    fn each_trap_is_found_on_its_line() {
        assert_eq!(codes("title: Top 5 #1 seller\n"), [("yaml-comment", 1)]);
        assert_eq!(codes("title: Top 5   # a note for the team\n"), []);
        assert_eq!(codes("a: 1\ncode: 0123\n"), [("yaml-number", 2)]);
        assert_eq!(codes("label: no\n"), [("yaml-boolean", 1)]);
        assert_eq!(codes("title: true\n"), [("yaml-boolean", 1)]);
        assert_eq!(codes("enabled: yes\n"), [("yaml-boolean", 1)]);
        assert_eq!(codes("code: \"SAVE10 \"\n"), [("yaml-space", 1)]);
        assert_eq!(codes("body: \"a\\tb\"\n"), [("yaml-tab", 1)]);
        assert_eq!(codes("condition: {\"==\": [{var: cart.count}, 0123]}\ntitle: \"0123\"\nbody: |\n  text\n"), []);
    }
}
