//! The simple contradictions that make a conjunction of requirements unsatisfiable,
//! found on the compiled nodes: two different values `==` one path, an empty range,
//! `in` an empty list, a constant false. Deliberately shallow: it proves "never" only
//! where a marketer would see it at a glance.

use super::ir::Ir;
use perso_core::logic::ir::{CompareOp, Node, NodeId, VarPath};
use serde_json::Value;
use std::collections::HashMap;

/// A requirement that compares one context path with a constant.
enum Clause<'p> {
    Equal(&'p str, Value),
    Bound { path: &'p str, n: f64, low: bool, inclusive: bool },
    EmptySet(&'p str),
}

/// A reason the conjunction of `atoms` is unsatisfiable, for the simple cases.
pub(super) fn contradiction(ir: &Ir<'_>, atoms: &[NodeId]) -> Option<String> {
    let mut equal: HashMap<&str, Value> = HashMap::new();
    let mut low: HashMap<&str, (f64, bool)> = HashMap::new(); // (bound, inclusive)
    let mut high: HashMap<&str, (f64, bool)> = HashMap::new();
    for &atom in atoms {
        if !ir.reads_anything(atom) {
            let rule = ir.json(atom);
            if let Ok(result) = perso_core::logic::apply(&rule, &Value::Null) {
                if !truthy(&result) {
                    return Some(format!("`{rule}` is always false"));
                }
            }
            continue;
        }
        for clause in clauses(ir, atom) {
            match clause {
                Clause::Equal(path, constant) => {
                    if let Some(previous) = equal.get(path) {
                        if previous != &constant {
                            return Some(format!("`{path}` cannot equal both {previous} and {constant}"));
                        }
                    }
                    if let Some(n) = constant.as_f64() {
                        low.entry(path).and_modify(|b| tighten_low(b, n, true)).or_insert((n, true));
                        high.entry(path).and_modify(|b| tighten_high(b, n, true)).or_insert((n, true));
                    }
                    equal.insert(path, constant);
                }
                Clause::EmptySet(path) => return Some(format!("`{path}` cannot be in an empty list")),
                Clause::Bound { path, n, low: true, inclusive } => {
                    low.entry(path).and_modify(|b| tighten_low(b, n, inclusive)).or_insert((n, inclusive));
                }
                Clause::Bound { path, n, low: false, inclusive } => {
                    high.entry(path).and_modify(|b| tighten_high(b, n, inclusive)).or_insert((n, inclusive));
                }
            }
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

/// The clauses one atom states (a specialized node is read through its general form).
fn clauses<'p>(ir: &Ir<'p>, atom: NodeId) -> Vec<Clause<'p>> {
    let logic = ir.logic();
    let general = match logic.node(atom) {
        Node::NumCmp { general, .. }
        | Node::Between { general, .. }
        | Node::StrEq { general, .. }
        | Node::InStrSet { general, .. }
        | Node::SomeFieldEq { general, .. } => *general,
        _ => atom,
    };
    let path = |id: NodeId| match logic.node(id) {
        Node::Var { path: p @ (VarPath::Slot(_) | VarPath::Derived(_)), default: None } => ir.var_name(p),
        _ => None,
    };
    let constant = |id: NodeId| match logic.node(id) {
        Node::Lit(lit) => Some(logic.lit(*lit).to_json()),
        _ => None,
    };
    match logic.node(general) {
        Node::Equals { negate: false, left, right, .. } => {
            match (path(*left), constant(*right), constant(*left), path(*right)) {
                (Some(p), Some(k), _, _) | (_, _, Some(k), Some(p)) => vec![Clause::Equal(p, k)],
                _ => Vec::new(),
            }
        }
        Node::InSet { needle, set } => match (path(*needle), logic.lit(*set).to_json()) {
            (Some(p), Value::Array(items)) if items.is_empty() => vec![Clause::EmptySet(p)],
            _ => Vec::new(),
        },
        Node::Compare { op, args } => match logic.args(*args) {
            [a, b] => {
                match (path(*a), constant(*b).and_then(|v| v.as_f64()), constant(*a).and_then(|v| v.as_f64()), path(*b))
                {
                    (Some(p), Some(n), _, _) => vec![bound(p, n, *op, false)],
                    (_, _, Some(n), Some(p)) => vec![bound(p, n, *op, true)],
                    _ => Vec::new(),
                }
            }
            // `lo < x < hi` (or `<=`): both bounds.
            [lo, x, hi] => {
                match (constant(*lo).and_then(|v| v.as_f64()), path(*x), constant(*hi).and_then(|v| v.as_f64())) {
                    (Some(lo), Some(p), Some(hi)) => vec![bound(p, lo, *op, true), bound(p, hi, *op, false)],
                    _ => Vec::new(),
                }
            }
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// `path op n` (or, `mirrored`, `n op path`) as a bound on the path.
fn bound(path: &str, n: f64, op: CompareOp, mirrored: bool) -> Clause<'_> {
    let (greater, inclusive) = match op {
        CompareOp::Gt => (true, false),
        CompareOp::Ge => (true, true),
        CompareOp::Lt => (false, false),
        CompareOp::Le => (false, true),
    };
    Clause::Bound { path, n, low: greater != mirrored, inclusive }
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The reason for a campaign whose condition is `condition`.
    fn reason(condition: Value) -> Option<String> {
        let bundle = json!({"version": 1, "serial": 1, "expires_at": "2030-01-01", "placements": [{"id": "p"}],
            "campaigns": [{"id": "c", "placement": "p", "condition": condition, "action": {"kind": "banner", "title": "T"}}]});
        let engine = perso_core::Engine::from_bundle(&serde_json::to_vec(&bundle).unwrap()).unwrap();
        let ir = Ir { program: engine.program(), source: engine.source_map() };
        contradiction(&ir, &ir.expanded(&ir.requirements(0)))
    }

    #[test]
    fn contradictions() {
        let and = |a: Value, b: Value| json!({"and": [a, b]});
        assert!(reason(and(json!({"==": [{"var": "a"}, 1]}), json!({"==": [{"var": "a"}, 2]}))).is_some());
        assert!(reason(and(json!({"==": [{"var": "a"}, "x"]}), json!({"==": [{"var": "a"}, "y"]}))).is_some());
        assert!(reason(and(json!({">=": [{"var": "n"}, 5]}), json!({"<": [{"var": "n"}, 5]}))).is_some());
        assert!(reason(and(json!({">": [10, {"var": "n"}]}), json!({">": [{"var": "n"}, 20]}))).is_some());
        assert!(reason(and(json!({"<": [1, {"var": "n"}, 3]}), json!({">": [{"var": "n"}, 5]}))).is_some());
        assert!(reason(json!({"in": [{"var": "a"}, []]})).is_some());
        assert!(reason(json!(false)).is_some());
        assert!(reason(and(json!({">=": [{"var": "n"}, 5]}), json!({"<=": [{"var": "n"}, 5]}))).is_none());
        assert!(reason(and(json!({"==": [{"var": "a"}, 1]}), json!({"==": [{"var": "b"}, 2]}))).is_none());
    }
}
