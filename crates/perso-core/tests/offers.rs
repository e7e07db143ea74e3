//! Redeemable offers: what the checkout's re-check reads (the host section's
//! `offer_facts`), its verdict on the Gizmos bundle's three offers, and the reason
//! it gives when it refuses.

use perso_core::decide::OfferVerdict;
use perso_core::{Engine, VisitorState};
use serde_json::json;

fn gizmos() -> Engine {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../www/bundle.json");
    Engine::from_bundle(&std::fs::read(path).unwrap_or_else(|e| panic!("{e}"))).unwrap_or_else(|e| panic!("{e}"))
}

const NOW: i64 = 1_795_600_800_000;

fn facts(engine: &Engine, id: &str) -> Vec<String> {
    engine.host().campaigns.iter().find(|c| c.id == id).map(|c| c.offer_facts.clone()).unwrap_or_default()
}

#[test]
fn the_host_section_names_the_facts_each_claim_rests_on() {
    let engine = gizmos();
    assert_eq!(facts(&engine, "aff-offer"), ["session.entry_referrer_host"]);
    assert_eq!(facts(&engine, "hv-free-shipping"), ["cart.total", "customer.known", "customer.ltv_band"]);
    assert_eq!(facts(&engine, "anon-register"), ["customer.orders"]);
    assert!(facts(&engine, "aff-hero").is_empty(), "a banner redeems nothing");
    // Compiled and loaded back, the host section keeps them.
    let compiled = Engine::from_compiled(&engine.to_compiled()).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(facts(&compiled, "hv-free-shipping"), facts(&engine, "hv-free-shipping"));
}

#[test]
fn the_checkout_verdict_and_its_reason() {
    let engine = gizmos();
    let state = VisitorState::new("v", NOW);
    let check = |campaign: &str, context: serde_json::Value, state: &VisitorState| {
        let bytes = serde_json::to_vec(&context).unwrap_or_default();
        let context = engine.read_context(&bytes).unwrap_or_else(|e| panic!("{e}"));
        (engine.check_offer(campaign, &context, state, NOW), engine.explain_offer(campaign, &context, state, NOW))
    };
    let ada =
        |total: f64| json!({"customer": {"known": true, "ltv_band": "high"}, "cart": {"items": [], "total": total}});
    assert!(matches!(check("hv-free-shipping", ada(150.0), &state), (true, None)));
    let (granted, refusal) = check("hv-free-shipping", ada(60.0), &state);
    assert!(!granted);
    let refusal = refusal.unwrap_or_else(|| panic!("a refusal"));
    assert!(matches!(refusal.verdict, OfferVerdict::Failed { .. }));
    let failed = refusal.failed.unwrap_or_else(|| panic!("the failing rule"));
    assert_eq!(failed.path, "campaigns[5].action.eligibility.and[2]");
    assert_eq!(failed.rule, json!({">": [{"var": "cart.total"}, 100]}));

    // The reward: first orders only; a fact the checkout does not have is not 0.
    assert!(check("anon-register", json!({"customer": {"known": false, "orders": 0}}), &state).0);
    assert!(!check("anon-register", json!({"customer": {"known": true, "orders": 7}}), &state).0);
    assert!(!check("anon-register", json!({}), &state).0);

    // The affiliate offer rests on the session's entry: no entry, no offer.
    assert!(!check("aff-offer", json!({}), &state).0);
    let arrived = state
        .clone()
        .page_view(&perso_core::PageView { referrer_host: Some("gadgets.com".into()), ..Default::default() }, NOW);
    assert!(check("aff-offer", json!({}), &arrived).0);

    // Not offers at all.
    assert!(matches!(check("aff-hero", json!({}), &state).1.map(|r| r.verdict), Some(OfferVerdict::NotAnOffer)));
    assert!(matches!(check("nope", json!({}), &state).1.map(|r| r.verdict), Some(OfferVerdict::Unknown)));
}

#[test]
fn a_registration_prompt_without_a_reward_redeems_nothing() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../www/bundle.json");
    let mut bundle: serde_json::Value =
        serde_json::from_slice(&std::fs::read(path).unwrap_or_default()).unwrap_or_default();
    bundle["campaigns"][6]["action"].as_object_mut().map(|a| a.remove("reward"));
    let engine =
        Engine::from_bundle(&serde_json::to_vec(&bundle).unwrap_or_default()).unwrap_or_else(|e| panic!("{e}"));
    let context = engine.read_context(b"{}").unwrap_or_else(|e| panic!("{e}"));
    assert!(!engine.check_offer("anon-register", &context, &VisitorState::new("v", NOW), NOW));
    assert!(facts(&engine, "anon-register").is_empty());
}
