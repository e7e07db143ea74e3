//! Context paths and the literals compared with them, checked on the compiled nodes:
//!
//! - `unknown-path`: a path no host sends and the engine does not derive
//!   (`customer.ltvband`, `visitor.interest`, `session.utm.source`), or a `custom.*`
//!   path the bundle does not declare in `context`, with what was most likely meant;
//!   the field of a cart line inside `some`/`all`/... over `cart.items` too;
//! - `type-mismatch`: a literal of another type than the path's (`customer.known` is
//!   true or false, not "yes"; a number path and a word; `in` a list of the wrong
//!   type; a list compared with `==`), which makes the comparison always false or true;
//! - `unknown-value`: `page.type` or `device.type` compared with a value the engine
//!   never gives (`"homepage"` when the page-type table says `home`).
//!
//! The documented context is [`DOCUMENTED`] (SPEC.md's list, docs/bundle-format.md);
//! a test holds it to the engine's own facts (`documented_kind`, `DERIVED_PATHS`).

use super::ir::Ir;
use super::Lint;
use perso_core::bundle::read::{did_you_mean, edit_distance};
use perso_core::context::Kind;
use perso_core::logic::ir::{IterKind, Node, NodeId, VarPath};
use perso_core::logic::value::Datum;
use perso_core::program::{Computed, TemplatePart};
use std::collections::BTreeMap;

/// What a path holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    Str,
    Num,
    Bool,
    /// A list of texts (`visitor.interests`, `customer.segments`).
    Texts,
    /// `cart.items`: objects `{sku, category, price, qty}`.
    Items,
    /// A declared `custom.*` list (any items).
    List,
}

impl Type {
    fn name(self) -> &'static str {
        match self {
            Type::Str => "text",
            Type::Num => "a number",
            Type::Bool => "true or false",
            Type::Texts => "a list of texts",
            Type::Items => "a list of cart lines {sku, category, price, qty}",
            Type::List => "a list",
        }
    }

    fn is_list(self) -> bool {
        matches!(self, Type::Texts | Type::Items | Type::List)
    }
}

/// Every documented context path: what hosts send and what the engine derives.
pub const DOCUMENTED: &[(&str, Type)] = &[
    ("page.url", Type::Str),
    ("page.path", Type::Str),
    ("page.type", Type::Str),
    ("page.referrer", Type::Str),
    ("page.referrer_host", Type::Str),
    ("page.utm.source", Type::Str),
    ("page.utm.medium", Type::Str),
    ("page.utm.campaign", Type::Str),
    ("page.utm.term", Type::Str),
    ("page.utm.content", Type::Str),
    ("session.entry_referrer_host", Type::Str),
    ("session.entry_utm.source", Type::Str),
    ("session.entry_utm.medium", Type::Str),
    ("session.entry_utm.campaign", Type::Str),
    ("session.entry_utm.term", Type::Str),
    ("session.entry_utm.content", Type::Str),
    ("session.time_on_site_s", Type::Num),
    ("session.pages_viewed", Type::Num),
    ("visitor.id", Type::Str),
    ("visitor.visits", Type::Num),
    ("visitor.is_returning", Type::Bool),
    ("visitor.days_since_last_visit", Type::Num),
    ("visitor.registered", Type::Bool),
    ("visitor.interests", Type::Texts),
    ("customer.known", Type::Bool),
    ("customer.first_name", Type::Str),
    ("customer.ltv_band", Type::Str),
    ("customer.rfm.r", Type::Num),
    ("customer.rfm.f", Type::Num),
    ("customer.rfm.m", Type::Num),
    ("customer.rfm.score", Type::Num),
    ("customer.segments", Type::Texts),
    ("customer.orders", Type::Num),
    ("cart.items", Type::Items),
    ("cart.total", Type::Num),
    ("cart.count", Type::Num),
    ("device.type", Type::Str),
    ("device.language", Type::Str),
    ("time.hour", Type::Num),
    ("time.weekday", Type::Num),
    ("consent.personalization", Type::Bool),
    ("consent.gpc", Type::Bool),
];

