//! The one place engine errors become JavaScript `Error` objects: `message` (a
//! sentence starting with the JSON path, for people), `code` and `path` (for
//! programs), and `errors` (every problem, for bundles).

use js_sys::{Array, Error, Object, Reflect};
use perso_core::state::StateError;
use perso_core::{BundleError, ContextError, FreshnessError};
use wasm_bindgen::JsValue;

pub fn js_error(code: &str, message: &str, path: Option<&str>) -> JsValue {
    let error = Error::new(message);
    set(&error, "code", &JsValue::from_str(code));
    set(&error, "path", &path.map_or(JsValue::NULL, JsValue::from_str));
    error.into()
}

fn set(target: &Object, key: &str, value: &JsValue) {
    // Setting a property on a fresh Error object cannot fail.
    let _ = Reflect::set(target, &JsValue::from_str(key), value);
}

pub trait IntoJs {
    fn into_js(self) -> JsValue;
}

impl IntoJs for BundleError {
    fn into_js(self) -> JsValue {
        let code = match &self {
            BundleError::TooLarge { .. } => "bundle_too_large",
            BundleError::Json { .. } => "bundle_json",
            BundleError::UnsupportedVersion { .. } => "bundle_version",
            BundleError::Invalid(_) => "bundle_invalid",
        };
        let error = js_error(code, &format!("Invalid bundle: {self}"), self.path());
        let list = Array::new();
        for issue in self.issues() {
            let entry = Object::new();
            set(&entry, "path", &JsValue::from_str(&issue.path));
            set(&entry, "message", &JsValue::from_str(&issue.problem.to_string()));
            list.push(&entry);
        }
        set(error.unchecked_ref(), "errors", &list);
        error
    }
}

impl IntoJs for ContextError {
    fn into_js(self) -> JsValue {
        let path = match &self {
            ContextError::WrongType { path, .. } => Some(format!("context.{path}")),
            _ => None,
        };
        js_error("context_invalid", &self.to_string(), path.as_deref())
    }
}

impl IntoJs for StateError {
    fn into_js(self) -> JsValue {
        js_error("state_invalid", &self.to_string(), None)
    }
}

impl IntoJs for FreshnessError {
    fn into_js(self) -> JsValue {
        let code = match self {
            FreshnessError::Rollback { .. } => "rollback",
            FreshnessError::Expired { .. } => "expired",
        };
        js_error(code, &self.to_string(), None)
    }
}

impl IntoJs for perso_core::logic::LogicError {
    fn into_js(self) -> JsValue {
        js_error("rule_invalid", &self.to_string(), Some(&self.path))
    }
}

use wasm_bindgen::JsCast;
