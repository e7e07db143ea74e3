//! The package's full build (`--features full`, pkg-node/ and pkg-full/): what tools
//! need beside deciding — compiling a JSON bundle with the one compiler, explain,
//! decisions rendered as JSON, plain JsonLogic, the visitor state as JSON. Results
//! and messages cross as JSON text; nothing here is on a shopper's page.

use crate::{Engine, Visitor};
use perso_core::bundle::compile::{self, Options};
use perso_core::bundle::BundleError;
use perso_core::VisitorState;
use std::cell::RefCell;
use wasm_bindgen::prelude::*;

thread_local! {
    static MESSAGE: RefCell<String> = const { RefCell::new(String::new()) };
}

fn set_message(value: serde_json::Value) {
    MESSAGE.with(|m| *m.borrow_mut() = value.to_string());
}

fn bundle_failure(error: &BundleError) {
    let code = match error {
        BundleError::TooLarge { .. } => "bundle_too_large",
        BundleError::Json { .. } => "bundle_json",
        BundleError::UnsupportedVersion { .. } => "bundle_version",
        BundleError::Invalid(_) => "bundle_invalid",
    };
    let errors: Vec<serde_json::Value> = error
        .issues()
        .iter()
        .map(|i| serde_json::json!({ "path": i.path, "message": i.problem.to_string() }))
        .collect();
    set_message(serde_json::json!({
        "code": code,
        "message": format!("Invalid bundle: {error}"),
        "path": error.path(),
        "errors": errors,
    }));
}

/// The last tool call's failure as JSON `{code, message, path, errors?}`.
#[wasm_bindgen(js_name = lastErrorMessage)]
pub fn last_error_message() -> String {
    MESSAGE.with(|m| m.borrow().clone())
}

/// Compiles a JSON bundle into its binary form (`bundle.bin`); `undefined` on
/// failure, with every problem in [`last_error_message`]. `max_bytes` raises the
/// size limit for benchmarks of oversized workloads (default: the product limit).
#[wasm_bindgen(js_name = compileBundle)]
pub fn compile_bundle(json: &[u8], max_bytes: Option<u32>) -> Option<Vec<u8>> {
    let mut options = Options::default();
    if let Some(max) = max_bytes {
        options.limits.max_bytes = max as usize;
    }
    match compile::compile(json, &options) {
        Ok(compiled) => Some(perso_core::program::codec::encode(&compiled.program, &compiled.host)),
        Err(error) => {
            bundle_failure(&error);
            None
        }
    }
}

/// A JSON bundle's warnings (non-fatal findings) as a JSON array of `{path, message}`.
#[wasm_bindgen(js_name = bundleWarnings)]
pub fn bundle_warnings(json: &[u8]) -> Option<String> {
    match compile::compile(json, &Options::default()) {
        Ok(compiled) => {
            let list: Vec<serde_json::Value> = compiled
                .warnings
                .iter()
                .map(|w| serde_json::json!({ "path": w.path, "message": w.problem.to_string() }))
                .collect();
            Some(serde_json::Value::Array(list).to_string())
        }
        Err(error) => {
            bundle_failure(&error);
            None
        }
    }
}

/// Plain JsonLogic, like json-logic-js's `apply(rule, data)`, JSON text in and out.
#[wasm_bindgen(js_name = applyRuleJson)]
pub fn apply_rule_json(rule: &str, data: &str) -> Option<String> {
    let parse = |text: &str, what: &str| -> Option<serde_json::Value> {
        match serde_json::from_str(text) {
            Ok(value) => Some(value),
            Err(e) => {
                set_message(
                    serde_json::json!({ "code": "rule_invalid", "message": format!("{what}: {e}"), "path": null }),
                );
                None
            }
        }
    };
    let (rule, data) = (parse(rule, "rule")?, parse(data, "data")?);
    match perso_core::logic::apply(&rule, &data) {
        Ok(result) => Some(result.to_string()),
        Err(error) => {
            set_message(
                serde_json::json!({ "code": "rule_invalid", "message": error.to_string(), "path": error.path }),
            );
            None
        }
    }
}

