//! The public conformance suites in ../shared/conformance, run case by case:
//! JsonLogic's official tests.json and flagd's `fractional` and `sem_ver` suites.
//! Every case must pass; there is no skip list. The counts are printed so CI logs
//! show what ran.

use perso_core::logic::apply;
use serde_json::Value;
use std::path::PathBuf;

fn suite_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("PERSO_CONFORMANCE_DIR") {
        return PathBuf::from(dir);
    }
    // The repository's shared/ folder sits beside the checkout.
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance")
}

fn load(relative: &str) -> Vec<Value> {
    let path = suite_dir().join(relative);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("conformance suite {} is missing ({e}); set PERSO_CONFORMANCE_DIR", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// JSON equality with numbers compared by value (`3` equals `3.0`).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

struct Tally {
    name: &'static str,
    passed: usize,
    failures: Vec<String>,
}

impl Tally {
    fn check(&mut self, label: String, rule: &Value, data: &Value, expected: &Value) {
        match apply(rule, data) {
            Ok(actual) if same(&actual, expected) => self.passed += 1,
            Ok(actual) => self.failures.push(format!("{label}: {rule} with {data} gave {actual}, expected {expected}")),
            Err(e) => self.failures.push(format!("{label}: {rule} failed to compile: {e}")),
        }
    }

    fn finish(self) {
        println!("{}: {} passed, {} failed", self.name, self.passed, self.failures.len());
        assert!(self.passed > 0, "{}: no case ran", self.name);
        assert!(self.failures.is_empty(), "{} failures:\n{}", self.name, self.failures.join("\n"));
    }
}

#[test]
fn jsonlogic_official_suite() {
    let mut tally = Tally { name: "jsonlogic tests.json", passed: 0, failures: Vec::new() };
    for (i, case) in load("jsonlogic/tests.json").iter().enumerate() {
        if let Value::Array(parts) = case {
            let [rule, data, expected] = parts.as_slice() else { panic!("case {i} is not [rule, data, expected]") };
            tally.check(format!("case {i}"), rule, data, expected);
        }
    }
    assert_eq!(tally.passed + tally.failures.len(), 275, "the published suite has 275 cases");
    tally.finish();
}

fn flagd_suite(name: &'static str, file: &str, expected_cases: usize) {
    let mut tally = Tally { name, passed: 0, failures: Vec::new() };
    for case in load(file) {
        if let Value::Object(fields) = &case {
            let label = fields.get("description").and_then(Value::as_str).unwrap_or("?").to_owned();
            tally.check(label, &fields["rule"], &fields["data"], &fields["result"]);
        }
    }
    assert_eq!(tally.passed + tally.failures.len(), expected_cases);
    tally.finish();
}

#[test]
fn flagd_fractional_suite() {
    flagd_suite("flagd fractional", "flagd/fractional.json", 47);
}

#[test]
fn flagd_sem_ver_suite() {
    flagd_suite("flagd sem_ver", "flagd/sem_ver.json", 43);
}
