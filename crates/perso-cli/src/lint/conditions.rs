//! The condition analysis behind the lints: a campaign's requirements as a conjunction
//! of atoms (segments followed), the context paths they read, and the simple
//! contradictions that make a conjunction unsatisfiable. Deliberately shallow: it
//! proves "never" only where a marketer would see it at a glance.

use perso_core::bundle::source::CampaignSource;
use serde_json::Value;
use std::collections::HashMap;

/// Everything a campaign requires, as a conjunction: `{"segment": id}` per segment, then
/// the condition's top-level `and` members.
pub(super) fn requirements(campaign: &CampaignSource) -> Vec<Value> {
    let mut atoms: Vec<Value> = campaign.segments.iter().map(|s| serde_json::json!({ "segment": s })).collect();
    if let Some(condition) = &campaign.condition {
        flatten_and(condition, &mut atoms);
    }
    atoms
}

fn flatten_and(rule: &Value, out: &mut Vec<Value>) {
    match rule.as_object().and_then(|o| if o.len() == 1 { o.get("and") } else { None }) {
        Some(Value::Array(members)) => members.iter().for_each(|m| flatten_and(m, out)),
        _ => out.push(rule.clone()),
    }
}

/// The atoms with segment references replaced by the segments' own atoms (a bounded
/// number of times, so a cycle — refused at load anyway — cannot loop).
pub(super) fn expanded_atoms(atoms: &[Value], segments: &HashMap<&str, &Value>) -> Vec<Value> {
    let mut out = Vec::new();
    let mut queue: Vec<(Value, u8)> = atoms.iter().map(|a| (a.clone(), 0)).collect();
    while let Some((atom, depth)) = queue.pop() {
        let referenced =
            atom.get("segment").and_then(|s| s.as_str()).and_then(|s| segments.get(s)).filter(|_| depth < 16);
        match referenced {
            Some(condition) => {
                let mut inner = Vec::new();
                flatten_and(condition, &mut inner);
                queue.extend(inner.into_iter().map(|a| (a, depth + 1)));
            }
            None => out.push(atom),
        }
    }
    out
}

pub(super) fn segment_refs(rule: &Value) -> Vec<String> {
    let mut out = Vec::new();
    walk(rule, &mut |op, args| {
        if op == "segment" {
            if let Some(id) = args.as_str().or_else(|| args.get(0).and_then(|a| a.as_str())) {
                out.push(id.to_owned());
            }
        }
    });
    out
}

fn walk(rule: &Value, visit: &mut dyn FnMut(&str, &Value)) {
    match rule {
        Value::Object(map) if map.len() == 1 => {
            for (op, args) in map {
                visit(op, args);
                walk(args, visit);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| walk(i, visit)),
        _ => {}
    }
}

/// A reason the conjunction of `atoms` is unsatisfiable, for the simple cases.
pub(super) fn contradiction(atoms: &[Value]) -> Option<String> {
    let mut equal: HashMap<String, Value> = HashMap::new();
    let mut low: HashMap<String, (f64, bool)> = HashMap::new(); // (bound, inclusive)
    let mut high: HashMap<String, (f64, bool)> = HashMap::new();
    for atom in atoms {
        if atom.is_boolean() || atom.is_null() || (atom.is_object() && !walk_has_var(atom)) {
            if let Ok(result) = perso_core::logic::apply(atom, &Value::Null) {
                if !truthy(&result) {
                    return Some(format!("`{atom}` is always false"));
                }
            }
            continue;
        }
        let Some((op, path, constant)) = comparison(atom) else { continue };
        match op.as_str() {
            "==" | "===" => {
                if let Some(previous) = equal.get(&path) {
                    if previous != &constant {
                        return Some(format!("`{path}` cannot equal both {previous} and {constant}"));
                    }
                }
                if let Some(n) = constant.as_f64() {
                    low.entry(path.clone()).and_modify(|b| tighten_low(b, n, true)).or_insert((n, true));
                    high.entry(path.clone()).and_modify(|b| tighten_high(b, n, true)).or_insert((n, true));
                }
                equal.insert(path, constant);
            }
            "in" if constant.as_array().is_some_and(|a| a.is_empty()) => {
                return Some(format!("`{path}` cannot be in an empty list"))
            }
            ">" | ">=" | "<" | "<=" => {
                let Some(n) = constant.as_f64() else { continue };
                let inclusive = op.ends_with('=');
                if op.starts_with('>') {
                    low.entry(path).and_modify(|b| tighten_low(b, n, inclusive)).or_insert((n, inclusive));
                } else {
                    high.entry(path).and_modify(|b| tighten_high(b, n, inclusive)).or_insert((n, inclusive));
                }
            }
            _ => {}
        }
    }
    for (path, (lo, lo_inclusive)) in &low {
        if let Some((hi, hi_inclusive)) = high.get(path) {
            if lo > hi || (lo == hi && !(*lo_inclusive && *hi_inclusive)) {
                return Some(format!(
                    "`{path}` cannot be both {} {lo} and {} {hi}",
                    if *lo_inclusive { "≥" } else { ">" },
                    if *hi_inclusive { "≤" } else { "<" }
                ));
            }
        }
    }
    None
}

fn walk_has_var(rule: &Value) -> bool {
    let mut found = false;
    walk(rule, &mut |op, _| found |= matches!(op, "var" | "segment" | "fractional" | "missing" | "missing_some"));
    found
}

fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(_) => true,
    }
}

fn tighten_low(bound: &mut (f64, bool), n: f64, inclusive: bool) {
    if n > bound.0 || (n == bound.0 && !inclusive) {
        *bound = (n, inclusive);
    }
}

fn tighten_high(bound: &mut (f64, bool), n: f64, inclusive: bool) {
    if n < bound.0 || (n == bound.0 && !inclusive) {
        *bound = (n, inclusive);
    }
}

/// `{op: [{"var": path}, constant]}` (or the constant first, with the operator mirrored).
fn comparison(atom: &Value) -> Option<(String, String, Value)> {
    let (op, args) = atom.as_object().filter(|o| o.len() == 1)?.iter().next()?;
    let [a, b] = args.as_array()?.as_slice() else { return None };
    let var = |v: &Value| v.get("var").and_then(|p| p.as_str().map(str::to_owned));
    let constant = |v: &Value| !v.is_object();
    if let (Some(path), true) = (var(a), constant(b)) {
        return Some((op.clone(), path, b.clone()));
    }
    if let (true, Some(path)) = (constant(a), var(b)) {
        let mirrored = match op.as_str() {
            ">" => "<",
            ">=" => "<=",
            "<" => ">",
            "<=" => ">=",
            "==" | "===" => op.as_str(),
            _ => return None,
        };
        return Some((mirrored.to_owned(), path, a.clone()));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn contradictions() {
        assert!(contradiction(&[json!({"==": [{"var": "a"}, 1]}), json!({"==": [{"var": "a"}, 2]})]).is_some());
        assert!(contradiction(&[json!({">=": [{"var": "n"}, 5]}), json!({"<": [{"var": "n"}, 5]})]).is_some());
        assert!(contradiction(&[json!({">": [10, {"var": "n"}]}), json!({">": [{"var": "n"}, 20]})]).is_some());
        assert!(contradiction(&[json!(false)]).is_some());
        assert!(contradiction(&[json!({">=": [{"var": "n"}, 5]}), json!({"<=": [{"var": "n"}, 5]})]).is_none());
        assert!(contradiction(&[json!({"==": [{"var": "a"}, 1]}), json!({"==": [{"var": "b"}, 2]})]).is_none());
    }
}