/// The fields of a cart line.
const ITEM_FIELDS: &[(&str, Type)] =
    &[("sku", Type::Str), ("category", Type::Str), ("price", Type::Num), ("qty", Type::Num)];

/// `device.type` as the engine's page facts give it (perso_core::page).
const DEVICE_TYPES: &[&str] = &["mobile", "tablet", "desktop"];

/// What a bundle's conditions may read: the documented paths and its declarations.
pub struct Catalogue<'b> {
    pub declared: &'b BTreeMap<String, Kind>,
    /// Every `page.type` the bundle's table can give (and `other`).
    pub page_types: Vec<String>,
}

enum Known {
    Typed(Type),
    /// An object above documented paths (`customer`, `page.utm`) or an element.
    Untyped,
}

impl Catalogue<'_> {
    fn lookup(&self, path: &str) -> Option<Known> {
        if let Some((_, t)) = DOCUMENTED.iter().find(|(p, _)| *p == path) {
            return Some(Known::Typed(*t));
        }
        if let Some(kind) = self.declared.get(path) {
            return Some(Known::Typed(match kind {
                Kind::Str => Type::Str,
                Kind::Num => Type::Num,
                Kind::Bool => Type::Bool,
                Kind::List => Type::List,
            }));
        }
        let below =
            |p: &str| p.len() > path.len() && p.starts_with(path) && p.as_bytes().get(path.len()) == Some(&b'.');
        if DOCUMENTED.iter().any(|(p, _)| below(p)) || self.declared.keys().any(|p| below(p)) {
            return Some(Known::Untyped);
        }
        // An element of a list path, by index (`cart.items.0.sku`).
        for (list, t) in DOCUMENTED.iter().filter(|(_, t)| t.is_list()) {
            let Some(rest) = path.strip_prefix(list).and_then(|r| r.strip_prefix('.')) else { continue };
            let (index, field) = rest.split_once('.').map_or((rest, None), |(i, f)| (i, Some(f)));
            if index.parse::<u32>().is_err() {
                continue;
            }
            return match (t, field) {
                (_, None) => Some(Known::Untyped),
                (Type::Items, Some(f)) => ITEM_FIELDS.iter().find(|(n, _)| *n == f).map(|(_, t)| Known::Typed(*t)),
                _ => None,
            };
        }
        None
    }

    /// What `path` most likely meant: a near spelling, else paths that share its
    /// first and last names, else its last two (`session.utm.source` ->
    /// `session.entry_utm.source`, `page.utm.source`).
    fn suggestions(&self, path: &str) -> Vec<String> {
        let all: Vec<&str> =
            DOCUMENTED.iter().map(|(p, _)| *p).chain(self.declared.keys().map(String::as_str)).collect();
        if let Some(near) = did_you_mean(path, all.iter().copied()) {
            return vec![near.to_owned()];
        }
        // The start of a longer name (`custom.loyalty` for `custom.loyalty_tier`).
        let longer: Vec<String> =
            all.iter().filter(|c| c.starts_with(path) && c.len() > path.len()).map(|c| (*c).to_owned()).collect();
        if !longer.is_empty() {
            return longer.into_iter().take(2).collect();
        }
        let names: Vec<&str> = path.split('.').collect();
        let (first, last) = (names.first().copied().unwrap_or(""), names.last().copied().unwrap_or(""));
        let tail = names.len().checked_sub(2).and_then(|i| names.get(i..)).map(|t| t.join("."));
        let mut out: Vec<String> = Vec::new();
        for candidate in &all {
            let parts: Vec<&str> = candidate.split('.').collect();
            let same_ends = parts.first() == Some(&first) && parts.last() == Some(&last) && names.len() > 1;
            if same_ends {
                out.push((*candidate).to_owned());
            }
        }
        if let Some(tail) = tail.filter(|t| t.contains('.')) {
            for candidate in &all {
                if candidate.ends_with(&format!(".{tail}")) && !out.iter().any(|o| o == candidate) {
                    out.push((*candidate).to_owned());
                }
            }
        }
        // A near spelling of the last name under the same first name (`visitor.interets`
        // is caught above; `customer.rfm_score` here).
        if out.is_empty() {
            let mut scored: Vec<(usize, &str)> = all
                .iter()
                .filter(|c| c.split('.').next() == Some(first))
                .map(|c| (edit_distance(c, path), *c))
                .filter(|(d, _)| *d <= 3)
                .collect();
            scored.sort_unstable();
            out.extend(scored.into_iter().take(1).map(|(_, c)| c.to_owned()));
        }
        out.truncate(2);
        out
    }
}

