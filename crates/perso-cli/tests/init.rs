//! `perso init`: the starter compiles, validates with no warning, and each of the
//! three reference scenarios shows through `perso explain`.

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::{json, Value};
use std::path::Path;

fn perso(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("perso").unwrap();
    cmd.current_dir(dir);
    cmd
}

const NOW: &str = "2026-11-25T12:00:00Z";

/// (placement, campaign) of what `perso explain --json` shows.
fn explain(dir: &Path, flags: &[&str]) -> Vec<(String, String)> {
    let out = perso(dir).args(["explain", "store.perso.yaml", "--json", "--now", NOW]).args(flags).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    report["decision"]["placements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["placement"].as_str().unwrap().to_owned(), p["campaign"].as_str().unwrap().to_owned()))
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(p, c)| ((*p).to_owned(), (*c).to_owned())).collect()
}

#[test]
fn the_starter_validates_clean_and_plays_the_three_scenarios() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    perso(dir).args(["init", "--store", "Coffee Gear", "--now", "2026-11-25"]).assert().success();
    let text = std::fs::read_to_string(dir.join("store.perso.yaml")).unwrap();
    assert!(text.contains("store: Coffee Gear") && text.contains("expires_at: 2027-02-23"), "{text}");
    assert!(!text.contains("{{"), "every placeholder is filled");
    perso(dir)
        .args(["validate", "store.perso.yaml", "--deny-warnings", "--now", NOW])
        .assert()
        .success()
        .stdout(predicate::str::contains("valid (serial 0), 0 warning(s)"));
    perso(dir).args(["compile", "store.perso.yaml", "-o", "bundle.json"]).assert().success();

    // 1. The affiliate visitor: hero, the offer after a short browse, cross-sell from the cart.
    assert_eq!(
        explain(
            dir,
            &["--referrer", "https://partner.example/review", "--time-on-site", "20", "--cart", "SKU-1,SKU-2"]
        ),
        pairs(&[("hero", "aff-hero"), ("popup", "aff-offer"), ("cross_sell", "aff-cross-sell")])
    );
    // 2. The anonymous visitor: the registration prompt; once answered, the interests personalize.
    assert_eq!(explain(dir, &["--time-on-site", "10"]), pairs(&[("popup", "anon-register")]));
    assert_eq!(
        explain(dir, &["--interests", "outdoor"]),
        pairs(&[("hero", "interest-hero-outdoor"), ("cross_sell", "interest-picks")])
    );
    // 3. The known high-value customer: greeted by name, free shipping over $100, and the
    // live chat armed for the add to cart (it answers the shopper, so it is decided beside
    // the offer and pre-empts it on screen) ...
    let customer = ["--first-name", "Ada", "--ltv-band", "top", "--cart", "SKU-1"];
    assert_eq!(
        explain(dir, &customer),
        pairs(&[
            ("greeting", "hv-welcome"),
            ("popup", "hv-free-shipping"),
            ("cross_sell", "cart-cross-sell"),
            ("chat", "hv-chat")
        ])
    );
    // ... and with the offer shown a minute ago the chat is still there (no gap for an answer).
    let shown_ms = 1_795_608_000_000i64 - 60_000;
    let state = json!({"v": 1, "id": "ada", "visits": 3, "prev_ms": shown_ms - 86_400_000,
        "session": {"start_ms": shown_ms - 120_000, "last_ms": shown_ms, "pages": 2, "interruptions": 1,
                    "last_interruption_ms": shown_ms},
        "campaigns": [{"id": "hv-free-shipping", "s": 1, "t": 1, "last_ms": shown_ms}]});
    std::fs::write(dir.join("state.json"), state.to_string()).unwrap();
    let mut with_state = customer.to_vec();
    with_state.extend(["--state", "state.json"]);
    assert!(explain(dir, &with_state).contains(&("chat".into(), "hv-chat".into())));

    // It never overwrites a file by accident.
    perso(dir)
        .arg("init")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("exists; choose another file or pass --force"));
}
