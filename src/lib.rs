//! perso's WebAssembly package: a thin facade over `perso-core`, shaped for speed
//! and size at the JavaScript boundary.
//!
//! Nothing crosses as JSON. The host (the JS host kit, `js/src/kit/`) writes a
//! decision's context straight into the engine's input buffer in the slot encoding
//! (`perso_core::context::slots`), calls one function, and reads the decision back
//! from the output buffer as indices plus the computed parts (recommended product
//! indices, a filled greeting); it turns those into the plain objects of a
//! `Decision` with the bundle's host section, parsed once. The visitor state lives
//! in a [`Visitor`] handle and leaves only when the host persists it, in its compact
//! form. Errors are codes and numbers in an error record ([`errors`]); the host kit
//! owns the sentences. So the wasm carries no JSON parser, no float formatting or
//! parsing (JavaScript's own `Number`, `parseFloat` and `String` are installed at
//! start-up) and no `core::fmt` on any path it runs.
//!
//! The `full` feature adds what tools need and shoppers do not: compiling JSON
//! bundles, explain, plain JsonLogic (`applyRule`), the state as JSON ([`full`]).

#![cfg_attr(all(target_arch = "wasm32", not(feature = "std")), no_std)]

extern crate alloc;

mod errors;
#[cfg(feature = "full")]
mod full;
#[cfg(feature = "full")]
pub use full::{apply_rule_json, bundle_warnings, compile_bundle, last_error_message};

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use errors::{fail, Code};
use perso_core::context::slots;
use perso_core::decide::{ComputedOut, Force, Output};
use perso_core::logic::value::Datum;
use perso_core::page::{PageFacts, UrlParts};
use perso_core::state::{PageView, Utm};
use perso_core::VisitorState;
use wasm_bindgen::prelude::*;

/// Without std (the lean wasm), a panic is a trap, as `panic = "abort"` made it
/// before; nothing formats its message, so no `core::fmt` is linked. Hosts already
/// treat a trap as a fault: drop the instance, keep the page's defaults.
#[cfg(all(target_arch = "wasm32", not(feature = "std")))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    core::arch::wasm32::unreachable()
}

#[cfg(all(target_arch = "wasm32", not(feature = "std")))]
#[global_allocator]
static ALLOC: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = include_str!("types.d.ts");

#[cfg(not(feature = "full"))]
#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = Number)]
    fn js_number(text: &str) -> f64;
    #[wasm_bindgen(js_name = parseFloat)]
    fn js_parse_float(text: &str) -> f64;
    #[wasm_bindgen(js_name = String)]
    fn js_string(n: f64) -> String;
}

#[cfg(not(feature = "full"))]
static JS_NUMBERS: perso_core::logic::number::NumberText = perso_core::logic::number::NumberText {
    to_number: js_number,
    parse_float: js_parse_float,
    write: |n, out| out.push_str(&js_string(n)),
};

#[wasm_bindgen(start)]
fn start() {
    #[cfg(not(feature = "full"))]
    perso_core::logic::number::install(&JS_NUMBERS);
    #[cfg(feature = "panic-hook")]
    console_error_panic_hook::set_once();
}

/// The error record of the last call that failed: `[code, a, b, c]` (see
/// `js/src/kit/errors.js` for what each code's fields mean).
#[wasm_bindgen(js_name = lastError)]
pub fn last_error() -> Vec<u32> {
    errors::last().to_vec()
}

/// A loaded bundle, its input buffer (the context a host writes) and its output
/// buffer (the last decision).
#[wasm_bindgen]
pub struct Engine {
    inner: perso_core::Engine,
    input: Vec<u8>,
    output: Output,
    words: Vec<u32>,
    /// Byte results other than decisions (the page context).
    result: Vec<u8>,
    /// A preview link's forced campaign (see [`Engine::force`]); `None` in production.
    force: Option<Force>,
}

fn text_value(value: Option<&Datum<'_>>) -> Option<String> {
    match value {
        Some(Datum::Str(s)) => Some(s.to_string()),
        _ => None,
    }
}

fn str_value<'a>(value: Option<&'a Datum<'a>>) -> &'a str {
    match value {
        Some(Datum::Str(s)) => s,
        _ => "",
    }
}

fn opt_str<'a>(value: Option<&'a Datum<'a>>) -> Option<&'a str> {
    match value {
        Some(Datum::Str(s)) => Some(s),
        _ => None,
    }
}