fn did_you_mean_text(suggestions: &[String]) -> String {
    match suggestions {
        [] => String::new(),
        [one] => format!(": did you mean `{one}`?"),
        [one, two, ..] => format!(": did you mean `{one}` or `{two}`?"),
    }
}

/// Where a lint found something: the JSON path of the node, else of the rule.
struct Site<'a> {
    owner_path: &'a str,
    campaign: Option<&'a str>,
}

pub(super) fn check(ir: &Ir<'_>, catalogue: &Catalogue<'_>, out: &mut Vec<Lint>) {
    let program = ir.program;
    let mut roots: Vec<(NodeId, String, Option<String>)> = Vec::new();
    for (i, segment) in program.segments.iter().enumerate() {
        roots.push((segment.condition, format!("segments[{i}].condition"), None));
    }
    for (i, campaign) in program.campaigns.iter().enumerate() {
        let id = Some(campaign.id.to_string());
        if let Some(root) = campaign.condition {
            roots.push((root, format!("campaigns[{i}].condition"), id.clone()));
        }
        if let Some(root) = campaign.eligibility {
            roots.push((root, format!("campaigns[{i}].action.eligibility"), id.clone()));
        }
        let mut templates = vec![(format!("campaigns[{i}].action.template"), &campaign.computed)];
        if let Some(experiment) = &campaign.experiment {
            for (j, variant) in experiment.variants.iter().enumerate() {
                if let Some(computed) = &variant.computed {
                    templates.push((format!("campaigns[{i}].experiment.variants[{j}].action.template"), computed));
                }
            }
        }
        for (path, computed) in templates {
            let Computed::Welcome { parts } = computed else { continue };
            for part in parts {
                if let TemplatePart::Field(var) = part {
                    if let Some(name) = ir.var_name(var) {
                        let site = Site { owner_path: &path, campaign: id.as_deref() };
                        path_known(catalogue, name, &site, &path, out);
                    }
                }
            }
        }
    }
    for (root, owner_path, campaign) in &roots {
        let site = Site { owner_path, campaign: campaign.as_deref() };
        let mut found = Vec::new();
        walk(ir, catalogue, *root, &site, &mut found);
        // Children are compiled before their parents, in the order written: by node
        // id, the findings read top to bottom.
        found.sort_by_key(|(id, _)| *id);
        out.extend(found.into_iter().map(|(_, lint)| lint));
    }
}

fn path_known(catalogue: &Catalogue<'_>, name: &str, site: &Site<'_>, at: &str, out: &mut Vec<Lint>) -> Option<Type> {
    match catalogue.lookup(name) {
        Some(Known::Typed(t)) => Some(t),
        Some(Known::Untyped) => None,
        None => {
            let suggestions = catalogue.suggestions(name);
            let message = if name.starts_with("custom.") {
                format!(
                    "`{name}` is not declared: declare it with its type under `context` (`context: {{{name}: string}}`) so the lints can check it{}",
                    did_you_mean_text(&suggestions)
                )
            } else {
                format!(
                    "`{name}` is not a context path any host sends or the engine derives, so it is always empty{}",
                    did_you_mean_text(&suggestions)
                )
            };
            out.push(lint("unknown-path", at, site, message));
            None
        }
    }
}

fn lint(code: &'static str, at: &str, site: &Site<'_>, message: String) -> Lint {
    Lint { code, path: at.to_owned(), campaign: site.campaign.map(str::to_owned), message, line: None }
}

/// The scope a node is evaluated in: the context, or a cart line inside an
/// iteration over `cart.items`, or another list's items (not checked).
#[derive(Clone, Copy, PartialEq)]
enum Scope {
    Context,
    CartLine,
    Other,
}

