//! perso's WebAssembly package: a thin facade over `perso-core`.
//!
//! Context, state and decisions cross the boundary as plain JS objects; inside,
//! each call makes one `JSON.stringify` and one `JSON.parse` (both native in the JS
//! engine), which is cheaper than walking JS objects field by field from wasm and
//! lets the core read only the paths the bundle uses. Errors become real `Error`
//! objects in one place ([`errors`]).

mod errors;

use errors::{js_error, IntoJs};
use js_sys::{Uint8Array, JSON};
use perso_core::state::PageView;
use perso_core::VisitorState;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = include_str!("types.d.ts");

#[cfg(feature = "panic-hook")]
#[wasm_bindgen(start)]
fn start() {
    console_error_panic_hook::set_once();
}

/// `JSON.stringify(value)` as a Rust string; `what` names the argument in errors.
fn to_json(value: &JsValue, code: &str, what: &str) -> Result<String, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Err(js_error(code, &format!("{what} is missing"), None));
    }
    JSON::stringify(value)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(|| js_error(code, &format!("{what} cannot be converted to JSON"), None))
}

fn from_json<T: serde::Serialize>(value: &T) -> Result<JsValue, JsValue> {
    let text = serde_json::to_string(value).map_err(|e| js_error("internal", &e.to_string(), None))?;
    JSON::parse(&text)
}

fn read_state(state: &JsValue) -> Result<VisitorState, JsValue> {
    let json = to_json(state, "state_invalid", "visitor state")?;
    VisitorState::from_json(json.as_bytes()).map_err(IntoJs::into_js)
}

fn bundle_bytes(bundle: &JsValue) -> Result<Vec<u8>, JsValue> {
    if let Some(text) = bundle.as_string() {
        return Ok(text.into_bytes());
    }
    if bundle.is_instance_of::<Uint8Array>() {
        return Ok(Uint8Array::new(bundle).to_vec());
    }
    if bundle.is_instance_of::<js_sys::ArrayBuffer>() {
        return Ok(Uint8Array::new(bundle).to_vec());
    }
    Err(js_error("bundle_json", "the bundle must be a string, a Uint8Array or an ArrayBuffer", None))
}

/// A compiled decision bundle.
#[wasm_bindgen]
pub struct Engine {
    inner: perso_core::Engine,
}

impl Engine {
    /// Reads a JS context and visitor state for the engine and runs `f` on them.
    fn with_inputs<T>(
        &self,
        context: &JsValue,
        state: &JsValue,
        f: impl FnOnce(&perso_core::Engine, &perso_core::Context<'_>, &VisitorState) -> T,
    ) -> Result<T, JsValue> {
        let json = to_json(context, "context_invalid", "context")?;
        let context = self.inner.read_context(json.as_bytes()).map_err(IntoJs::into_js)?;
        let state = read_state(state)?;
        Ok(f(&self.inner, &context, &state))
    }
}

#[wasm_bindgen]
impl Engine {
    /// Parses, validates and compiles a bundle (JSON text or bytes).
    #[wasm_bindgen(js_name = fromBundle)]
    pub fn from_bundle(
        #[wasm_bindgen(unchecked_param_type = "string | Uint8Array | ArrayBuffer")] bundle: JsValue,
    ) -> Result<Engine, JsValue> {
        let bytes = bundle_bytes(&bundle)?;
        let inner = perso_core::Engine::from_bundle(&bytes).map_err(IntoJs::into_js)?;
        Ok(Engine { inner })
    }

    #[wasm_bindgen(getter)]
    pub fn serial(&self) -> f64 {
        self.inner.serial() as f64
    }

    #[wasm_bindgen(getter, js_name = expiresAtMs)]
    pub fn expires_at_ms(&self) -> f64 {
        self.inner.expires_at_ms() as f64
    }

    /// Throws (`code` "rollback" or "expired") when the bundle must not be used.
    #[wasm_bindgen(js_name = checkFreshness)]
    pub fn check_freshness(&self, last_accepted_serial: Option<f64>, now_ms: f64) -> Result<(), JsValue> {
        let last = last_accepted_serial.filter(|s| s.is_finite() && *s >= 0.0).map(|s| s as u64);
        self.inner.check_freshness(last, now_ms as i64).map_err(IntoJs::into_js)
    }

