//! JsonLogic corners where perso once differed from json-logic-js, found by the
//! differential test (tests/node/differential.test.mjs). Kept here so native runs
//! guard them too.

use perso_core::logic::apply;
use serde_json::{json, Value};

#[test]
fn reference_semantics_table() {
    let cases: &[(Value, Value, Value)] = &[
        // `*` reduces without a seed: one operand comes back untouched.
        (json!({"*": [false]}), json!(null), json!(false)),
        (json!({"*": ["2"]}), json!(null), json!("2")),
        // A missing operand is `undefined`: == null, but not === null.
        (json!({"===": [null]}), json!(null), json!(false)),
        (json!({"==": [null]}), json!(null), json!(true)),
        (json!({"!==": [1]}), json!(null), json!(true)),
        // `cat` joins: null is "".
        (json!({"cat": ["a", null, "b"]}), json!(null), json!("ab")),
        // An array equals itself (identity), never a copy.
        (json!({"==": [{"var": "xs"}, {"var": "xs"}]}), json!({"xs": [1]}), json!(true)),
        (json!({"==": [{"var": "xs"}, [1]]}), json!({"xs": [1]}), json!(false)),
        // `in` a falsy haystack is false.
        (json!({"in": ["", ""]}), json!(null), json!(false)),
        (json!({"in": ["", "abc"]}), json!(null), json!(true)),
    ];
    for (rule, data, expected) in cases {
        let actual = apply(rule, data).unwrap_or_else(|e| panic!("{rule}: {e}"));
        assert_eq!(&actual, expected, "{rule} on {data}");
    }
}
