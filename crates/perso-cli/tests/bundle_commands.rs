//! End-to-end tests of `perso compile`, `validate` and `explain`, through the binary.

mod common;
use common::{perso, repo};
use predicates::prelude::*;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn sorted_segments(mut bundle: Value) -> Value {
    if let Some(segments) = bundle.get_mut("segments").and_then(|s| s.as_array_mut()) {
        segments.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
    }
    bundle
}

#[test]
fn gizmos_authoring_file_compiles_to_the_default_bundle() {
    let out = perso().args(["compile", "data/gizmos.perso.yaml"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut compiled: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut www = read_json(&repo().join("www/bundle.json"));
    // The affinity table is data (perso profiles), not authoring: it comes from its file.
    let affinity = compiled.as_object_mut().unwrap().remove("affinity").unwrap();
    assert_eq!(affinity, read_json(&repo().join("data/gizmos.affinity.json")));
    www.as_object_mut().unwrap().remove("affinity");
    // Template-implied segments (from_gadgets) are appended; order of segments is free.
    assert_eq!(sorted_segments(compiled), sorted_segments(www));
}

#[test]
fn affinity_override_and_output_file() {
    let dir = tempfile::tempdir().unwrap();
    let affinity = dir.path().join("aff.json");
    std::fs::write(&affinity, r#"{"items": {"HP-100": [["CS-020", 0.9]]}, "categories": {}}"#).unwrap();
    let out = dir.path().join("bundle.json");
    perso()
        .args(["compile", "data/gizmos.perso.yaml", "--affinity"])
        .arg(&affinity)
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    assert_eq!(read_json(&out)["affinity"]["items"]["HP-100"], json!([["CS-020", 0.9]]));
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

const HEAD: &str = "expires_at: 2030-01-01T00:00:00Z\nplacements:\n  - id: popup\n  - id: hero\ncampaigns:\n";

#[test]
fn yaml_errors_name_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let typo = write(
        dir.path(),
        "typo.yaml",
        &format!("{HEAD}  - campaign:\n      id: a\n      placement: hero\n      prority: 5\n      action: {{kind: banner, title: Hi}}\n"),
    );
    perso().arg("compile").arg(&typo).assert().code(1).stderr(predicate::str::contains(
        "typo.yaml: line 9, column 7: campaigns[0].campaign: unknown field `prority`: did you mean `priority`? (expected one of",
    ));
    let template = write(dir.path(), "template.yaml", &format!("{HEAD}  - coupon:\n      id: a\n"));
    perso()
        .arg("compile")
        .arg(&template)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("unknown entry `coupon` (expected one of `campaign`, `affiliate_offer`"));
    // Problems the engine finds at load point at the campaign's line in the YAML.
    let engine = write(
        dir.path(),
        "engine.yaml",
        &format!("{HEAD}  - campaign:\n      id: a\n      placement: sidebar\n      action: {{kind: banner, title: Hi}}\n  - cart_chat:\n      id: chat\n      placement: popup\n      min_items: 2\n"),
    );
    perso().arg("compile").arg(&engine).assert().code(1).stderr(predicate::str::contains(
        "engine.yaml:8: error: campaigns[0].placement: unknown placement \"sidebar\"",
    ));
}

/// A bundle with one instance of each lint.
fn lint_bundle() -> Value {
    json!({
        "version": 1, "serial": 7, "expires_at": "2030-01-01T00:00:00Z",
        "placements": [{"id": "hero"}, {"id": "popup"}, {"id": "side"}],
        "segments": [
            {"id": "from_partner", "condition": {"==": [{"var": "session.entry_referrer_host"}, "partner.com"]}},
            {"id": "unused", "condition": true}
        ],
        "campaigns": [
            {"id": "always", "placement": "hero", "priority": 10, "action": {"kind": "banner", "title": "A"}},
            {"id": "shadowed", "placement": "hero", "priority": 5, "condition": {">": [{"var": "cart.total"}, 10]},
             "action": {"kind": "banner", "title": "B"}},
            {"id": "never", "placement": "popup", "priority": 1,
             "condition": {"and": [{">=": [{"var": "cart.count"}, 3]}, {"<": [{"var": "cart.count"}, 2]}]},
             "action": {"kind": "offer", "title": "C", "code": "X", "expires_in_s": 60, "single_use": true}},
            {"id": "ended", "placement": "popup", "priority": 2, "schedule": {"end": "2026-01-01"},
             "action": {"kind": "offer", "title": "D", "code": "Y", "single_use": true, "expires_in_s": 60}},
            {"id": "claimed", "placement": "popup", "priority": 3, "segments": ["from_partner"],
             "action": {"kind": "offer", "title": "E", "benefit": {"kind": "percent_off", "percent": 20}}}
        ]
    })
}

#[test]
fn validate_reports_every_lint_with_its_code() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lints.json");
    std::fs::write(&path, serde_json::to_string_pretty(&lint_bundle()).unwrap()).unwrap();
    let out = perso().arg("validate").arg(&path).args(["--json", "--now", "2026-11-25"]).output().unwrap();
    assert!(out.status.success());
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["ok"], true);
    let codes: Vec<(String, Option<String>)> = report["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| (w["code"].as_str().unwrap().to_owned(), w["campaign"].as_str().map(str::to_owned)))
        .collect();
    let has = |code: &str, campaign: Option<&str>| codes.contains(&(code.to_owned(), campaign.map(str::to_owned)));
    assert!(has("shadowed", Some("shadowed")), "{codes:?}");
    assert!(has("never-matches", Some("never")), "{codes:?}");
    assert!(has("expired-schedule", Some("ended")), "{codes:?}");
    assert!(has("offer-no-expiry", Some("claimed")), "{codes:?}");
    assert!(has("unused-segment", None), "{codes:?}");
    assert!(has("empty-placement", None), "{codes:?}");
    assert!(!has("shadowed", Some("always")), "{codes:?}");
    assert_eq!(report["errors"], json!([]), "a code on cart facts, a claim on a vouchable fact: both fine");
    // Warnings carry the line in the file: "never" is the third campaign.
    let never = report["warnings"].as_array().unwrap().iter().find(|w| w["campaign"] == "never").unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let line = text.lines().position(|l| l.contains("\"id\": \"never\"")).unwrap() + 1;
    assert_eq!(never["line"], json!(line));
    // Text mode, and --deny-warnings turns warnings into a failure.
    perso()
        .arg("validate")
        .arg(&path)
        .args(["--now", "2026-11-25", "--deny-warnings"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("warning[offer-no-expiry]: campaigns[4].action.expires_in_s"));
}

/// Nothing in the public bundle may mint a discount: these are errors, in `validate`
/// and in `sign`/`publish`, each saying what to use instead.
#[test]
fn validate_refuses_offers_anyone_could_redeem_or_nobody_can_verify() {
    let dir = tempfile::tempdir().unwrap();
    let mut bundle = lint_bundle();
    let offer = |title: &str, extra: Value| {
        let mut action = json!({"kind": "offer", "title": title, "expires_in_s": 60});
        action.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        action
    };
    let campaigns = bundle["campaigns"].as_array_mut().unwrap();
    campaigns.push(json!({"id": "literal", "placement": "popup", "segments": ["from_partner"],
        "action": offer("F", json!({"code": "PARTNER20", "single_use": true}))}));
    campaigns.push(
        json!({"id": "dwell", "placement": "popup", "condition": {">=": [{"var": "session.time_on_site_s"}, 30]},
        "action": offer("G", json!({"benefit": {"kind": "amount_off", "amount": 5}}))}),
    );
    campaigns.push(json!({"id": "by-utm", "placement": "popup",
        "action": offer("H", json!({"redeem": "checkout", "benefit": {"kind": "free_shipping"},
            "eligibility": {"==": [{"var": "session.entry_utm.source"}, "partner.com"]}}))}));
    campaigns.push(json!({"id": "tier", "placement": "popup",
        "action": offer("I", json!({"code": "VIP5", "eligibility": {"==": [{"var": "customer.ltv_band"}, "top"]}}))}));
    campaigns.push(json!({"id": "signup", "placement": "side", "action": {"kind": "register", "title": "J",
        "questions": [{"id": "q", "label": "Q", "options": [{"value": "a", "label": "A"}]}],
        "reward": {"text": "Thanks", "code": "WELCOME"}}}));
    let path = dir.path().join("offers.json");
    std::fs::write(&path, serde_json::to_string_pretty(&bundle).unwrap()).unwrap();
    let out = perso().arg("validate").arg(&path).args(["--json", "--now", "2026-11-25"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["ok"], false);
    let errors: Vec<(String, String)> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["code"].as_str().unwrap().to_owned(), e["path"].as_str().unwrap().to_owned()))
        .collect();
    let pair = |code: &str, path: &str| (code.to_owned(), path.to_owned());
    assert!(errors.contains(&pair("offer-fakeable", "campaigns[5].action.code")), "{errors:?}");
    assert!(errors.contains(&pair("offer-unverifiable", "campaigns[6].action.eligibility")), "{errors:?}");
    assert!(errors.contains(&pair("offer-checkout-unknowable", "campaigns[7].action.eligibility")), "{errors:?}");
    assert!(errors.contains(&pair("offer-fakeable", "campaigns[9].action.reward.code")), "{errors:?}");
    assert_eq!(errors.len(), 4, "the code on a tier the checkout knows is fine: {errors:?}");
    let literal =
        report["errors"].as_array().unwrap().iter().find(|e| e["path"] == "campaigns[5].action.code").unwrap();
    let message = literal["message"].as_str().unwrap();
    assert!(message.contains("PARTNER20") && message.contains("session.entry_referrer_host"), "{message}");
    assert!(
        message.contains("redeem: claim") && message.contains("docs/offers.md"),
        "says what to use instead: {message}"
    );
    assert!(literal["line"].as_u64().is_some(), "points at the line");

    // sign (and publish) refuse it too: such a bundle is never signed.
    let key_dir = tempfile::tempdir().unwrap();
    perso().args(["keygen", "--kid", "k1", "--dir"]).arg(key_dir.path()).assert().success();
    perso()
        .arg("sign")
        .arg(&path)
        .arg("--key")
        .arg(key_dir.path().join("k1.key"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("error[offer-fakeable]"));
    assert!(!dir.path().join("offers.json.sig").exists());

    // A store without a claim endpoint: claimed offers are refused for that deployment.
    let out = perso()
        .arg("validate")
        .arg(repo().join("www/bundle.json"))
        .args(["--json", "--no-claim-endpoint"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let codes: Vec<&str> = report["errors"].as_array().unwrap().iter().map(|e| e["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["offer-needs-claim-endpoint"; 3], "{report}");
    perso().arg("validate").arg(repo().join("www/bundle.json")).assert().success();
}

#[test]
fn validate_refuses_what_the_engine_refuses_with_every_path() {
    let dir = tempfile::tempdir().unwrap();
    let mut bundle = lint_bundle();
    bundle["campaigns"][0]["placement"] = json!("nowhere");
    bundle["campaigns"][1]["prority"] = json!(3);
    let path = dir.path().join("bad.json");
    std::fs::write(&path, serde_json::to_string_pretty(&bundle).unwrap()).unwrap();
    perso()
        .arg("validate")
        .arg(&path)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("campaigns[0].placement: unknown placement \"nowhere\""))
        .stdout(predicate::str::contains("campaigns[1].prority: unknown field (did you mean \"priority\"?)"));
    perso()
        .args(["validate", "no/such/file.json"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no/such/file.json"));
    perso()
        .args(["validate", "www/bundle.json", "--now", "2026-11-25"])
        .assert()
        .success()
        .stdout(predicate::str::contains("0 warning(s)"));
}

#[test]
fn explain_the_affiliate_visitor() {
    let out = perso()
        .args(["explain", "www/bundle.json", "--referrer", "https://gadgets.com/review", "--time-on-site", "20"])
        .args(["--cart", "HP-100,EB-300", "--now", "2026-11-25T12:00:00Z", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let shown: Vec<(&str, &str)> = report["decision"]["placements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["placement"].as_str().unwrap(), p["campaign"].as_str().unwrap()))
        .collect();
    assert_eq!(shown, [("hero", "aff-hero"), ("popup", "aff-offer"), ("cross_sell", "aff-cross-sell")]);
    let verdicts = report["explanation"]["campaigns"].as_array().unwrap();
    let verdict = |id: &str| verdicts.iter().find(|v| v["campaign"] == id).unwrap().clone();
    assert_eq!(verdict("cart-cross-sell")["outcome"], "lost");
    assert_eq!(verdict("cart-cross-sell")["to"], "aff-cross-sell");
    assert_eq!(verdict("hv-welcome")["reason"]["kind"], "condition");
    // Before 15 s on the site the offer is not due yet.
    perso()
        .args([
            "explain",
            "www/bundle.json",
            "--referrer",
            "gadgets.com",
            "--time-on-site",
            "5",
            "--now",
            "2026-11-25T12:00:00Z",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("hero: aff-hero shows banner"))
        .stdout(predicate::str::contains("aff-offer").and(predicate::str::contains("session.time_on_site_s")));
}

#[test]
fn explain_a_known_customer_from_the_profiles_file() {
    // C00003 is in the top LTV band of the sample history (data/customers.jsonl).
    perso()
        .args(["explain", "data/gizmos.perso.yaml", "--customers", "data/customers.jsonl", "--customer-id", "C00003"])
        .args(["--first-name", "Ada", "--cart", "HP-100", "--now", "2026-11-25T12:00:00Z"])
        .assert()
        .success()
        .stdout(predicate::str::contains("greeting: hv-welcome shows welcome \"Welcome back, Ada!\""))
        .stdout(predicate::str::contains("popup: hv-free-shipping shows offer"));
}

#[test]
fn explain_rejects_bad_flags_and_contexts() {
    perso()
        .args(["explain", "www/bundle.json", "--cart", "NOPE-1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("`NOPE-1` is not in the bundle's products"));
    perso()
        .args(["explain", "www/bundle.json", "--cart", "HP-100:zero"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("positive whole number"));
    let dir = tempfile::tempdir().unwrap();
    let context = dir.path().join("ctx.json");
    std::fs::write(&context, r#"{"cart": {"items": "many"}}"#).unwrap();
    perso()
        .args(["explain", "www/bundle.json", "--context"])
        .arg(&context)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("cart.items"));
    perso()
        .args(["explain", "www/bundle.json", "--now", "yesterday"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--now"));
}

/// `perso explain --json` placements as (placement, campaign).
fn shown(out: &std::process::Output) -> Vec<(String, String)> {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    report["decision"]["placements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["placement"].as_str().unwrap().to_owned(), p["campaign"].as_str().unwrap().to_owned()))
        .collect()
}

#[test]
fn explain_models_a_return_visit_from_a_stored_state() {
    let dir = tempfile::tempdir().unwrap();
    // An affiliate session that already saw its offer, last active at 12:00.
    let state = dir.path().join("state.json");
    let last = 1_795_608_000_000i64; // 2026-11-25T12:00:00Z
    std::fs::write(
        &state,
        json!({"v": 1, "id": "v-1", "visits": 1,
               "session": {"start_ms": last - 600_000, "last_ms": last, "pages": 3, "ref_host": "gadgets.com",
                           "interruptions": 1, "last_interruption_ms": last - 300_000},
               "campaigns": [{"id": "aff-offer", "s": 1, "t": 1, "last_ms": last - 300_000}]})
        .to_string(),
    )
    .unwrap();
    let explain = |extra: &[&str]| {
        perso().args(["explain", "www/bundle.json", "--json", "--state"]).arg(&state).args(extra).output().unwrap()
    };
    // Ten minutes later: the same session, still the affiliate's.
    let same = explain(&["--now", "2026-11-25T12:10:00Z"]);
    assert!(shown(&same).contains(&("hero".into(), "aff-hero".into())), "{:?}", shown(&same));
    assert!(String::from_utf8_lossy(&same.stderr).contains("the stored session goes on"));
    // A return visit: a new session, no longer from gadgets.com.
    let back = explain(&["--new-session", "--now", "2026-11-25T18:00:00Z"]);
    assert!(!shown(&back).contains(&("hero".into(), "aff-hero".into())), "{:?}", shown(&back));
    assert!(String::from_utf8_lossy(&back.stderr).contains("a new session (visit 2)"));
    let lapsed = explain(&["--new-session"]);
    assert!(String::from_utf8_lossy(&lapsed.stderr).contains("a new session (visit 2)"));
    // --new-session inside the 30 idle minutes is a contradiction, said as such.
    perso()
        .args(["explain", "www/bundle.json", "--new-session", "--now", "2026-11-25T12:10:00Z", "--state"])
        .arg(&state)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("its session lasts until 2026-11-25T12:30:01Z"));
}

#[test]
fn explain_refuses_values_the_engine_never_gives() {
    perso()
        .args(["explain", "www/bundle.json", "--ltv-band", "gold"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
        "--ltv-band `gold` is not a band: perso profiles writes low, medium, high, top; this bundle tests high, top",
    ));
    perso()
        .args(["explain", "www/bundle.json", "--page-type", "homepage"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--page-type `homepage` is not a page type of this bundle: home, category, product, cart, checkout, account, search, other"));
    let out = perso()
        .args(["explain", "www/bundle.json", "--ltv-band", "top", "--page-type", "home", "--json"])
        .args(["--now", "2026-11-25T12:00:00Z"])
        .output()
        .unwrap();
    assert!(shown(&out).contains(&("popup".into(), "hv-free-shipping".into())), "{:?}", shown(&out));
    perso()
        .args(["explain", "www/bundle.json", "--state", "x.json", "--time-on-site", "5"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot be used with"));
}
