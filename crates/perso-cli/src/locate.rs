//! Where a bundle problem is in the file the marketer wrote: the engine and the lints
//! report JSON paths of the compiled bundle (`campaigns[3].condition.and[1]`);
//! marketers read lines. The path is walked down the file's spanned tree
//! ([`crate::authoring::yaml`]; JSON is YAML 1.2, so bundle files too): by index, so
//! a duplicate id is found at its second occurrence, not its first.
//!
//! An authoring file is not the bundle's shape everywhere: a template campaign writes
//! fields the file does not have (`action.eligibility` of `free_shipping` comes from
//! `threshold` and `eligible_when`), and template-implied segments are appended after
//! the written ones. Those paths go to the template field that produced them, else to
//! the template's own line — never to a field of the next campaign.

use crate::authoring::yaml::{self, Located, Node, Step};

/// What the marketer wrote, for pointing problems at their lines.
#[derive(Debug, Clone)]
pub enum Origin {
    /// A bundle JSON file: its tree, when it reads as YAML 1.2 (JSON does).
    Json { tree: Option<Node> },
    /// An authoring file.
    Authoring(Authored),
}

/// An authoring file's tree, and how the compiled bundle's entries map back to it.
#[derive(Debug, Clone)]
pub struct Authored {
    pub tree: Node,
    /// Segments written in `segments` (the compiled bundle's first ones).
    pub written_segments: usize,
    /// For each segment a template implied (appended after the written ones), the
    /// index of its campaigns entry.
    pub implied_by: Vec<usize>,
}

impl Origin {
    pub fn json(text: &[u8]) -> Origin {
        let tree = std::str::from_utf8(text).ok().and_then(|t| yaml::parse(t).ok());
        Origin::Json { tree }
    }

    /// The 1-based line of the value (or its key) at `json_path`, or of the nearest
    /// enclosing thing the file has.
    pub fn line_of(&self, json_path: &str) -> Option<usize> {
        let steps = yaml::steps(json_path);
        match self {
            Origin::Json { tree } => {
                let (found, taken) = tree.as_ref()?.find(&steps);
                (taken > 0).then(|| line_or_id(found, taken, steps.len()))
            }
            Origin::Authoring(authored) => authored.line_of(&steps),
        }
    }
}

/// An object with an id (a campaign, a segment), reached as a whole or as the
/// nearest thing to a field it does not have, is shown at its `id`.
fn line_or_id(found: Located<'_>, _taken: usize, _wanted: usize) -> usize {
    match found {
        Located::Value(node) => node.entry("id").map_or(found.line(), |e| e.key_span.start.line),
        Located::Entry(_) => found.line(),
    }
}

impl Authored {
    fn line_of(&self, steps: &[Step]) -> Option<usize> {
        let root = &self.tree;
        match steps {
            [Step::Key(section), Step::Index(i), rest @ ..] if section == "campaigns" => {
                let entry = root.get("campaigns")?.index(*i)?;
                self.campaign_line(entry, rest)
            }
            [Step::Key(section), Step::Index(i), rest @ ..] if section == "segments" => {
                if *i < self.written_segments {
                    let (found, taken) = root.get("segments")?.index(*i)?.find(rest);
                    return Some(line_or_id(found, taken, rest.len()));
                }
                let campaign = *self.implied_by.get(i - self.written_segments)?;
                let entry = root.get("campaigns")?.index(campaign)?;
                let (_, template) = one_entry(entry)?;
                let at = template.value.entry("segment").or_else(|| template.value.entry("affiliate"));
                Some(at.map_or(template.key_span.start.line, |e| e.key_span.start.line))
            }
            [Step::Key(section), ..]
                if (section == "products" || section == "affinity") && root.get(section).is_none() =>
            {
                root.entry(&format!("{section}_file")).map(|e| e.key_span.start.line)
            }
            _ => {
                let (found, taken) = root.find(steps);
                (taken > 0).then(|| line_or_id(found, taken, steps.len()))
            }
        }
    }

    fn campaign_line(&self, entry: &Node, rest: &[Step]) -> Option<usize> {
        let (kind, template) = one_entry(entry)?;
        let body = &template.value;
        let whole = || body.entry("id").map_or(template.key_span.start.line, |e| e.key_span.start.line);
        if rest.is_empty() {
            return Some(whole());
        }
        let (found, taken) = body.find(rest);
        if kind == "campaign" || taken == rest.len() {
            return Some(if taken == 0 { whole() } else { line_or_id(found, taken, rest.len()) });
        }
        // A generated field: the template field it came from.
        for candidate in template_sources(kind, rest) {
            let (found, taken) = body.find(&candidate);
            if taken == candidate.len() {
                return Some(found.line());
            }
        }
        Some(template.key_span.start.line)
    }
}

