//! Bad bundles: each row breaks the default Gizmos bundle in one way and names the
//! JSON path and the words of the error a marketer should see. Loading must never
//! panic, and every problem in a bundle is reported, not just the first.

use perso_core::{BundleError, Engine, Limits};
use serde_json::{json, Value};

fn default_bundle() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../www/bundle.json");
    serde_json::from_slice(&std::fs::read(path).unwrap_or_else(|e| panic!("{e}"))).unwrap_or_else(|e| panic!("{e}"))
}

fn load(bundle: &Value) -> Result<Engine, BundleError> {
    Engine::from_bundle(&serde_json::to_vec(bundle).unwrap_or_default())
}

type Edit = fn(&mut Value);

#[test]
fn each_problem_is_named_with_its_path() {
    let cases: &[(&str, Edit, &str, &str)] = &[
        (
            "unknown placement",
            |b| b["campaigns"][1]["placement"] = json!("sidebar"),
            "campaigns[1].placement",
            "unknown placement \"sidebar\"",
        ),
        (
            "duplicate campaign id",
            |b| b["campaigns"][2]["id"] = json!("aff-hero"),
            "campaigns[2].id",
            "duplicate campaign id \"aff-hero\"",
        ),
        (
            "duplicate placement",
            |b| b["placements"][1]["id"] = json!("greeting"),
            "placements[1].id",
            "duplicate placement id",
        ),
        (
            "unknown segment",
            |b| b["campaigns"][1]["segments"] = json!(["from_gadget"]),
            "campaigns[1].segments[0]",
            "unknown segment \"from_gadget\"",
        ),
        (
            "segment op to nowhere",
            |b| b["campaigns"][0]["condition"] = json!({"segment": "vip"}),
            "campaigns[0].condition.segment",
            "unknown segment \"vip\"",
        ),
        (
            "bad operator",
            |b| b["campaigns"][0]["condition"] = json!({"and": [true, {"===>": [1, 2]}]}),
            "campaigns[0].condition.and[1][\"===>\"]",
            "unknown operator \"===>\"",
        ),
        (
            "wrong type",
            |b| b["campaigns"][3]["priority"] = json!("high"),
            "campaigns[3].priority",
            "must be a whole number, found a string",
        ),
        (
            "typo in a field",
            |b| b["campaigns"][3]["prority"] = json!(5),
            "campaigns[3].prority",
            "did you mean \"priority\"",
        ),
        (
            "missing field",
            |b| {
                b["campaigns"][0].as_object_mut().map(|c| c.remove("placement"));
            },
            "campaigns[0].placement",
            "is required",
        ),
        (
            "negative weight",
            |b| {
                b["campaigns"][1]["experiment"] =
                    json!({"variants": [{"id": "a", "weight": -1}, {"id": "b", "weight": 3}]})
            },
            "campaigns[1].experiment.variants[0].weight",
            "must not be negative",
        ),
        (
            "all-zero weights",
            |b| {
                b["campaigns"][1]["experiment"] =
                    json!({"variants": [{"id": "a", "weight": 0}, {"id": "b", "weight": 0}]})
            },
            "campaigns[1].experiment.variants",
            "weights are all zero",
        ),
        (
            "unknown action kind",
            |b| b["campaigns"][1]["action"]["kind"] = json!("popunder"),
            "campaigns[1].action.kind",
            "\"popunder\" is not one of",
        ),
        (
            "a literal code on a claimed offer",
            |b| b["campaigns"][4]["action"]["code"] = json!("GADGETS10"),
            "campaigns[4].action.code",
            "goes with redeem: code only",
        ),
        (
            "redeem: code without a code",
            |b| b["campaigns"][4]["action"]["redeem"] = json!("code"),
            "campaigns[4].action.code",
            "is required",
        ),
        (
            "a claim without a benefit",
            |b| {
                b["campaigns"][5]["action"].as_object_mut().map(|a| a.remove("benefit"));
            },
            "campaigns[5].action.benefit",
            "is required",
        ),
        (
            "a reward's code beside its claim",
            |b| b["campaigns"][6]["action"]["reward"]["code"] = json!("WELCOMESHIP"),
            "campaigns[6].action.reward.code",
            "goes with redeem: code only",
        ),
        (
            "unknown redeem",
            |b| b["campaigns"][4]["action"]["redeem"] = json!("coupon"),
            "campaigns[4].action.redeem",
            "\"coupon\" is not one of",
        ),
        (
            "percent over 100",
            |b| b["campaigns"][4]["action"]["benefit"] = json!({"kind": "percent_off", "percent": 150}),
            "campaigns[4].action.benefit.percent",
            "more than 0",
        ),
        (
            "unknown benefit",
            |b| b["campaigns"][4]["action"]["benefit"] = json!({"kind": "free_gift"}),
            "campaigns[4].action.benefit.kind",
            "\"free_gift\" is not one of",
        ),
        (
            "a reward's eligibility is a condition",
            |b| b["campaigns"][6]["action"]["reward"]["eligibility"] = json!({"<<": [1, 2]}),
            "campaigns[6].action.reward.eligibility[\"<<\"]",
            "unknown operator",
        ),
        ("bad time", |b| b["expires_at"] = json!("next year"), "expires_at", "not an RFC 3339"),
        (
            "schedule ends first",
            |b| b["campaigns"][1]["schedule"] = json!({"start": "2026-12-02", "end": "2026-12-01"}),
            "campaigns[1].schedule",
            "ends before it starts",
        ),
        (
            "bad weekday",
            |b| b["campaigns"][1]["schedule"] = json!({"weekdays": [1, 8]}),
            "campaigns[1].schedule.weekdays[1]",
            "between 1 and 7",
        ),
        (
            "javascript url",
            |b| b["campaigns"][1]["action"]["cta"]["url"] = json!("javascript:alert(1)"),
            "campaigns[1].action.cta.url",
            "not an http(s) URL",
        ),
        (
            "greeting leaks a tier",
            |b| b["campaigns"][0]["action"]["template"] = json!("Hi {customer.ltv_band} shopper"),
            "campaigns[0].action.template",
            "would show the shopper a tier",
        ),
        (
            "unclosed template",
            |b| b["campaigns"][0]["action"]["template"] = json!("Hi {customer.first_name"),
            "campaigns[0].action.template",
            "not closed",
        ),
        (
            "segment cycle",
            |b| {
                b["segments"][0]["condition"] = json!({"segment": "anonymous"});
                b["segments"][2]["condition"] = json!({"segment": "from_gadgets"});
            },
            "segments[0].condition",
            "cycle: from_gadgets -> anonymous -> from_gadgets",
        ),
        (
            "computed var path",
            |b| b["campaigns"][0]["condition"] = json!({"var": {"cat": ["cart", ".total"]}}),
            "campaigns[0].condition.var",
            "needs a literal path",
        ),
        (
            "comparison arity",
            |b| b["campaigns"][0]["condition"] = json!({">": [1]}),
            "campaigns[0].condition[\">\"]",
            "two operands",
        ),
        (
            "unknown fallback product",
            |b| b["campaigns"][8]["action"]["fallback"] = json!(["NOPE-1"]),
            "campaigns[8].action.fallback[0]",
            "unknown product \"NOPE-1\"",
        ),
        (
            "recommend count",
            |b| b["campaigns"][8]["action"]["count"] = json!(0),
            "campaigns[8].action.count",
            "between 1 and 24",
        ),
        (
            "trigger kind",
            |b| b["campaigns"][4]["trigger"] = json!({"on": "hover"}),
            "campaigns[4].trigger.on",
            "\"hover\" is not one of",
        ),
    ];
    let mut failures = Vec::new();
    for (name, edit, path, words) in cases {
        let mut bundle = default_bundle();
        edit(&mut bundle);
        match load(&bundle) {
            Ok(_) => failures.push(format!("{name}: loaded without error")),
            Err(error) => {
                let found = error.issues().iter().any(|i| i.path == *path && i.problem.to_string().contains(words));
                if !found {
                    failures.push(format!("{name}: expected `{path}: ...{words}...`, got: {error}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    println!("bundle errors: {} cases passed", cases.len());
}

#[test]
fn all_problems_are_reported_together() {
    let mut bundle = default_bundle();
    bundle["campaigns"][0]["placement"] = json!("nowhere");
    bundle["campaigns"][2]["priority"] = json!("x");
    bundle["campaigns"][5]["condition"] = json!({"nope": []});
    let error = load(&bundle).err().map(|e| e.issues().len());
    assert_eq!(error, Some(3));
}

#[test]
fn structural_failures() {
    assert!(matches!(Engine::from_bundle(b"{not json"), Err(BundleError::Json { .. })));
    assert!(matches!(
        Engine::from_bundle(br#"{"version": 2, "whatever": true}"#),
        Err(BundleError::UnsupportedVersion { found: 2 })
    ));
    let big = vec![b' '; 100];
    let limits = Limits { max_bytes: 10, ..Limits::default() };
    assert!(matches!(
        Engine::from_bundle_with_limits(&big, &limits),
        Err(BundleError::TooLarge { size: 100, limit: 10 })
    ));
    let mut bundle = default_bundle();
    bundle["campaigns"][0]["condition"] = (0..40).fold(json!(true), |inner, _| json!({"!": [inner]}));
    let error = load(&bundle).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(error.contains("nested more than 32 levels deep"), "{error}");
    // Truncations of the bundle at every length: errors, never panics.
    let bytes = serde_json::to_vec(&default_bundle()).unwrap_or_default();
    for cut in (0..bytes.len()).step_by(97) {
        assert!(Engine::from_bundle(&bytes[..cut]).is_err());
    }
}

#[test]
fn freshness_refuses_rollback_and_expiry() {
    let engine = load(&default_bundle()).unwrap_or_else(|e| panic!("{e}"));
    let now = 1_795_600_800_000;
    assert_eq!(engine.check_freshness(None, now), Ok(()));
    assert_eq!(engine.check_freshness(Some(1), now), Ok(()), "the same serial again is fine");
    assert!(matches!(
        engine.check_freshness(Some(2), now),
        Err(perso_core::FreshnessError::Rollback { serial: 1, last_accepted: 2 })
    ));
    assert!(matches!(
        engine.check_freshness(None, engine.expires_at_ms()),
        Err(perso_core::FreshnessError::Expired { .. })
    ));
}
