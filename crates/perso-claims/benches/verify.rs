//! The claim verification cost at checkout, natively: the JWS signature check
//! (Ed25519 `verify_strict`), the claim's fields, and the eligibility re-check with
//! the engine — everything `verify_claim` does but the store's ledger write.
//!
//!     cargo bench -p perso-claims --bench verify
//!
//! BENCHMARKS.md records the figures (µs per claim).

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use ed25519_dalek::SigningKey;
use perso_claims::{issue_claim, jws, verify_claim, ClaimRequest, Issuer, ServerFacts, VoucherPayload};
use perso_core::signature::TrustedKey;
use perso_core::Engine;

const NOW: i64 = 1_795_600_800_000;

fn engine() -> Engine {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../www/bundle.json");
    let json = std::fs::read(path).unwrap_or_default();
    // The form a checkout loads: the compiled bundle.bin.
    let compiled = Engine::from_bundle(&json).map(|e| e.to_compiled()).unwrap_or_default();
    Engine::from_compiled(&compiled).unwrap_or_else(|e| panic!("{e:?}"))
}

fn bench(c: &mut Criterion) {
    let engine = engine();
    let claim_key = SigningKey::from_bytes(&[7; 32]);
    let edge_key = SigningKey::from_bytes(&[8; 32]);
    let trusted =
        |key: &SigningKey, kid: &str| TrustedKey { kid: Some(kid.into()), key: key.verifying_key().to_bytes() };
    let keys = [trusted(&claim_key, "old"), trusted(&claim_key, "c1")];
    let edge = [trusted(&edge_key, "e1")];
    let seen = perso_claims::tokens::Seen { referrer_host: Some("gadgets.com".into()), ..Default::default() };
    let voucher = VoucherPayload { iat: NOW / 1000, exp: NOW / 1000 + 86_400, jti: "V".repeat(16), aud: None, seen };
    let voucher = perso_claims::sign_voucher(&voucher, "e1", &edge_key);
    let issuer = Issuer { kid: "c1", key: &claim_key, edge_keys: &edge, link_keys: &[], audience: None };
    let issue = |campaign: &str, voucher: Option<&str>| {
        let request = ClaimRequest { campaign, voucher, link: None };
        issue_claim(&engine, &request, &issuer, NOW, "0123456789ABCDEF".into()).unwrap_or_else(|e| panic!("{e}"))
    };
    let affiliate = issue("aff-offer", Some(&voucher)).token;
    let shipping = issue("hv-free-shipping", None).token;
    let ada = ServerFacts {
        customer: serde_json::json!({"known": true, "first_name": "Ada", "ltv_band": "high", "orders": 12}),
        cart: serde_json::json!({"items": [{"sku": "HP-100", "category": "audio", "price": 199.0, "qty": 1}], "total": 199.0, "count": 1}),
    };
    let guest = ServerFacts { customer: serde_json::json!({"known": false, "orders": 0}), cart: ada.cart.clone() };
    assert!(verify_claim(&affiliate, &keys, &engine, &guest, NOW).is_ok());
    assert!(verify_claim(&shipping, &keys, &engine, &ada, NOW).is_ok());

    let mut group = c.benchmark_group("claim");
    group.bench_function("verify_claim/affiliate (edge-vouched referrer)", |b| {
        b.iter(|| verify_claim(black_box(&affiliate), &keys, &engine, &guest, NOW))
    });
    group.bench_function("verify_claim/free shipping (server facts: tier, cart)", |b| {
        b.iter(|| verify_claim(black_box(&shipping), &keys, &engine, &ada, NOW))
    });
    group.bench_function("signature only (jws::verify)", |b| {
        b.iter(|| jws::verify(black_box(&shipping), "perso-claim+jwt", &keys))
    });
    group.bench_function("issue_claim (claim endpoint, with an edge voucher)", |b| {
        b.iter(|| issue("aff-offer", Some(black_box(&voucher))))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
