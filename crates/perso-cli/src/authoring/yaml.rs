//! The authoring file's YAML as a tree that keeps where every key and value was
//! written (saphyr-parser's events carry spans), so every message can name a real
//! line: the JSON path of a bundle problem is walked down this tree
//! ([`Node::find`]), and the YAML traps are found on it ([`super::traps`]).
//!
//! Scalars keep their source text and style; their value is resolved by YAML 1.2's
//! core schema ([`Node::resolved`]: `null`/`~`/empty, `true`/`false`, integers,
//! floats, else text), the same rule whatever reads the value. YAML 1.1's `yes`,
//! `no`, `on`, `off` are text here, as in every YAML 1.2 reader; the traps say so.
//!
//! JSON is YAML 1.2 too, so the same tree locates problems in bundle JSON files.

use saphyr_parser::{Event, Parser, ScalarStyle, Span as RawSpan};
use std::collections::HashMap;

/// A position: 1-based line and column (columns count characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
    /// Character index in the text.
    pub index: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub start: Pos,
    /// Exclusive.
    pub end: Pos,
}

impl Span {
    fn from_raw(span: &RawSpan) -> Span {
        let pos = |m: &saphyr_parser::Marker| Pos { line: m.line(), column: m.col() + 1, index: m.index() };
        Span { start: pos(&span.start), end: pos(&span.end) }
    }
}

/// How a scalar was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Plain,
    Quoted,
    /// `|` or `>`.
    Block,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Scalar { text: String, style: Style, span: Span },
    Seq { items: Vec<Node>, span: Span },
    Map { entries: Vec<Entry>, span: Span },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: String,
    pub key_span: Span,
    pub value: Node,
}

/// A scalar's value under YAML 1.2's core schema.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolved<'n> {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(&'n str),
}

/// Why the YAML could not be read: where, and what.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntaxError {
    pub at: Pos,
    pub message: String,
}

impl Node {
    pub fn span(&self) -> Span {
        match self {
            Node::Scalar { span, .. } | Node::Seq { span, .. } | Node::Map { span, .. } => *span,
        }
    }

    /// The value of a scalar (quoted and block scalars are always text).
    pub fn resolved(&self) -> Option<Resolved<'_>> {
        let Node::Scalar { text, style, .. } = self else { return None };
        if *style != Style::Plain {
            return Some(Resolved::Str(text));
        }
        Some(resolve_plain(text))
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    pub fn entry(&self, key: &str) -> Option<&Entry> {
        match self {
            Node::Map { entries, .. } => entries.iter().find(|e| e.key == key),
            _ => None,
        }
    }

    pub fn index(&self, i: usize) -> Option<&Node> {
        match self {
            Node::Seq { items, .. } => items.get(i),
            _ => None,
        }
    }

    /// The node at `steps` below this one, or the deepest one on the way and how many
    /// steps it took: a path into generated fields stops where the file ends.
    pub fn find<'n>(&'n self, steps: &[Step]) -> (Located<'n>, usize) {
        let mut here = Located::Value(self);
        let mut taken = 0;
        for step in steps {
            let Located::Value(node) = here else { break };
            let next = match step {
                Step::Key(key) => node.entry(key).map(Located::Entry),
                Step::Index(i) => node.index(*i).map(Located::Value),
            };
            match next {
                Some(Located::Entry(entry)) if taken + 1 < steps.len() => here = Located::Value(&entry.value),
                Some(found) => here = found,
                None => break,
            }
            taken += 1;
        }
        (here, taken)
    }
}

/// What a path reached: a value, or a map entry (whose key line is the one to show).
#[derive(Debug, Clone, Copy)]
pub enum Located<'n> {
    Value(&'n Node),
    Entry(&'n Entry),
}

impl Located<'_> {
    pub fn line(&self) -> usize {
        match self {
            Located::Value(node) => node.span().start.line,
            Located::Entry(entry) => entry.key_span.start.line,
        }
    }
}

/// One step of a JSON path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Key(String),
    Index(usize),
}

/// `campaigns[3].action["my.key"]` -> steps.
pub fn steps(path: &str) -> Vec<Step> {
    let mut out = Vec::new();
    let mut rest = path;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('[') {
            if let Some(quoted) = after.strip_prefix('"') {
                // A JSON string key: find its closing quote (escapes skipped).
                let mut end = None;
                let mut escaped = false;
                for (i, c) in quoted.char_indices() {
                    match c {
                        '\\' if !escaped => escaped = true,
                        '"' if !escaped => {
                            end = Some(i);
                            break;
                        }
                        _ => escaped = false,
                    }
                }
                let Some(end) = end else { break };
                let key = serde_json::from_str::<String>(&format!("\"{}\"", &quoted[..end]))
                    .unwrap_or_else(|_| quoted[..end].to_owned());
                out.push(Step::Key(key));
                rest = quoted[end + 1..].strip_prefix(']').unwrap_or("");
            } else {
                let Some(close) = after.find(']') else { break };
                match after[..close].parse() {
                    Ok(i) => out.push(Step::Index(i)),
                    Err(_) => out.push(Step::Key(after[..close].to_owned())),
                }
                rest = &after[close + 1..];
            }
        } else {
            let body = rest.strip_prefix('.').unwrap_or(rest);
            let end = body.find(['.', '[']).unwrap_or(body.len());
            if end > 0 {
                out.push(Step::Key(body[..end].to_owned()));
            }
            rest = &body[end..];
        }
    }
    out
}

