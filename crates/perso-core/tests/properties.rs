//! Property tests: whatever a hostile page, a careless store or a corrupted cache
//! hands the engine, it answers (a value or an error naming what is wrong) and
//! never panics, hangs or disagrees with itself.
//!
//! - `logic::apply` on random json-logic rules over random data, deep and wide
//!   iterators included;
//! - `Engine::from_bundle` on the default bundle with a random part replaced;
//!   every bundle it accepts decides, and decides the same from its compiled form;
//! - `Engine::from_compiled` on the compiled default bundle with random bytes
//!   changed, inserted, dropped or cut off;
//! - context reading on random contexts, state reading (`VisitorState::from_json`
//!   and the compact form) on random input, and `apply_client_events` on random
//!   events and clocks.
//!
//! `PERSO_PROPERTY_SCALE` multiplies every count. A plain `cargo test` runs 5% of
//! them (about 6,500 cases, in debug); CI runs them all, about 130,000 cases, in
//! the `checked` profile (optimized, with overflow checks and debug assertions):
//! `PERSO_PROPERTY_SCALE=1 cargo test --profile checked -p perso-core --test properties`.
//! The documented long run is `PERSO_PROPERTY_SCALE=10` (about 1.3 million).

use perso_core::state::PageView;
use perso_core::{ClientEvent, Engine, VisitorState};
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence};
use serde_json::{json, Map, Value};
use std::sync::OnceLock;

const NOW_MS: i64 = 1_795_600_800_000;

fn config(cases: u32) -> Config {
    let scale: f64 = std::env::var("PERSO_PROPERTY_SCALE").ok().and_then(|s| s.parse().ok()).unwrap_or(0.05);
    Config {
        cases: (f64::from(cases) * scale).clamp(1.0, f64::from(u32::MAX)) as u32,
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("regressions"))),
        ..Config::default()
    }
}

fn default_bundle() -> &'static Value {
    static BUNDLE: OnceLock<Value> = OnceLock::new();
    BUNDLE.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../www/bundle.json");
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{path}: {e}"))
    })
}

fn default_engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let bytes = serde_json::to_vec(default_bundle()).unwrap_or_default();
        Engine::from_bundle(&bytes).unwrap_or_else(|e| panic!("default bundle: {e}"))
    })
}

fn compiled_default() -> &'static [u8] {
    static COMPILED: OnceLock<Vec<u8>> = OnceLock::new();
    COMPILED.get_or_init(|| default_engine().to_compiled())
}

/// Context paths the default bundle reads, plus a few it does not.
const PATHS: &[&str] = &[
    "cart.total",
    "cart.items",
    "cart.count",
    "customer.known",
    "customer.tier",
    "customer.ltv_band",
    "customer.rfm.score",
    "session.entry_referrer_host",
    "session.entry_utm.source",
    "session.pages",
    "session.seconds_on_site",
    "page.type",
    "page.path",
    "visitor.interests",
    "device.type",
    "custom.flag",
    "",
    "a.b.c",
    "0",
];

const OPERATORS: &[&str] = &[
    "var",
    "missing",
    "missing_some",
    "if",
    "?:",
    "and",
    "or",
    "!",
    "!!",
    "==",
    "===",
    "!=",
    "!==",
    "<",
    "<=",
    ">",
    ">=",
    "in",
    "cat",
    "substr",
    "+",
    "-",
    "*",
    "/",
    "%",
    "min",
    "max",
    "merge",
    "map",
    "filter",
    "all",
    "none",
    "some",
    "reduce",
    "starts_with",
    "ends_with",
    "log",
    "method",
    "preserve",
    "unknown_op",
];

fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        (-5i64..5).prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        prop::sample::select(vec![
            0.5,
            -0.0,
            1e300,
            -1e300,
            1e-300,
            9_007_199_254_740_993.0,
            f64::MAX,
            f64::MIN_POSITIVE,
            2.5e15,
            0.1,
        ])
        .prop_map(|f| json!(f)),
        any::<f64>().prop_filter("JSON has no NaN or infinity", |f| f.is_finite()).prop_map(|f| json!(f)),
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(PATHS).prop_map(str::to_owned),
        prop::sample::select(OPERATORS).prop_map(str::to_owned),
        "[a-z.]{0,12}",
        any::<String>(),
        prop::sample::select(vec!["gadgets.com", "high", "top", "audio", "vip", "home", "product", "javascript:x"])
            .prop_map(str::to_owned),
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![Just(Value::Null), any::<bool>().prop_map(Value::Bool), number(), text().prop_map(Value::String),]
}

/// Any JSON, nested up to a few levels.
fn any_json() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((text(), inner), 0..5)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

/// JSON shaped like json-logic: operators over operands, literal lists of up to
/// `wide` items, and reducers whose accumulator doubles.
fn rule() -> impl Strategy<Value = Value> {
    rule_of(12)
}

fn rule_of(wide: usize) -> impl Strategy<Value = Value> {
    let var = prop::sample::select(PATHS).prop_map(|p| json!({ "var": p }));
    let scoped = prop::sample::select(vec!["", "current", "accumulator", "0"]).prop_map(|p| json!({ "var": p }));
    let wide = (0usize..wide, leaf()).prop_map(|(n, item)| Value::Array(vec![item; n]));
    let base = prop_oneof![3 => leaf(), 2 => var, 1 => scoped, 1 => wide];
    base.prop_recursive(6, 64, 4, |inner| {
        prop_oneof![
            4 => (prop::sample::select(OPERATORS), prop::collection::vec(inner.clone(), 0..4))
                .prop_map(|(op, args)| json!({ op: args })),
            1 => (prop::sample::select(OPERATORS), inner.clone()).prop_map(|(op, arg)| json!({ op: arg })),
            1 => (prop::sample::select(vec!["map", "all", "some", "filter", "none"]), inner.clone(), inner.clone())
                .prop_map(|(op, list, body)| json!({ op: [list, body] })),
            1 => (inner.clone(), prop::sample::select(vec!["cat", "merge", "+", "*"]), inner.clone())
                .prop_map(|(list, op, initial)| json!({
                    "reduce": [list, { op: [{ "var": "accumulator" }, { "var": "accumulator" }] }, initial]
                })),
            1 => prop::collection::vec(inner, 0..4).prop_map(Value::Array),
        ]
    })
}

/// Data for rules and contexts: objects keyed by the paths the rules read.
fn data() -> impl Strategy<Value = Value> {
    prop::collection::vec((prop::sample::select(PATHS), any_json()), 0..8).prop_map(|entries| {
        let mut root = Value::Object(Map::new());
        for (path, value) in entries {
            set_path(&mut root, path, value);
        }
        root
    })
}

fn set_path(root: &mut Value, path: &str, value: Value) {
    let mut at = root;
    let parts: Vec<&str> = path.split('.').collect();
    for (i, part) in parts.iter().enumerate() {
        if !at.is_object() {
            *at = Value::Object(Map::new());
        }
        let Value::Object(map) = at else { return };
        if i + 1 == parts.len() {
            map.insert((*part).to_owned(), value);
            return;
        }
        at = map.entry((*part).to_owned()).or_insert_with(|| Value::Object(Map::new()));
    }
}

/// Every JSON pointer into `value`, so a mutation can land anywhere.
fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let child = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                out.push(child.clone());
                pointers(v, child, out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                let child = format!("{at}/{i}");
                out.push(child.clone());
                pointers(v, child, out);
            }
        }
        _ => {}
    }
}

fn bundle_pointers() -> &'static [String] {
    static POINTERS: OnceLock<Vec<String>> = OnceLock::new();
    POINTERS.get_or_init(|| {
        let mut out = Vec::new();
        pointers(default_bundle(), String::new(), &mut out);
        out
    })
}

#[derive(Debug, Clone)]
enum Edit {
    Replace(usize, Value),
    Remove(usize),
}