fn walk(ir: &Ir<'_>, catalogue: &Catalogue<'_>, root: NodeId, site: &Site<'_>, found: &mut Vec<(NodeId, Lint)>) {
    let logic = ir.logic();
    let mut seen = vec![false; logic.nodes.len()];
    let mut stack = vec![(root, Scope::Context)];
    while let Some((id, scope)) = stack.pop() {
        match seen.get_mut(id.index()) {
            Some(flag) if !*flag => *flag = true,
            _ => continue,
        }
        let node = logic.node(id);
        let at = ir.path(id).unwrap_or(site.owner_path);
        let mut out = Vec::new();
        let out = &mut out;
        match node {
            Node::Iterate { list, body, .. } | Node::Reduce { list, body, .. } => {
                let inner = match (scope, var_type(ir, catalogue, *list, scope)) {
                    (Scope::Context, Some(Type::Items)) if !matches!(node, Node::Reduce { .. }) => Scope::CartLine,
                    _ => Scope::Other,
                };
                if let (Node::Iterate { kind, .. }, Some(t)) = (node, var_type(ir, catalogue, *list, scope)) {
                    if !t.is_list() && *kind != IterKind::Map {
                        let name = var_label(ir, *list).unwrap_or_default();
                        out.push(lint(
                            "type-mismatch",
                            at,
                            site,
                            format!("`{name}` is {}, not a list to go through", t.name()),
                        ));
                    }
                }
                stack.push((*list, scope));
                stack.push((*body, inner));
                if let Node::Reduce { initial, .. } = node {
                    stack.push((*initial, scope));
                }
                found.extend(out.drain(..).map(|lint| (id, lint)));
                continue;
            }
            Node::Var { path, .. } => match (scope, path) {
                (Scope::Context, VarPath::Slot(_) | VarPath::Derived(_)) => {
                    if let Some(name) = ir.var_name(path) {
                        path_known(catalogue, name, site, at, out);
                    }
                }
                (Scope::CartLine, VarPath::Keys { keys, in_scope: true }) => {
                    if let Some(first) = keys.first().filter(|k| !ITEM_FIELDS.iter().any(|(f, _)| **f == ***k)) {
                        let suggestion = did_you_mean(first, ITEM_FIELDS.iter().map(|(f, _)| *f))
                            .map(|s| format!(": did you mean `{s}`?"))
                            .unwrap_or_else(|| ": a cart line has sku, category, price and qty".into());
                        out.push(lint(
                            "unknown-path",
                            at,
                            site,
                            format!("`{first}` is not a field of a cart line (`cart.items`){suggestion}"),
                        ));
                    }
                }
                _ => {}
            },
            Node::MissingPaths { paths, .. } if scope == Scope::Context => {
                for (_, path) in paths {
                    if let Some(name) = ir.var_name(path) {
                        path_known(catalogue, name, site, at, out);
                    }
                }
            }
            _ => {}
        }
        if let Some(message) = mismatch(ir, catalogue, node, scope) {
            out.push(lint(message.0, at, site, message.1));
        }
        found.extend(out.drain(..).map(|lint| (id, lint)));
        ir.logic().for_each_child(node, |child| stack.push((child, scope)));
    }
}

/// The type of what a node reads, when it reads a path whose type is known.
fn var_type(ir: &Ir<'_>, catalogue: &Catalogue<'_>, id: NodeId, scope: Scope) -> Option<Type> {
    let Node::Var { path, default: None } = ir.logic().node(id) else { return None };
    match (scope, path) {
        (Scope::Context, VarPath::Slot(_) | VarPath::Derived(_)) => match catalogue.lookup(ir.var_name(path)?)? {
            Known::Typed(t) => Some(t),
            Known::Untyped => None,
        },
        (Scope::CartLine, VarPath::Keys { keys, in_scope: true }) if keys.len() == 1 => {
            let key = keys.first()?;
            ITEM_FIELDS.iter().find(|(f, _)| **f == **key).map(|(_, t)| *t)
        }
        _ => None,
    }
}

fn var_label(ir: &Ir<'_>, id: NodeId) -> Option<String> {
    match ir.logic().node(id) {
        Node::Var { path: VarPath::Keys { keys, .. }, .. } => Some(keys.join(".")),
        Node::Var { path, .. } => ir.var_name(path).map(str::to_owned),
        _ => None,
    }
}