/// YAML 1.2 core schema resolution of a plain scalar.
pub fn resolve_plain(text: &str) -> Resolved<'_> {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Resolved::Null,
        "true" | "True" | "TRUE" => return Resolved::Bool(true),
        "false" | "False" | "FALSE" => return Resolved::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => return Resolved::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => return Resolved::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Resolved::Float(f64::NAN),
        _ => {}
    }
    let digits = |s: &str, radix: u32| !s.is_empty() && s.chars().all(|c| c.is_digit(radix));
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    if digits(unsigned, 10) {
        return text.parse::<i64>().map_or_else(|_| Resolved::Float(text.parse().unwrap_or(f64::NAN)), Resolved::Int);
    }
    if let Some(octal) = text.strip_prefix("0o").filter(|s| digits(s, 8)) {
        return i64::from_str_radix(octal, 8).map_or(Resolved::Str(text), Resolved::Int);
    }
    if let Some(hex) = text.strip_prefix("0x").filter(|s| digits(s, 16)) {
        return i64::from_str_radix(hex, 16).map_or(Resolved::Str(text), Resolved::Int);
    }
    if is_float(unsigned) {
        if let Ok(f) = text.parse::<f64>() {
            return Resolved::Float(f);
        }
    }
    Resolved::Str(text)
}

/// `(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`
fn is_float(s: &str) -> bool {
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let all_digits = |t: &str| t.chars().all(|c| c.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some(("", frac)) => !frac.is_empty() && all_digits(frac),
        Some((int, frac)) => !int.is_empty() && all_digits(int) && all_digits(frac),
        None => !mantissa.is_empty() && all_digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && all_digits(e)
    });
    mantissa_ok && exponent_ok
}

/// Parses one YAML document into a tree (an empty file is an empty map).
pub fn parse(text: &str) -> Result<Node, SyntaxError> {
    let mut parser = Parser::new_from_str(text);
    let mut builder = Builder { stack: Vec::new(), anchors: HashMap::new(), root: None };
    while let Some(next) = parser.next_event() {
        let (event, span) = next.map_err(|e| SyntaxError {
            at: Pos { line: e.marker().line(), column: e.marker().col() + 1, index: e.marker().index() },
            message: explain_scan_error(e.info(), text, e.marker().line()),
        })?;
        let span = Span::from_raw(&span);
        match event {
            Event::DocumentStart(_) if builder.root.is_some() => {
                return Err(SyntaxError {
                    at: span.start,
                    message: "a second YAML document (`---`): an authoring file is one document".into(),
                });
            }
            Event::Scalar(value, style, anchor, _) => {
                let style = match style {
                    ScalarStyle::Plain => Style::Plain,
                    ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => Style::Quoted,
                    ScalarStyle::Literal | ScalarStyle::Folded => Style::Block,
                };
                let node = Node::Scalar { text: value.into_owned(), style, span };
                builder.value(node, anchor, span)?;
            }
            Event::SequenceStart(anchor, _) => builder.stack.push(Open::Seq { items: Vec::new(), anchor, start: span }),
            Event::MappingStart(anchor, _) => {
                builder.stack.push(Open::Map { entries: Vec::new(), key: None, anchor, start: span })
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (node, anchor) = match builder.stack.pop() {
                    Some(Open::Seq { items, anchor, start }) => {
                        (Node::Seq { items, span: Span { start: start.start, end: span.end } }, anchor)
                    }
                    Some(Open::Map { entries, anchor, start, .. }) => {
                        (Node::Map { entries, span: Span { start: start.start, end: span.end } }, anchor)
                    }
                    None => continue,
                };
                builder.value(node, anchor, span)?;
            }
            Event::Alias(id) => {
                let node = builder.anchors.get(&id).cloned().ok_or_else(|| SyntaxError {
                    at: span.start,
                    message: "an alias (`*name`) to an anchor that is not defined before it".into(),
                })?;
                builder.value(node, 0, span)?;
            }
            _ => {}
        }
    }
    Ok(builder.root.unwrap_or(Node::Map { entries: Vec::new(), span: Span::default() }))
}

/// saphyr's messages, with the cause a marketer most likely hit.
fn explain_scan_error(info: &str, text: &str, line: usize) -> String {
    let source_line = text.lines().nth(line.saturating_sub(1)).unwrap_or("");
    let indent = &source_line[..source_line.len() - source_line.trim_start().len()];
    if let Some((at, comment)) = comment_in_flow(text, line) {
        return format!(
            "{info}; the cause is likely line {at}: ` {comment}` starts a comment inside `{{ ... }}` or `[ ... ]`, which cuts off the rest of the line: quote the text that holds the #"
        );
    }
    if indent.contains('\t') || info.contains("tab") {
        return format!("{info} (a tab in the indentation: YAML indents with spaces only)");
    }
    if info.contains("mapping values are not allowed") {
        return format!(
            "{info} (a `: ` inside a value, or a key indented under a value: quote text that holds \": \", and check the indentation)"
        );
    }
    if info.contains("did not find expected key") || info.contains("block") {
        return format!("{info} (the indentation of this line does not match its neighbours)");
    }
    info.to_owned()
}