    /// Every context path the bundle reads.
    pub fn references(&self) -> Vec<String> {
        self.inner.references().to_vec()
    }

    /// `session.time_on_site_s` values (seconds) at which a re-decision can change the outcome.
    #[wasm_bindgen(js_name = timeOnSiteThresholds, unchecked_return_type = "number[]")]
    pub fn time_on_site_thresholds(&self) -> JsValue {
        from_json(&self.inner.time_on_site_thresholds()).unwrap_or(JsValue::NULL)
    }

    /// Non-fatal problems found while loading, as `{path, message}` objects.
    #[wasm_bindgen(unchecked_return_type = "{ path: string, message: string }[]")]
    pub fn warnings(&self) -> JsValue {
        let list: Vec<serde_json::Value> = self
            .inner
            .warnings()
            .iter()
            .map(|w| serde_json::json!({ "path": w.path, "message": w.problem.to_string() }))
            .collect();
        from_json(&list).unwrap_or(JsValue::NULL)
    }

    #[wasm_bindgen(unchecked_return_type = "Decision")]
    pub fn decide(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Context")] context: JsValue,
        #[wasm_bindgen(unchecked_param_type = "VisitorState")] state: JsValue,
        now_ms: f64,
    ) -> Result<JsValue, JsValue> {
        from_json(
            &self
                .with_inputs(&context, &state, |engine, context, state| engine.decide(context, state, now_ms as i64))?,
        )
    }

    #[wasm_bindgen(unchecked_return_type = "Explanation")]
    pub fn explain(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Context")] context: JsValue,
        #[wasm_bindgen(unchecked_param_type = "VisitorState")] state: JsValue,
        now_ms: f64,
    ) -> Result<JsValue, JsValue> {
        from_json(
            &self.with_inputs(&context, &state, |engine, context, state| {
                engine.explain(context, state, now_ms as i64)
            })?,
        )
    }

    /// The state after a campaign was rendered (interruptions count against the session budget).
    #[wasm_bindgen(js_name = recordImpression, unchecked_return_type = "VisitorState")]
    pub fn record_impression(
        &self,
        #[wasm_bindgen(unchecked_param_type = "VisitorState")] state: JsValue,
        campaign: &str,
        now_ms: f64,
    ) -> Result<JsValue, JsValue> {
        from_json(&self.inner.record_impression(read_state(&state)?, campaign, now_ms as i64))
    }

    #[wasm_bindgen(js_name = recordDismissal, unchecked_return_type = "VisitorState")]
    pub fn record_dismissal(
        &self,
        #[wasm_bindgen(unchecked_param_type = "VisitorState")] state: JsValue,
        campaign: &str,
        now_ms: f64,
    ) -> Result<JsValue, JsValue> {
        from_json(&read_state(&state)?.dismissal(campaign, now_ms as i64))
    }

    #[wasm_bindgen(js_name = recordClick, unchecked_return_type = "VisitorState")]
    pub fn record_click(
        &self,
        #[wasm_bindgen(unchecked_param_type = "VisitorState")] state: JsValue,
        campaign: &str,
        now_ms: f64,
    ) -> Result<JsValue, JsValue> {
        from_json(&read_state(&state)?.click(campaign, now_ms as i64))
    }