fn literal<'l>(ir: &Ir<'l>, id: NodeId) -> Option<&'l Datum<'static>> {
    match ir.logic().node(id) {
        Node::Lit(lit) => Some(ir.logic().lit(*lit)),
        _ => None,
    }
}

fn shown(d: &Datum<'_>) -> String {
    d.to_json().to_string()
}

fn numeric_text(s: &str) -> bool {
    !s.trim().is_empty() && s.trim().parse::<f64>().is_ok()
}

/// A comparison that can never hold as meant, as (code, message).
fn mismatch(ir: &Ir<'_>, catalogue: &Catalogue<'_>, node: &Node, scope: Scope) -> Option<(&'static str, String)> {
    let typed = |id: NodeId| var_type(ir, catalogue, id, scope).map(|t| (t, var_label(ir, id).unwrap_or_default()));
    match node {
        Node::Equals { strict, left, right, .. } => {
            let ((t, name), lit) = match (typed(*left), literal(ir, *right), literal(ir, *left), typed(*right)) {
                (Some(v), Some(l), _, _) | (_, _, Some(l), Some(v)) => (v, l),
                _ => return None,
            };
            if let Some(m) = value_mismatch(catalogue, &name, lit) {
                return Some(("unknown-value", m));
            }
            let wrong = match (t, lit) {
                (_, Datum::Null) => false,
                (Type::Bool, Datum::Bool(_)) | (Type::Num, Datum::Num(_)) | (Type::Str, Datum::Str(_)) => false,
                (Type::Num, Datum::Str(s)) => *strict || !numeric_text(s),
                (Type::Str, Datum::Num(_)) => *strict,
                _ => true,
            };
            if !wrong {
                return None;
            }
            let hint = match (t, lit) {
                (Type::Bool, _) => format!(": compare it with true or false, not {}", shown(lit)),
                (t, Datum::Str(_)) if t.is_list() => {
                    format!(": to test whether it holds {0}, write `in: [{0}, {{var: {name}}}]`", shown(lit))
                }
                (t, _) if t.is_list() => ": test its members with `in`, `some` or `all`".into(),
                _ => String::new(),
            };
            Some((
                "type-mismatch",
                format!("`{name}` is {}, compared with {}: never equal as meant{hint}", t.name(), shown(lit)),
            ))
        }
        Node::Compare { args, .. } => {
            let args = ir.logic().args(*args);
            let (t, name) = args.iter().find_map(|a| typed(*a))?;
            let bad = args.iter().filter_map(|a| literal(ir, *a)).find(|lit| match (t, lit) {
                (Type::Num, Datum::Num(_)) => false,
                (Type::Num, Datum::Str(s)) => !numeric_text(s),
                (Type::Str, Datum::Str(_)) => false,
                _ => true,
            })?;
            Some((
                "type-mismatch",
                format!(
                    "`{name}` is {}, ordered against {}: the comparison is never true as meant",
                    t.name(),
                    shown(bad)
                ),
            ))
        }
        Node::InSet { needle, set } => {
            let (t, name) = typed(*needle)?;
            let Datum::List(items) = ir.logic().lit(*set) else { return None };
            if t.is_list() {
                return Some((
                    "type-mismatch",
                    format!(
                        "`in` with the list `{name}` first asks whether the whole list is one of the items, which it never is: to test for any of them, write `some: [{{var: {name}}}, {{in: [{{var: \"\"}}, {}]}}]`",
                        shown(ir.logic().lit(*set))
                    ),
                ));
            }
            for item in items {
                if let Some(m) = value_mismatch(catalogue, &name, item) {
                    return Some(("unknown-value", m));
                }
            }
            let bad = items.iter().find(|item| {
                !matches!(
                    (t, item),
                    (Type::Str, Datum::Str(_))
                        | (Type::Num, Datum::Num(_))
                        | (Type::Bool, Datum::Bool(_))
                        | (_, Datum::Null)
                )
            })?;
            Some((
                "type-mismatch",
                format!(
                    "`{name}` is {}, but the list holds {}: `in` compares exactly, so that item never matches",
                    t.name(),
                    shown(bad)
                ),
            ))
        }
        Node::In { needle, haystack } => {
            let (t, name) = typed(*haystack)?;
            match (t, literal(ir, *needle)) {
                (Type::Items, Some(lit)) => Some((
                    "type-mismatch",
                    format!(
                        "`cart.items` holds cart lines, not {}: to test for a sku, write `some: [{{var: cart.items}}, {{\"==\": [{{var: sku}}, {}]}}]`",
                        shown(lit),
                        shown(lit)
                    ),
                )),
                (Type::Texts, Some(lit @ (Datum::Num(_) | Datum::Bool(_)))) => Some((
                    "type-mismatch",
                    format!("`{name}` is {}, never holding {}: quote it", t.name(), shown(lit)),
                )),
                (Type::Num | Type::Bool, _) => {
                    Some(("type-mismatch", format!("`{name}` is {}: `in` needs a list or a text to look in", t.name())))
                }
                _ => None,
            }
        }
        Node::StartsWith(subject, _) | Node::EndsWith(subject, _) => {
            let (t, name) = typed(*subject)?;
            (t != Type::Str).then(|| {
                ("type-mismatch", format!("`{name}` is {}, not text: a prefix or suffix test never holds", t.name()))
            })
        }
        _ => None,
    }
}