fn apply_edit(bundle: &mut Value, edit: &Edit) {
    let all = bundle_pointers();
    match edit {
        Edit::Replace(i, value) => {
            if let Some(target) = all.get(i % all.len()).and_then(|p| bundle.pointer_mut(p)) {
                *target = value.clone();
            }
        }
        Edit::Remove(i) => {
            let Some(pointer) = all.get(i % all.len()) else { return };
            let Some((parent, key)) = pointer.rsplit_once('/') else { return };
            match bundle.pointer_mut(parent) {
                Some(Value::Object(map)) => {
                    map.remove(&key.replace("~1", "/").replace("~0", "~"));
                }
                Some(Value::Array(items)) => {
                    if let Ok(index) = key.parse::<usize>() {
                        if index < items.len() {
                            items.remove(index);
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        3 => (any::<usize>(), prop_oneof![any_json(), rule()]).prop_map(|(i, v)| Edit::Replace(i, v)),
        1 => any::<usize>().prop_map(Edit::Remove),
    ]
}

/// A context like the hosts write (the scenario vectors' shape), with random parts.
fn context() -> impl Strategy<Value = Value> {
    let base = json!({
        "cart": { "items": [{ "sku": "GZ-HEADPHONES", "category": "audio", "price": 99.0, "quantity": 1 }], "total": 99.0 },
        "consent": { "gpc": false, "personalization": true },
        "device": { "type": "desktop" },
        "page": { "type": "cart", "path": "/cart" },
        "customer": { "known": true, "tier": "gold", "ltv_band": "high", "rfm": { "score": 12 } }
    });
    prop_oneof![
        1 => any_json(),
        2 => data(),
        3 => prop::collection::vec((prop::sample::select(PATHS), any_json()), 0..4).prop_map(move |edits| {
            let mut context = base.clone();
            for (path, value) in edits {
                set_path(&mut context, path, value);
            }
            context
        }),
    ]
}

fn state() -> impl Strategy<Value = VisitorState> {
    (any::<i64>(), prop::collection::vec((0u32..40, any::<i64>(), 0u8..4), 0..12), text()).prop_map(
        |(start, events, referrer)| {
            let engine = default_engine();
            let mut state = VisitorState::new("visitor-1", start.clamp(0, NOW_MS));
            state = state.page_view(&PageView { referrer_host: Some(referrer), ..PageView::default() }, start);
            for (campaign, at, kind) in events {
                state = match kind {
                    0 => engine.record_impression(state, campaign, at),
                    1 => engine.record_dismissal(state, campaign, at),
                    2 => engine.record_click(state, campaign, at),
                    _ => engine.register(state, &["audio".to_owned(), "gaming".to_owned()], at),
                };
            }
            state
        },
    )
}

fn decision_json(engine: &Engine, context: &Value, state: &VisitorState) -> Option<String> {
    let context = engine.read_context_value(context).ok()?;
    let decision = engine.decide(&context, state, NOW_MS);
    Some(serde_json::to_string(&decision).unwrap_or_default())
}

#[derive(Debug, Clone)]
enum ByteEdit {
    Set(usize, u8),
    Insert(usize, u8),
    Remove(usize),
    Truncate(usize),
}

fn byte_edits() -> impl Strategy<Value = Vec<ByteEdit>> {
    let one = prop_oneof![
        4 => (any::<usize>(), any::<u8>()).prop_map(|(i, b)| ByteEdit::Set(i, b)),
        2 => (any::<usize>(), prop::sample::select(vec![0u8, 1, 0x7f, 0x80, 0xff])).prop_map(|(i, b)| ByteEdit::Set(i, b)),
        1 => (any::<usize>(), any::<u8>()).prop_map(|(i, b)| ByteEdit::Insert(i, b)),
        1 => any::<usize>().prop_map(ByteEdit::Remove),
        1 => any::<usize>().prop_map(ByteEdit::Truncate),
    ];
    prop::collection::vec(one, 1..4)
}

fn apply_byte_edits(mut bytes: Vec<u8>, edits: &[ByteEdit]) -> Vec<u8> {
    for edit in edits {
        let len = bytes.len().max(1);
        match *edit {
            ByteEdit::Set(i, b) => {
                if let Some(at) = bytes.get_mut(i % len) {
                    *at = b;
                }
            }
            ByteEdit::Insert(i, b) => bytes.insert(i % (bytes.len() + 1), b),
            ByteEdit::Remove(i) => {
                if !bytes.is_empty() {
                    bytes.remove(i % len);
                }
            }
            ByteEdit::Truncate(i) => bytes.truncate(i % len),
        }
    }
    bytes
}

proptest! {
    #![proptest_config(config(40_000))]

    #[test]
    fn logic_apply_answers_every_rule(rule in rule(), data in data()) {
        // Ok or a named error; never a panic, and bounded by the apply budget.
        let _ = perso_core::logic::apply(&rule, &data);
    }
}

/// Three iterators deep over literal lists of hundreds, and reducers doubling
/// their accumulator: each runs into the apply budget, which must stop it with
/// the budget's error rather than let it run for seconds or take gigabytes.
fn heavy_rule() -> impl Strategy<Value = Value> {
    // None of the three stops early, so the work is the product of the lengths
    // (`all`/`some`/`none` may stop at their first answer and are left out).
    let list = (250usize..400).prop_map(|n| Value::Array((0..n).map(Value::from).collect()));
    let op = prop::sample::select(vec!["map", "filter"]);
    prop_oneof![
        (list.clone(), op.clone(), op.clone(), op).prop_map(|(list, a, b, c)| json!({
            a: [list, { b: [list, { c: [list, { "==": [{ "var": "" }, -1] }] }] }]
        })),
        (prop::sample::select(vec!["cat", "merge"]), any::<bool>(), 40usize..80).prop_map(|(op, string, n)| json!({
            "reduce": [
                Value::Array((0..n).map(Value::from).collect()),
                { op: [{ "var": "accumulator" }, { "var": "accumulator" }] },
                if string { json!("ab") } else { json!([1, 2]) }
            ]
        })),
    ]
}

proptest! {
    #![proptest_config(config(60))]

    #[test]
    fn heavy_rules_stop_at_the_budget(rule in heavy_rule()) {
        let answer = perso_core::logic::apply(&rule, &json!({}));
        let stopped = matches!(&answer, Err(e) if matches!(e.problem, perso_core::logic::LogicProblem::OverBudget { .. }));
        prop_assert!(stopped, "{} ran to the end", rule.to_string().get(..120).unwrap_or_default());
    }
}

proptest! {
    #![proptest_config(config(15_000))]

    #[test]
    fn bundles_with_a_random_part_load_or_name_the_fault(edits in prop::collection::vec(edit(), 1..3), context in context()) {
        let mut bundle = default_bundle().clone();
        for edit in &edits {
            apply_edit(&mut bundle, edit);
        }
        let bytes = serde_json::to_vec(&bundle).unwrap_or_default();
        match Engine::from_bundle(&bytes) {
            Err(error) => prop_assert!(!error.to_string().is_empty()),
            Ok(engine) => {
                let state = VisitorState::new("visitor-1", NOW_MS - 60_000);
                let direct = decision_json(&engine, &context, &state);
                let reloaded = Engine::from_compiled(&engine.to_compiled());
                prop_assert!(reloaded.is_ok(), "its own compiled form refused: {:?}", reloaded.err());
                let reloaded = reloaded.unwrap_or_else(|_| unreachable!());
                prop_assert_eq!(direct, decision_json(&reloaded, &context, &state));
            }
        }
    }
}

proptest! {
    #![proptest_config(config(25_000))]

    #[test]
    fn compiled_bundles_with_bytes_changed_load_or_are_refused(edits in byte_edits(), context in context()) {
        let bytes = apply_byte_edits(compiled_default().to_vec(), &edits);
        if let Ok(engine) = Engine::from_compiled(&bytes) {
            // What loads must decide (within its budgets) without a panic.
            let state = VisitorState::new("visitor-1", NOW_MS - 60_000);
            if let Ok(read) = engine.read_context_value(&context) {
                let mut out = perso_core::decide::Output::default();
                engine.decide_into(&read, &state, NOW_MS, &mut out);
                for winner in &out.winners {
                    prop_assert!((winner.campaign as usize) < engine.program().campaigns.len());
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(config(25_000))]

    #[test]
    fn contexts_are_read_or_refused_by_name(context in context(), state in state()) {
        let engine = default_engine();
        match engine.read_context_value(&context) {
            Err(error) => prop_assert!(!error.to_string().is_empty()),
            Ok(read) => {
                let decision = engine.decide(&read, &state, NOW_MS);
                let _ = engine.explain(&read, &state, NOW_MS);
                // The same context as bytes reads the same.
                let bytes = serde_json::to_vec(&context).unwrap_or_default();
                let again = engine.read_context(&bytes).map(|c| engine.decide(&c, &state, NOW_MS));
                prop_assert!(again.is_ok());
                prop_assert_eq!(
                    serde_json::to_string(&decision).unwrap_or_default(),
                    serde_json::to_string(&again.unwrap_or_else(|_| unreachable!())).unwrap_or_default()
                );
            }
        }
    }
}

proptest! {
    #![proptest_config(config(15_000))]

    #[test]
    fn states_are_read_or_refused(json in any_json(), bytes in prop::collection::vec(any::<u8>(), 0..200), state in state(), cut in any::<usize>()) {
        if let Ok(text) = serde_json::to_vec(&json) {
            let _ = VisitorState::from_json(&text);
        }
        let _ = VisitorState::from_bytes(&bytes);
        // A real state survives both forms; a cut compact form is refused or reads.
        let compact = state.to_bytes();
        prop_assert_eq!(VisitorState::from_bytes(&compact).ok(), Some(state.clone()));
        prop_assert_eq!(VisitorState::from_json(state.to_json().as_bytes()).ok(), Some(state.clone()));
        let _ = VisitorState::from_bytes(compact.get(..cut % (compact.len() + 1)).unwrap_or_default());
        if let Some(trimmed) = state.to_bytes_within(cut % 600) {
            prop_assert!(trimmed.len() <= cut % 600);
            prop_assert!(VisitorState::from_bytes(&trimmed).is_ok());
        }
    }
}

fn client_event() -> impl Strategy<Value = (i64, ClientEvent)> {
    let event = prop_oneof![
        (0u32..40).prop_map(|campaign| ClientEvent::Impression { campaign }),
        (0u32..40).prop_map(|campaign| ClientEvent::Dismissal { campaign }),
        (0u32..40).prop_map(|campaign| ClientEvent::Click { campaign }),
        prop::collection::vec(text(), 0..4).prop_map(|answers| ClientEvent::Register { answers }),
    ];
    (prop_oneof![any::<i64>(), (NOW_MS - 100_000)..(NOW_MS + 100_000)], event)
}

proptest! {
    #![proptest_config(config(10_000))]

    #[test]
    fn client_events_never_move_the_clock_past_the_request(
        state in state(),
        mut events in prop::collection::vec(client_event(), 0..16),
        acked in prop_oneof![any::<i64>(), (NOW_MS - 100_000)..NOW_MS],
    ) {
        let before = state.clone();
        let (after, watermark) = default_engine().apply_client_events(state, &mut events, acked, NOW_MS);
        prop_assert!(watermark <= NOW_MS);
        prop_assert!(watermark >= acked.min(NOW_MS));
        // Nothing the browser reports is recorded later than the request's clock.
        let latest_before = before
            .campaigns
            .iter()
            .flat_map(|c| [c.last_ms, c.dismissed_ms.unwrap_or(i64::MIN)])
            .max()
            .unwrap_or(i64::MIN);
        for record in &after.campaigns {
            prop_assert!(record.last_ms <= NOW_MS.max(latest_before), "{record:?} after {NOW_MS}");
            if let Some(dismissed) = record.dismissed_ms {
                prop_assert!(dismissed <= NOW_MS.max(latest_before));
            }
        }
    }
}