    /// The checkout's re-check: is this shopper entitled to the offer of `campaign`?
    #[wasm_bindgen(js_name = checkOffer)]
    pub fn check_offer(
        &self,
        campaign: &str,
        #[wasm_bindgen(unchecked_param_type = "Context")] context: JsValue,
        #[wasm_bindgen(unchecked_param_type = "VisitorState")] state: JsValue,
        now_ms: f64,
    ) -> Result<bool, JsValue> {
        self.with_inputs(&context, &state, |engine, context, state| {
            engine.check_offer(campaign, context, state, now_ms as i64)
        })
    }
}

/// A first-time visitor; `visitorId` should be random (`crypto.randomUUID()`).
#[wasm_bindgen(js_name = newVisitorState, unchecked_return_type = "VisitorState")]
pub fn new_visitor_state(visitor_id: &str, now_ms: f64) -> Result<JsValue, JsValue> {
    from_json(&VisitorState::new(visitor_id, now_ms as i64))
}

/// Validates stored state (version, bounds); throws `state_invalid` if it cannot be used.
#[wasm_bindgen(js_name = parseVisitorState, unchecked_return_type = "VisitorState")]
pub fn parse_visitor_state(json: &str) -> Result<JsValue, JsValue> {
    from_json(&VisitorState::from_json(json.as_bytes()).map_err(IntoJs::into_js)?)
}

/// Counts a page view, starting a new session after 30 idle minutes.
#[wasm_bindgen(js_name = pageView, unchecked_return_type = "VisitorState")]
pub fn page_view(
    #[wasm_bindgen(unchecked_param_type = "VisitorState")] state: JsValue,
    #[wasm_bindgen(unchecked_param_type = "PageViewInfo")] page: JsValue,
    now_ms: f64,
) -> Result<JsValue, JsValue> {
    let page: PageView = if page.is_undefined() || page.is_null() {
        PageView::default()
    } else {
        let json = to_json(&page, "context_invalid", "page")?;
        serde_json::from_str(&json).map_err(|e| js_error("context_invalid", &format!("page: {e}"), None))?
    };
    from_json(&read_state(&state)?.page_view(&page, now_ms as i64))
}

/// Activity without a page view (a click, a cart change) keeps the session alive.
#[wasm_bindgen(unchecked_return_type = "VisitorState")]
pub fn touch(#[wasm_bindgen(unchecked_param_type = "VisitorState")] state: JsValue, now_ms: f64) -> Result<JsValue, JsValue> {
    from_json(&read_state(&state)?.touch(now_ms as i64))
}

/// Stores the registration prompt's answers on the device.
#[wasm_bindgen(unchecked_return_type = "VisitorState")]
pub fn register(
    #[wasm_bindgen(unchecked_param_type = "VisitorState")] state: JsValue,
    interests: Vec<String>,
    now_ms: f64,
) -> Result<JsValue, JsValue> {
    from_json(&read_state(&state)?.register(&interests, now_ms as i64))
}

/// Traps the WebAssembly instance on purpose, as a panic inside the engine would:
/// fault injection for hosts' tests of their recovery (drop the instance, report one
/// error, keep the page's defaults, `reinstantiate()`). Never called by perso itself.
#[wasm_bindgen(js_name = debugTrap)]
pub fn debug_trap() {
    std::process::abort();
}

/// Plain JsonLogic, like json-logic-js's `apply(rule, data)`: any JSON value in,
/// any JSON value out (`null` and `undefined` data are both JSON null).
#[wasm_bindgen(js_name = applyRule)]
pub fn apply_rule(rule: JsValue, data: JsValue) -> Result<JsValue, JsValue> {
    let parse = |value: &JsValue, what: &str| -> Result<serde_json::Value, JsValue> {
        if value.is_undefined() || value.is_null() {
            return Ok(serde_json::Value::Null);
        }
        let json = to_json(value, "rule_invalid", what)?;
        serde_json::from_str(&json).map_err(|e| js_error("rule_invalid", &format!("{what}: {e}"), None))
    };
    let (rule, data) = (parse(&rule, "rule")?, parse(&data, "data")?);
    let result = perso_core::logic::apply(&rule, &data).map_err(IntoJs::into_js)?;
    from_json(&result)
}

/// Verifies a detached signature (see docs/api.md) with the Rust verifier; throws
/// `signature_invalid` naming why. Only in builds with the `verify` feature:
/// browsers and workers use WebCrypto instead.
#[cfg(feature = "verify")]
#[wasm_bindgen(js_name = verifyBundle)]
pub fn verify_bundle(bundle: &[u8], signature_file: &[u8], trusted_keys: &str) -> Result<(), JsValue> {
    use perso_core::signature::{parse_trusted_keys, verify_detached};
    let keys = parse_trusted_keys(trusted_keys).map_err(|e| js_error("signature_invalid", &e.to_string(), None))?;
    verify_detached(bundle, signature_file, &keys).map_err(|e| js_error("signature_invalid", &e.to_string(), None))
}