/// The last line up to `line` where ` #` starts a comment while a flow collection
/// (`{`, `[`) opened on that line is still open: the `#` was meant as text.
fn comment_in_flow(text: &str, line: usize) -> Option<(usize, String)> {
    let mut found = None;
    for (n, source) in text.lines().enumerate().take(line) {
        let (mut depth, mut quote, mut previous) = (0i32, None::<char>, ' ');
        for (i, c) in source.char_indices() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '"' | '\'') if matches!(previous, ' ' | '{' | '[' | ',' | ':') => quote = Some(c),
                (None, '{' | '[') => depth += 1,
                (None, '}' | ']') => depth -= 1,
                (None, '#') if previous == ' ' => {
                    if depth > 0 {
                        found = Some((n + 1, source[i..].trim_end().to_owned()));
                    }
                    break;
                }
                _ => {}
            }
            previous = c;
        }
    }
    found
}

enum Open {
    Seq { items: Vec<Node>, anchor: usize, start: Span },
    Map { entries: Vec<Entry>, key: Option<(String, Span)>, anchor: usize, start: Span },
}

struct Builder {
    stack: Vec<Open>,
    anchors: HashMap<usize, Node>,
    root: Option<Node>,
}

impl Builder {
    fn value(&mut self, node: Node, anchor: usize, span: Span) -> Result<(), SyntaxError> {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Open::Seq { items, .. }) => items.push(node),
            Some(Open::Map { entries, key, .. }) => {
                match key.take() {
                    None => {
                        let Node::Scalar { text, .. } = node else {
                            return Err(SyntaxError {
                                at: span.start,
                                message: "a key must be a plain name, not a list or a map".into(),
                            });
                        };
                        if entries.iter().any(|e| e.key == text) {
                            return Err(SyntaxError {
                            at: span.start,
                            message: format!("`{text}` appears twice in the same map; the second would silently replace the first"),
                        });
                        }
                        *key = Some((text, span));
                    }
                    Some((key, key_span)) => entries.push(Entry { key, key_span, value: node }),
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_and_resolution() {
        let text = "a: 1\nb:\n  - x\n  - 'y'\nc: {d: true, e: 0123}\nf: ~\n";
        let root = parse(text).unwrap();
        assert_eq!(root.entry("b").unwrap().key_span.start.line, 2);
        assert_eq!(root.get("b").unwrap().index(1).unwrap().span().start.line, 4);
        assert_eq!(root.get("b").unwrap().index(1).unwrap().resolved(), Some(Resolved::Str("y")));
        assert_eq!(root.get("c").unwrap().get("e").unwrap().resolved(), Some(Resolved::Int(123)));
        assert_eq!(root.get("f").unwrap().resolved(), Some(Resolved::Null));
        assert_eq!(resolve_plain("yes"), Resolved::Str("yes"));
        assert_eq!(resolve_plain("1.5e3"), Resolved::Float(1500.0));
        assert_eq!(resolve_plain("2026-11-25"), Resolved::Str("2026-11-25"));
        let (found, taken) = root.find(&steps("c.e"));
        assert_eq!((found.line(), taken), (5, 2));
        let (found, taken) = root.find(&steps("b[1].zzz"));
        assert_eq!((found.line(), taken), (4, 2));
    }

    #[test]
    fn paths_parse_to_steps() {
        assert_eq!(
            steps("campaigns[3].condition.and[1][\"==\"]"),
            [
                Step::Key("campaigns".into()),
                Step::Index(3),
                Step::Key("condition".into()),
                Step::Key("and".into()),
                Step::Index(1),
                Step::Key("==".into())
            ]
        );
        assert_eq!(
            steps("products[\"HP-100\"].url"),
            [Step::Key("products".into()), Step::Key("HP-100".into()), Step::Key("url".into())]
        );
    }

    #[test]
    fn json_is_read_too_and_errors_have_positions() {
        let root = parse("{\n  \"a\": [1,\n    {\"id\": \"x\"}]\n}\n").unwrap();
        assert_eq!(root.get("a").unwrap().index(1).unwrap().get("id").unwrap().span().start.line, 3);
        let error = parse("a:\n\t- b\n").unwrap_err();
        assert_eq!(error.at.line, 2);
        assert!(error.message.contains("spaces only"), "{}", error.message);
        assert!(parse("a: 1\na: 2\n").unwrap_err().message.contains("twice"));
        let cut = parse("a:\n  b: { title: Top #1 seller }\nc: 1\n").unwrap_err();
        assert!(cut.message.contains("likely line 2: ` #1 seller }`"), "{}", cut.message);
    }
}