/// A value `page.type` or `device.type` never has.
fn value_mismatch(catalogue: &Catalogue<'_>, name: &str, lit: &Datum<'_>) -> Option<String> {
    let Datum::Str(value) = lit else { return None };
    let allowed: Vec<&str> = match name {
        "page.type" => catalogue.page_types.iter().map(String::as_str).collect(),
        "device.type" => DEVICE_TYPES.to_vec(),
        _ => return None,
    };
    if allowed.contains(&value.as_ref()) {
        return None;
    }
    let near =
        did_you_mean(value, allowed.iter().copied()).map(|s| format!("did you mean \"{s}\"? ")).unwrap_or_default();
    let table = if name == "page.type" { " (the bundle's page_types table)" } else { "" };
    Some(format!("`{name}` is never \"{value}\": {near}it is one of {}{table}", allowed.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_context_agrees_with_the_engine() {
        for derived in perso_core::context::DERIVED_PATHS {
            assert!(DOCUMENTED.iter().any(|(p, _)| *p == derived), "{derived} is derived but not documented here");
        }
        for (path, t) in DOCUMENTED {
            let expected = match perso_core::context::documented_kind(path) {
                Some(Kind::Str) => Some(Type::Str),
                Some(Kind::Num) => Some(Type::Num),
                Some(Kind::Bool) => Some(Type::Bool),
                Some(Kind::List) => None,
                None => continue,
            };
            match expected {
                Some(e) => assert_eq!(*t, e, "{path}"),
                None => assert!(t.is_list(), "{path}"),
            }
        }
    }

    #[test]
    fn suggestions_for_the_likely_typos() {
        let declared = BTreeMap::from([("custom.loyalty_tier".to_owned(), Kind::Str)]);
        let catalogue = Catalogue { declared: &declared, page_types: vec!["home".into()] };
        assert_eq!(catalogue.suggestions("customer.ltvband"), ["customer.ltv_band"]);
        assert_eq!(catalogue.suggestions("visitor.interest"), ["visitor.interests"]);
        assert_eq!(catalogue.suggestions("session.utm.source"), ["session.entry_utm.source", "page.utm.source"]);
        assert_eq!(catalogue.suggestions("custom.loyalty"), ["custom.loyalty_tier"]);
        assert_eq!(catalogue.suggestions("custom.points"), Vec::<String>::new());
        assert_eq!(catalogue.suggestions("custom.loyaltytier"), ["custom.loyalty_tier"]);
        assert!(matches!(catalogue.lookup("cart.items.0.sku"), Some(Known::Typed(Type::Str))));
        assert!(matches!(catalogue.lookup("customer.rfm"), Some(Known::Untyped)));
        assert!(catalogue.lookup("cart.items.0.skew").is_none());
    }
}