fn opt_bool(value: Option<&Datum<'_>>) -> Option<bool> {
    match value {
        Some(Datum::Bool(b)) => Some(*b),
        _ => None,
    }
}

fn push_text(out: &mut Vec<u8>, text: Option<&str>) {
    match text {
        Some(t) => {
            out.extend_from_slice(&(t.len() as u32).to_le_bytes());
            out.extend_from_slice(t.as_bytes());
        }
        None => out.extend_from_slice(&u32::MAX.to_le_bytes()),
    }
}

#[wasm_bindgen]
impl Engine {
    /// Loads a compiled bundle (`bundle.bin`). `undefined` on failure: see [`last_error`].
    pub fn load(bytes: &[u8]) -> Option<Engine> {
        match perso_core::Engine::from_compiled(bytes) {
            Ok(inner) => Some(Engine::wrap(inner)),
            Err(error) => {
                errors::binary(error);
                None
            }
        }
    }

    #[wasm_bindgen(getter)]
    pub fn serial(&self) -> f64 {
        self.inner.serial() as f64
    }

    #[wasm_bindgen(getter, js_name = expiresAtMs)]
    pub fn expires_at_ms(&self) -> f64 {
        self.inner.expires_at_ms() as f64
    }

    /// 0 when the bundle may be used; else an error code (rollback, expired) with
    /// its fields in the error record. `last` < 0 or NaN: no serial accepted before.
    #[wasm_bindgen(js_name = checkFreshness)]
    pub fn check_freshness(&self, last: f64, now_ms: f64) -> u32 {
        let last = (last.is_finite() && last >= 0.0).then(|| last.min(perso_core::limits::MAX_SERIAL as f64) as u64);
        if !now_ms.is_finite() {
            return fail(Code::Expired, [0, 0, 0]);
        }
        match self.inner.check_freshness(last, now_ms as i64) {
            Ok(()) => 0,
            Err(error) => errors::freshness(error),
        }
    }

    /// A pointer to `len` bytes of input the host fills before the next call.
    pub fn input(&mut self, len: u32) -> *mut u8 {
        self.input.clear();
        self.input.resize(len as usize, 0);
        self.input.as_mut_ptr()
    }

    /// Decides for `visitor` from the context in the input buffer (`len` bytes, slot
    /// encoding). Returns the number of winners (the output holds them), or -1 when
    /// the context is malformed (see [`last_error`]).
    pub fn decide(&mut self, visitor: &Visitor, len: u32, now_ms: f64) -> i32 {
        let bytes = self.input.get(..len as usize).unwrap_or(&[]);
        let context = match self.inner.read_slots(bytes) {
            Ok(context) => context,
            Err(error) => return errors::context(error, &self.inner),
        };
        self.inner.decide_forced_into(&context, &visitor.state, now_ms as i64, self.force, &mut self.output);
        self.encode_output();
        self.output.winners.len() as i32
    }

    /// Makes every later [`Engine::decide`] show campaign `campaign` (an index) in its
    /// placement whatever its rules say, with variant `variant` (`u32::MAX`: the
    /// visitor's own); consent still applies (`perso_core::decide::Force`). A preview
    /// link's QA view; `campaign` = `u32::MAX` (or one the bundle lacks) forces nothing.
    pub fn force(&mut self, campaign: u32, variant: u32) {
        self.force =
            self.inner.program().campaign(campaign).map(|_| Force { campaign, variant: u16::try_from(variant).ok() });
    }

    /// The last decision as words: winner count, then per winner `placement,
    /// campaign, variant (u32::MAX: none), computed kind (0 nothing, 1 recommend,
    /// 2 welcome), start, len`; then the holdouts (count, campaign indices); then the
    /// campaigns over budget (count, indices); then the global holdout (0 none,
    /// 1 held out, 2 personalized).
    #[wasm_bindgen(js_name = outputWords)]
    pub fn output_words(&self) -> *const u32 {
        self.words.as_ptr()
    }

    #[wasm_bindgen(js_name = outputLength)]
    pub fn output_length(&self) -> u32 {
        self.words.len() as u32
    }

    /// Computed text (greetings) of the last decision, as UTF-8.
    #[wasm_bindgen(js_name = outputText)]
    pub fn output_text(&self) -> *const u8 {
        self.output.text.as_ptr()
    }

