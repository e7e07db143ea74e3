//! JsonLogic, compiled: [`compile`] turns a rule into nodes of a [`Logic`] arena
//! once, [`eval`] runs them against data many times, [`cost`] bounds what they may
//! cost before they run, and [`passes`] are the other walks over the arena (required
//! facts, time thresholds). `apply` is the one-shot form with json-logic-js
//! semantics, for hosts that want plain JsonLogic.
//!
//! Beyond standard JsonLogic: `starts_with`, `ends_with` (strings), `segment`
//! (bundle conditions: a named segment matches), flagd's `fractional`
//! (percentage bucketing, murmur3, compatible with flagd) and `sem_ver`.

#[cfg(feature = "json")]
pub mod compile;
pub mod cost;
#[cfg(feature = "json")]
pub mod decompile;
pub mod eval;
pub mod hash;
pub mod ir;
pub mod number;
pub mod passes;
pub mod semver;
pub mod value;

#[cfg(feature = "json")]
pub use compile::{LogicError, LogicProblem};
pub use ir::{Logic, Node, NodeId};
pub use value::Datum;

/// Evaluates `rule` against `data` like json-logic-js's `apply`. The rule runs on
/// the same budget as a bundle condition; past it the answer is `null` and the
/// error says so.
#[cfg(feature = "json")]
pub fn apply(rule: &serde_json::Value, data: &serde_json::Value) -> Result<serde_json::Value, LogicError> {
    use eval::{Budget, DataHooks, Env};
    let (logic, root) = compile::compile_rule(rule)?;
    let data = Datum::from_json(data);
    let budget = Budget::new(crate::limits::APPLY_BUDGET);
    let env =
        Env { logic: &logic, slots: &[], derived: &[], root: &data, scope: &data, hooks: &DataHooks, budget: &budget };
    let result = env.eval(root).to_json();
    if budget.exhausted() {
        return Err(LogicError {
            path: "rule".into(),
            problem: LogicProblem::OverBudget { limit: crate::limits::APPLY_BUDGET },
        });
    }
    Ok(result)
}
