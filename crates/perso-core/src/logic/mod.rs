//! JsonLogic, compiled: [`compile`] turns a rule into an [`Expr`] once, [`eval`]
//! runs it against data many times. `apply` is the one-shot form with
//! json-logic-js semantics, for hosts that want plain JsonLogic.
//!
//! Beyond standard JsonLogic: `starts_with`, `ends_with` (strings), `segment`
//! (bundle conditions: a named segment matches), flagd's `fractional`
//! (percentage bucketing, murmur3, compatible with flagd) and `sem_ver`.

pub mod compile;
pub mod eval;
pub mod hash;
pub mod semver;
pub mod value;

pub use compile::{Expr, LogicError, LogicProblem};
pub use value::Datum;

use eval::{DataHooks, Env};

/// Evaluates `rule` against `data` like json-logic-js's `apply`.
pub fn apply(rule: &serde_json::Value, data: &serde_json::Value) -> Result<serde_json::Value, LogicError> {
    let program = compile::compile(rule, compile::Mode::Dynamic, "rule")?;
    let data = Datum::from_json(data);
    let env = Env { slots: &[], derived: &[], root: &data, scope: &data, hooks: &DataHooks };
    let result = program.eval(&env).to_json();
    Ok(result)
}