#[wasm_bindgen]
impl Engine {
    /// An engine compiled here from a JSON bundle, keeping its source: explain names
    /// each failing rule by its JSON path, as written.
    #[wasm_bindgen(js_name = fromJson)]
    pub fn from_json(json: &[u8]) -> Option<Engine> {
        match perso_core::Engine::from_bundle(json) {
            Ok(inner) => Some(Engine::wrap(inner)),
            Err(error) => {
                bundle_failure(&error);
                None
            }
        }
    }

    /// The decision for a JSON context, rendered natively, as JSON text.
    #[wasm_bindgen(js_name = decideJson)]
    pub fn decide_json(&self, visitor: &Visitor, context: &str, now_ms: f64) -> Option<String> {
        match self.inner.read_context(context.as_bytes()) {
            Ok(context) => serde_json::to_string(&self.inner.decide(&context, &visitor.state, now_ms as i64)).ok(),
            Err(error) => {
                set_message(
                    serde_json::json!({ "code": "context_invalid", "message": error.to_string(), "path": null }),
                );
                None
            }
        }
    }

    /// Why the checkout's re-check refuses an offer for a JSON context (docs/offers.md):
    /// `null` when it is granted, else `{"verdict": "failed" | "disabled" | ...,
    /// "failed": {"path", "rule"} | null}` as JSON text.
    #[wasm_bindgen(js_name = explainOfferJson)]
    pub fn explain_offer_json(&self, campaign: &str, visitor: &Visitor, context: &str, now_ms: f64) -> Option<String> {
        use perso_core::decide::OfferVerdict;
        match self.inner.read_context(context.as_bytes()) {
            Ok(context) => {
                let refusal = self.inner.explain_offer(campaign, &context, &visitor.state, now_ms as i64);
                let json = match refusal {
                    None => serde_json::Value::Null,
                    Some(r) => {
                        let verdict = match r.verdict {
                            OfferVerdict::Eligible => "eligible",
                            OfferVerdict::Unknown => "unknown",
                            OfferVerdict::NotAnOffer => "not_an_offer",
                            OfferVerdict::Disabled => "disabled",
                            OfferVerdict::OutsideSchedule => "outside_schedule",
                            OfferVerdict::Failed { .. } => "failed",
                            OfferVerdict::OverBudget => "over_budget",
                        };
                        serde_json::json!({ "verdict": verdict, "failed": r.failed })
                    }
                };
                Some(json.to_string())
            }
            Err(error) => {
                set_message(
                    serde_json::json!({ "code": "context_invalid", "message": error.to_string(), "path": null }),
                );
                None
            }
        }
    }

    /// Every campaign's verdict for a JSON context, as JSON text.
    #[wasm_bindgen(js_name = explainJson)]
    pub fn explain_json(&self, visitor: &Visitor, context: &str, now_ms: f64) -> Option<String> {
        match self.inner.read_context(context.as_bytes()) {
            Ok(context) => serde_json::to_string(&self.inner.explain(&context, &visitor.state, now_ms as i64)).ok(),
            Err(error) => {
                set_message(
                    serde_json::json!({ "code": "context_invalid", "message": error.to_string(), "path": null }),
                );
                None
            }
        }
    }
}

#[wasm_bindgen]
impl Visitor {
    /// The state in its JSON form (for people and tools).
    #[wasm_bindgen(js_name = toJson)]
    pub fn to_json(&self) -> String {
        self.state.to_json()
    }

    #[wasm_bindgen(js_name = fromJson)]
    pub fn from_json(json: &str) -> Option<Visitor> {
        match VisitorState::from_json(json.as_bytes()) {
            Ok(state) => Some(Visitor { state }),
            Err(error) => {
                set_message(serde_json::json!({ "code": "state_invalid", "message": error.to_string(), "path": null }));
                None
            }
        }
    }
}