/// The one `kind: {...}` entry of a campaigns item.
fn one_entry(entry: &Node) -> Option<(&str, &yaml::Entry)> {
    match entry {
        Node::Map { entries, .. } => entries.first().map(|e| (e.key.as_str(), e)),
        _ => None,
    }
}

/// The template fields a compiled campaign path comes from, most specific first.
fn template_sources(kind: &str, rest: &[Step]) -> Vec<Vec<Step>> {
    let key = |k: &str| Step::Key(k.to_owned());
    let names: Vec<&str> = rest
        .iter()
        .map(|s| match s {
            Step::Key(k) => k.as_str(),
            Step::Index(_) => "",
        })
        .collect();
    let mut out = Vec::new();
    match (kind, names.as_slice()) {
        // free_shipping's eligibility is `and: [...eligible_when, cart.total > threshold]`.
        ("free_shipping", ["action", "eligibility", "and", ..]) => {
            if let Some(Step::Index(j)) = rest.get(3) {
                let mut at = vec![key("eligible_when"), Step::Index(*j)];
                at.extend(rest.iter().skip(4).cloned());
                out.push(at);
                out.push(vec![key("eligible_when"), Step::Index(*j)]);
            }
            out.push(vec![key("threshold")]);
        }
        ("free_shipping", ["action", "title", ..]) => out.push(vec![key("threshold")]),
        ("affiliate_offer", ["condition", ..]) => out.push(vec![key("after_seconds")]),
        ("affiliate_offer", ["segments", ..]) => {
            out.push(vec![key("segment")]);
            out.push(vec![key("affiliate")]);
        }
        ("affiliate_offer", ["action", "single_use", ..]) => out.push(vec![key("code")]),
        ("cart_chat" | "cross_sell", ["condition", ..]) => out.push(vec![key("min_items")]),
        _ => {}
    }
    // `action.title` -> `title`: templates write the action's fields at their top.
    if let (Some("action"), Some(Step::Key(field))) = (names.first().copied(), rest.get(1)) {
        let mut at = vec![key(field)];
        at.extend(rest.iter().skip(2).cloned());
        out.push(at);
        out.push(vec![key(field)]);
    }
    if let Some(Step::Key(first)) = rest.first() {
        out.push(vec![key(first)]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn authored(text: &str, written_segments: usize, implied_by: Vec<usize>) -> Origin {
        Origin::Authoring(Authored { tree: yaml::parse(text).unwrap(), written_segments, implied_by })
    }

    #[test]
    fn json_lines_by_index_and_id() {
        let text =
            "{\n  \"campaigns\": [\n    {\"id\": \"a\"},\n    {\n      \"id\": \"a\",\n      \"x\": 1\n    }\n  ]\n}\n";
        let origin = Origin::json(text.as_bytes());
        assert_eq!(origin.line_of("campaigns[1].id"), Some(5), "the duplicate, not the first");
        assert_eq!(origin.line_of("campaigns[1]"), Some(5), "a whole campaign at its id");
        assert_eq!(origin.line_of("campaigns[1].x"), Some(6));
        assert_eq!(origin.line_of("campaigns[1].nothing.here"), Some(5));
    }

    #[test]
    fn template_fields_map_to_what_produced_them() {
        let text = "\
segments:
  - id: vip
    condition: true
campaigns:
  - free_shipping:
      id: fs
      threshold: 100
      eligible_when:
        - \"==\": [{var: customer.known}, true]
  - cart_chat:
      id: chat
  - affiliate_offer:
      id: aff
      affiliate: gadgets.com
      code: X
      title: T
  - campaign:
      id: plain
      placement: hero
      action: {kind: banner, title: Hi}
";
        let origin = authored(text, 1, vec![2]);
        assert_eq!(origin.line_of("campaigns[0].action.eligibility.and[0][\"==\"][0]"), Some(9));
        assert_eq!(origin.line_of("campaigns[0].action.eligibility.and[1]"), Some(7), "the threshold");
        assert_eq!(origin.line_of("campaigns[0].action.expires_in_s"), Some(5), "a default: the template's line");
        assert_eq!(origin.line_of("campaigns[1].condition"), Some(10), "not the next campaign's line");
        assert_eq!(origin.line_of("campaigns[1]"), Some(11));
        assert_eq!(origin.line_of("campaigns[2].action.code"), Some(15));
        assert_eq!(origin.line_of("campaigns[2].action.single_use"), Some(15));
        assert_eq!(origin.line_of("segments[1].condition"), Some(14), "implied by the affiliate");
        assert_eq!(origin.line_of("segments[0].condition"), Some(3));
        assert_eq!(origin.line_of("campaigns[3].action.title"), Some(20));
    }
}