    #[wasm_bindgen(js_name = outputTextLength)]
    pub fn output_text_length(&self) -> u32 {
        self.output.text.len() as u32
    }

    /// When a campaign held back only by time may become eligible (NaN: never).
    #[wasm_bindgen(js_name = recheckAtMs)]
    pub fn recheck_at_ms(&self) -> f64 {
        self.output.recheck_at_ms.map_or(f64::NAN, |t| t as f64)
    }

    fn encode_output(&mut self) {
        let out = &self.output;
        let words = &mut self.words;
        words.clear();
        words.push(out.winners.len() as u32);
        for winner in &out.winners {
            let (kind, start, len) = match winner.computed {
                ComputedOut::Nothing => (0, 0, 0),
                ComputedOut::Recommend { start, len } => (1, start, len),
                ComputedOut::Welcome { start, len } => (2, start, len),
            };
            words.extend_from_slice(&[
                u32::from(winner.placement),
                winner.campaign,
                winner.variant.map_or(u32::MAX, u32::from),
                kind,
                start,
                len,
            ]);
        }
        words.push(out.holdouts.len() as u32);
        words.extend_from_slice(&out.holdouts);
        words.push(out.over_budget.len() as u32);
        words.extend_from_slice(&out.over_budget);
        words.push(match out.global_holdout {
            None => 0,
            Some(true) => 1,
            Some(false) => 2,
        });
        words.push(out.picks.len() as u32);
        words.extend_from_slice(&out.picks);
    }

    /// The checkout's re-check of an offer against the context in the input buffer:
    /// 1 eligible, 0 not, -1 malformed context.
    #[wasm_bindgen(js_name = checkOffer)]
    pub fn check_offer(&mut self, campaign: u32, visitor: &Visitor, len: u32, now_ms: f64) -> i32 {
        let bytes = self.input.get(..len as usize).unwrap_or(&[]);
        match self.inner.read_slots(bytes) {
            Ok(context) => i32::from(self.inner.check_offer_index(campaign, &context, &visitor.state, now_ms as i64)),
            Err(error) => errors::context(error, &self.inner),
        }
    }

    /// Normalizes page facts (input buffer: the values of `perso_core::page`'s facts
    /// in order, see the host kit) into the page context, written as length-prefixed
    /// texts to the output text (u32::MAX: absent): url, path, type, referrer,
    /// referrer host, the five UTM values, device type, language. Returns its length,
    /// or -1 when the facts are malformed.
    #[wasm_bindgen(js_name = pageContext)]
    pub fn page_context(&mut self, len: u32) -> i32 {
        let bytes = self.input.get(..len as usize).unwrap_or(&[]);
        let values = match slots::read_values(bytes) {
            Ok(values) => values,
            Err(error) => return errors::context(error, &self.inner),
        };
        let v = |i: usize| values.get(i);
        let url = UrlParts {
            protocol: str_value(v(0)),
            hostname: str_value(v(1)),
            origin: str_value(v(2)),
            pathname: str_value(v(3)),
            search: str_value(v(4)),
        };
        let referrer = opt_str(v(5)).map(|protocol| UrlParts {
            protocol,
            hostname: str_value(v(6)),
            origin: str_value(v(7)),
            pathname: str_value(v(8)),
            search: "",
        });
        let facts = PageFacts {
            url,
            referrer,
            declared_type: opt_str(v(9)),
            mobile_hint: opt_bool(v(10)),
            user_agent: opt_str(v(11)),
            coarse_pointer: opt_bool(v(12)),
            screen_short_side: match v(13) {
                Some(Datum::Num(n)) if *n >= 0.0 => Some(*n as u32),
                _ => None,
            },
            language: opt_str(v(14)),
        };
        let page = perso_core::page::normalize(&facts, &self.inner.program().page_types);
        let out = &mut self.result;
        out.clear();
        push_text(out, Some(&page.url));
        push_text(out, Some(&page.path));
        push_text(out, Some(&page.page_type));
        push_text(out, page.referrer.as_deref());
        push_text(out, page.referrer_host.as_deref());
        let utm = &page.utm;
        for field in [&utm.source, &utm.medium, &utm.campaign, &utm.term, &utm.content] {
            push_text(out, field.as_deref());
        }
        push_text(out, page.device_type);
        push_text(out, page.language.as_deref());
        out.len() as i32
    }

