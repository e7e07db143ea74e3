//! Specialized clause shapes must decide exactly like the generic expressions they are
//! made from, whatever the context holds: each row is a condition and a context value;
//! the specialized node (`truthy`) and its generic form are evaluated side by side.

use perso_core::logic::compile::{compile, Mode, Origin, SchemaResolver};
use perso_core::logic::eval::{Budget, DataHooks, Env};
use perso_core::logic::ir::{Logic, Node, NodeId, VarPath};
use perso_core::logic::Datum;
use serde_json::{json, Value};

/// One context path, `x`, in slot 0.
struct OneSlot;

impl SchemaResolver for OneSlot {
    fn var(&mut self, _path: &str) -> VarPath {
        VarPath::Slot(0)
    }
    fn segment(&mut self, _id: &str) -> Option<u16> {
        None
    }
    fn owner(&self) -> &str {
        "c"
    }
}

fn general(logic: &Logic, id: NodeId) -> Option<NodeId> {
    match logic.node(id) {
        Node::NumCmp { general, .. }
        | Node::Between { general, .. }
        | Node::StrEq { general, .. }
        | Node::InStrSet { general, .. }
        | Node::SomeFieldEq { general, .. } => Some(*general),
        _ => None,
    }
}

#[test]
fn specialized_shapes_agree_with_generic_semantics() {
    let rules: Vec<Value> = vec![
        json!({">": [{"var": "x"}, 50]}),
        json!({">=": [{"var": "x"}, 0]}),
        json!({"<": [{"var": "x"}, -1]}),
        json!({"<=": [1, {"var": "x"}, 5]}),
        json!({"<": [1, {"var": "x"}, 5]}),
        json!({"==": [{"var": "x"}, "10"]}),
        json!({"===": [{"var": "x"}, "a"]}),
        json!({"!=": [{"var": "x"}, ""]}),
        json!({"in": [{"var": "x"}, ["a", "10", ""]]}),
        json!({"some": [{"var": "x"}, {"==": [{"var": "k"}, "a"]}]}),
        json!({"some": [{"var": "x"}, {"===": [{"var": "k"}, "1"]}]}),
    ];
    let values: Vec<Value> = vec![
        json!(null),
        json!(0),
        json!(10),
        json!(51),
        json!(3),
        json!(-2),
        json!(f64::MAX),
        json!("10"),
        json!("a"),
        json!(""),
        json!("51"),
        json!(true),
        json!(false),
        json!([]),
        json!([3]),
        json!(["a"]),
        json!([{"k": "a"}]),
        json!([{"k": 1}, {"k": "a"}]),
        json!([{"k": "1"}]),
        json!([{"k": null}, {"j": "a"}]),
        json!([{"k": ["a"]}]),
        json!({"k": "a"}),
        json!([1, "a"]),
    ];
    let mut checked = 0;
    for rule in &rules {
        let mut logic = Logic::default();
        let origin = Origin { path: "rule", pointer: "" };
        let expr = compile(rule, &mut logic, Mode::Schema(&mut OneSlot), origin, None)
            .unwrap_or_else(|e| panic!("{rule}: {e}"));
        let generic = general(&logic, expr).unwrap_or_else(|| panic!("{rule} was not specialized"));
        for value in &values {
            let slots = [Datum::from_json(value)];
            let budget = Budget::new(1_000);
            let env = Env {
                logic: &logic,
                slots: &slots,
                derived: &[],
                root: &Datum::Null,
                scope: &Datum::Null,
                hooks: &DataHooks,
                budget: &budget,
            };
            assert_eq!(env.truthy(expr), env.truthy(generic), "{rule} with x = {value}");
            checked += 1;
        }
    }
    assert_eq!(checked, rules.len() * values.len());
}
