//! Nodes back to JsonLogic JSON: what explain shows of a condition when the bundle
//! was loaded in its compiled form (no source at hand). The rule shown is the one
//! evaluated — equivalent to what the marketer wrote, not always spelled the same
//! (`?:` comes back as `if`, a literal list as an array).

use super::ir::{ArithOp, CompareOp, IterKind, Logic, Node, NodeId, VarPath};
use crate::context::{Schema, DERIVED_PATHS};
use serde_json::{json, Value};

pub fn to_json(logic: &Logic, id: NodeId, schema: &Schema, segments: &dyn Fn(u16) -> String) -> Value {
    let all = |ids: &super::ir::Span| {
        Value::Array(logic.args(*ids).iter().map(|i| to_json(logic, *i, schema, segments)).collect())
    };
    let one = |i: &NodeId| to_json(logic, *i, schema, segments);
    let path = |p: &VarPath| -> Value {
        match p {
            VarPath::Whole { .. } => Value::String(String::new()),
            VarPath::Slot(s) => {
                Value::String(schema.paths().get(usize::from(*s)).map(|p| p.to_string()).unwrap_or_default())
            }
            VarPath::Derived(d) => Value::String(DERIVED_PATHS.get(usize::from(*d)).copied().unwrap_or("").to_owned()),
            VarPath::Keys { keys, .. } => Value::String(keys.join(".")),
        }
    };
    let compare = |op: &CompareOp| match op {
        CompareOp::Lt => "<",
        CompareOp::Le => "<=",
        CompareOp::Gt => ">",
        CompareOp::Ge => ">=",
    };
    match logic.node(id) {
        Node::Lit(lit) => logic.lit(*lit).to_json(),
        Node::Undefined => Value::Null,
        Node::Array(items) => all(items),
        Node::Var { path: p, default } => match default {
            Some(d) => json!({"var": [path(p), one(d)]}),
            None => json!({"var": path(p)}),
        },
        Node::VarComputed { path: p, default, .. } => match default {
            Some(d) => json!({"var": [one(p), one(d)]}),
            None => json!({"var": one(p)}),
        },
        Node::Missing { keys, .. } => json!({"missing": all(keys)}),
        Node::MissingSome { need, keys, .. } => json!({"missing_some": [one(need), one(keys)]}),
        Node::MissingPaths { need, paths } => {
            let names: Vec<Value> = paths.iter().map(|(name, _)| logic.lit(*name).to_json()).collect();
            match need {
                Some(n) => json!({"missing_some": [one(n), names]}),
                None => json!({"missing": names}),
            }
        }
        Node::If(items) => json!({"if": all(items)}),
        Node::And(items) => json!({"and": all(items)}),
        Node::Or(items) => json!({"or": all(items)}),
        Node::Not(a) => json!({"!": [one(a)]}),
        Node::Truthy(a) => json!({"!!": [one(a)]}),
        Node::Equals { strict, negate, left, right } => {
            let op = match (strict, negate) {
                (false, false) => "==",
                (true, false) => "===",
                (false, true) => "!=",
                (true, true) => "!==",
            };
            json!({ op: [one(left), one(right)] })
        }
        Node::Compare { op, args } => json!({ compare(op): all(args) }),
        Node::InSet { needle, set } => json!({"in": [one(needle), logic.lit(*set).to_json()]}),
        Node::In { needle, haystack } => json!({"in": [one(needle), one(haystack)]}),
        Node::Cat(items) => json!({"cat": all(items)}),
        Node::Substr(items) => json!({"substr": all(items)}),
        Node::Arith { op, args } => {
            let name = match op {
                ArithOp::Add => "+",
                ArithOp::Sub => "-",
                ArithOp::Mul => "*",
                ArithOp::Div => "/",
                ArithOp::Rem => "%",
                ArithOp::Min => "min",
                ArithOp::Max => "max",
            };
            json!({ name: all(args) })
        }
        Node::Merge(items) => json!({"merge": all(items)}),
        Node::Iterate { kind, list, body } => {
            let name = match kind {
                IterKind::Map => "map",
                IterKind::Filter => "filter",
                IterKind::All => "all",
                IterKind::None => "none",
                IterKind::Some => "some",
            };
            json!({ name: [one(list), one(body)] })
        }
        Node::Reduce { list, body, initial } => json!({"reduce": [one(list), one(body), one(initial)]}),
        Node::StartsWith(a, b) => json!({"starts_with": [one(a), one(b)]}),
        Node::EndsWith(a, b) => json!({"ends_with": [one(a), one(b)]}),
        Node::Segment(s) => json!({"segment": segments(*s)}),
        Node::Fractional { key, buckets } => {
            let mut args: Vec<Value> = key.iter().map(one).collect();
            args.extend(logic.args(*buckets).chunks_exact(2).filter_map(|pair| match pair {
                [variant, weight] => Some(json!([one(variant), one(weight)])),
                _ => None,
            }));
            json!({"fractional": args})
        }
        Node::SemVer(items) => json!({"sem_ver": all(items)}),
        Node::Log(a) => json!({"log": one(a)}),
        Node::NumCmp { general, .. }
        | Node::Between { general, .. }
        | Node::StrEq { general, .. }
        | Node::InStrSet { general, .. }
        | Node::SomeFieldEq { general, .. } => one(general),
    }
}