    /// Where [`Engine::page_context`] wrote its result.
    #[wasm_bindgen(js_name = resultBytes)]
    pub fn result_bytes(&self) -> *const u8 {
        self.result.as_ptr()
    }

    /// A page view: referrer host and UTM from the input buffer (six values: the
    /// page context's `referrer_host` and UTM fields, strings or null).
    #[wasm_bindgen(js_name = pageView)]
    pub fn page_view(&mut self, visitor: &mut Visitor, len: u32, now_ms: f64) -> i32 {
        let bytes = self.input.get(..len as usize).unwrap_or(&[]);
        let values = match slots::read_values(bytes) {
            Ok(values) => values,
            Err(error) => return errors::context(error, &self.inner),
        };
        let v = |i: usize| text_value(values.get(i));
        let page = PageView {
            referrer_host: v(0),
            utm: Utm { source: v(1), medium: v(2), campaign: v(3), term: v(4), content: v(5) },
        };
        let state = core::mem::replace(&mut visitor.state, VisitorState::new("", 0));
        visitor.state = self.inner.page_view(state, &page, now_ms as i64);
        0
    }

    #[wasm_bindgen(js_name = recordImpression)]
    pub fn record_impression(&self, visitor: &mut Visitor, campaign: u32, now_ms: f64) {
        visitor.update(|state| self.inner.record_impression(state, campaign, now_ms as i64));
    }

    #[wasm_bindgen(js_name = recordDismissal)]
    pub fn record_dismissal(&self, visitor: &mut Visitor, campaign: u32, now_ms: f64) {
        visitor.update(|state| self.inner.record_dismissal(state, campaign, now_ms as i64));
    }

    #[wasm_bindgen(js_name = recordClick)]
    pub fn record_click(&self, visitor: &mut Visitor, campaign: u32, now_ms: f64) {
        visitor.update(|state| self.inner.record_click(state, campaign, now_ms as i64));
    }

    /// Registration answers (input buffer: strings), kept only where the bundle's
    /// questions offer them.
    pub fn register(&mut self, visitor: &mut Visitor, len: u32, now_ms: f64) -> i32 {
        let bytes = self.input.get(..len as usize).unwrap_or(&[]);
        let answers: Vec<String> = match slots::read_values(bytes) {
            Ok(values) => values.iter().filter_map(|v| text_value(Some(v))).collect(),
            Err(error) => return errors::context(error, &self.inner),
        };
        visitor.update(|state| self.inner.register(state, &answers, now_ms as i64));
        0
    }

    /// Applies events the browser reported to the edge (input buffer: per event
    /// `kind` (0 impression, 1 dismissal, 2 click, 3 register), `at` (ms), then the
    /// campaign index, or for a registration the list of answers). Returns the new
    /// watermark (never past `now_ms`), or NaN when the events are malformed.
    #[wasm_bindgen(js_name = applyClientEvents)]
    pub fn apply_client_events(&mut self, visitor: &mut Visitor, len: u32, acked_ms: f64, now_ms: f64) -> f64 {
        use perso_core::ClientEvent;
        let bytes = self.input.get(..len as usize).unwrap_or(&[]);
        let Ok(values) = slots::read_values(bytes) else { return f64::NAN };
        let mut events = Vec::with_capacity(values.len() / 3);
        for chunk in values.chunks(3) {
            let (Some(Datum::Num(kind)), Some(Datum::Num(at))) = (chunk.first(), chunk.get(1)) else { return f64::NAN };
            if !at.is_finite() {
                continue;
            }
            let campaign = match chunk.get(2) {
                Some(Datum::Num(c)) if *c >= 0.0 => *c as u32,
                _ => u32::MAX,
            };
            let event = match *kind as u32 {
                0 => ClientEvent::Impression { campaign },
                1 => ClientEvent::Dismissal { campaign },
                2 => ClientEvent::Click { campaign },
                3 => ClientEvent::Register {
                    answers: match chunk.get(2) {
                        Some(Datum::List(items)) => items.iter().filter_map(|i| text_value(Some(i))).collect(),
                        _ => Vec::new(),
                    },
                },
                _ => continue,
            };
            events.push((*at as i64, event));
        }
        let acked = if acked_ms.is_finite() { acked_ms as i64 } else { 0 };
        let state = core::mem::replace(&mut visitor.state, VisitorState::new("", 0));
        let (state, watermark) = self.inner.apply_client_events(state, &mut events, acked, now_ms as i64);
        visitor.state = state;
        watermark as f64
    }
}

/// Rust-side access for tests and Rust hosts (not exported to JavaScript).
impl Engine {
    fn wrap(inner: perso_core::Engine) -> Engine {
        Engine {
            inner,
            input: Vec::new(),
            output: Output::default(),
            words: Vec::new(),
            result: Vec::new(),
            force: None,
        }
    }

    /// The input buffer, `len` bytes long, to write a context or an argument list into.
    pub fn input_bytes(&mut self, len: usize) -> &mut [u8] {
        self.input.clear();
        self.input.resize(len, 0);
        &mut self.input
    }

    /// The last decision's output words (see [`Engine::output_words`]).
    pub fn words(&self) -> &[u32] {
        &self.words
    }

    /// The last decision's computed text (greetings).
    pub fn text(&self) -> &str {
        &self.output.text
    }
}

/// One visitor's state, held in the engine's memory between calls.
#[wasm_bindgen]
pub struct Visitor {
    state: VisitorState,
}

impl Visitor {
    fn update(&mut self, f: impl FnOnce(VisitorState) -> VisitorState) {
        let state = core::mem::replace(&mut self.state, VisitorState::new("", 0));
        self.state = f(state);
    }
}

#[wasm_bindgen]
impl Visitor {
    /// A first-time visitor; `id` should be random (`crypto.randomUUID()`).
    pub fn fresh(id: &str, now_ms: f64) -> Visitor {
        Visitor { state: VisitorState::new(id, now_ms as i64) }
    }

    /// A stored state (compact form); `undefined` when unusable (see [`last_error`]).
    #[wasm_bindgen(js_name = fromBytes)]
    pub fn from_bytes(bytes: &[u8]) -> Option<Visitor> {
        match VisitorState::from_bytes(bytes) {
            Ok(state) => Some(Visitor { state }),
            Err(error) => {
                errors::state(error);
                None
            }
        }
    }

    /// The compact form within `budget` bytes (campaign records dropped as needed),
    /// or `undefined` if it cannot fit.
    #[wasm_bindgen(js_name = toBytes)]
    pub fn to_bytes(&self, budget: u32) -> Option<Vec<u8>> {
        self.state.to_bytes_within(budget as usize)
    }

    /// Activity without a page view (a click, a cart change) keeps the session alive.
    pub fn touch(&mut self, now_ms: f64) {
        self.update(|state| state.touch(now_ms as i64));
    }

    #[wasm_bindgen(getter, js_name = sessionStartMs)]
    pub fn session_start_ms(&self) -> f64 {
        self.state.session.start_ms as f64
    }
}

/// The one URL rule (`perso_core::url`): whether a link or image address may be rendered.
#[wasm_bindgen(js_name = safeUrl)]
pub fn safe_url(url: &str) -> bool {
    perso_core::url::safe_url(url)
}

/// A limit of `perso_core::limits` by name (the host kit checks its copies against these).
#[wasm_bindgen]
pub fn limit(name: &str) -> f64 {
    use perso_core::limits::*;
    (match name {
        "MAX_BUNDLE_BYTES" => MAX_BUNDLE_BYTES,
        "MAX_CONTEXT_LIST" => MAX_CONTEXT_LIST,
        "MAX_CONTEXT_TEXT" => MAX_CONTEXT_TEXT,
        "MAX_CART_LINES" => MAX_CART_LINES,
        "MAX_UTM_TEXT" => MAX_UTM_TEXT,
        "MAX_INTERESTS" => MAX_INTERESTS,
        "MAX_STATE_TEXT" => MAX_STATE_TEXT,
        "MAX_SERIAL" => return MAX_SERIAL as f64,
        _ => return f64::NAN,
    }) as f64
}

/// Traps the WebAssembly instance on purpose, as a panic inside the engine would:
/// fault injection for hosts' tests of their recovery (drop the instance, report one
/// error, keep the page's defaults, reinstantiate). Never called by perso itself.
#[wasm_bindgen(js_name = debugTrap)]
pub fn debug_trap() {
    #[cfg(target_arch = "wasm32")]
    core::arch::wasm32::unreachable();
    #[cfg(not(target_arch = "wasm32"))]
    std::process::abort();
}
