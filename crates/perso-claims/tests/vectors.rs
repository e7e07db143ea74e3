//! The claim vectors (tests/vectors/claims.json): tokens, the server's facts, and
//! what a checkout must answer — the same file the Node checkout kit replays
//! (js/test/claims.test.mjs), so both verify identically. Each attack of issue 10
//! is a case here: a claim read from the bundle, a hand-typed UTM tag, a forged
//! tier, replays after expiry / for another cart / with a changed campaign, another
//! key. `UPDATE_VECTORS=1` rewrites the file (tokens are deterministic: Ed25519 is).

use ed25519_dalek::SigningKey;
use perso_claims::tokens::{Seen, CLAIM_TYP};
use perso_claims::{
    issue_claim, jws, sign_link, sign_voucher, verify_claim, By, ClaimPayload, ClaimRequest, Fact, Issuer, LinkPayload,
    ServerFacts, Terms, VoucherPayload,
};
use perso_core::signature::{parse_trusted_keys, TrustedKey};
use perso_core::vocab::Benefit;
use perso_core::Engine;
use serde_json::{json, Value};
use std::collections::BTreeMap;

const NOW_MS: i64 = 1_795_600_800_000; // 2026-11-25T10:00:00Z
const NOW: i64 = NOW_MS / 1000;

fn repo(path: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(path)
}

fn engine() -> Engine {
    Engine::from_bundle(&std::fs::read(repo("www/bundle.json")).unwrap_or_default()).unwrap_or_else(|e| panic!("{e}"))
}

struct Keys {
    claims_old: SigningKey,
    claims: SigningKey,
    edge: SigningKey,
    links: SigningKey,
    stranger: SigningKey,
}

fn b64(key: &SigningKey) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(key.verifying_key().to_bytes())
}

fn seed_hex(key: &SigningKey) -> String {
    key.to_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

fn keys() -> Keys {
    Keys {
        claims_old: SigningKey::from_bytes(&[11; 32]),
        claims: SigningKey::from_bytes(&[12; 32]),
        edge: SigningKey::from_bytes(&[21; 32]),
        links: SigningKey::from_bytes(&[31; 32]),
        stranger: SigningKey::from_bytes(&[99; 32]),
    }
}

fn trusted(spec: &str) -> Vec<TrustedKey> {
    parse_trusted_keys(spec).unwrap_or_else(|e| panic!("{e}"))
}

fn claim(campaign: &str, jti: &str, facts: Vec<Fact>, benefit: Benefit, title: &str, exp: i64) -> ClaimPayload {
    ClaimPayload {
        campaign: campaign.into(),
        terms: Terms { title: title.into(), benefit },
        serial: 1,
        iat: NOW - 60,
        exp,
        jti: jti.into(),
        facts,
    }
}

fn fact(path: &str, value: Option<&str>, by: By) -> Fact {
    Fact { path: path.into(), value: value.map(str::to_owned), by, reference: None }
}

fn sign(payload: &ClaimPayload, kid: &str, key: &SigningKey) -> String {
    jws::sign(CLAIM_TYP, &serde_json::to_string(payload).unwrap_or_default(), kid, key)
}

fn expect_of(result: Result<perso_claims::Granted, perso_claims::ClaimError>) -> Value {
    match result {
        Ok(granted) => json!({"ok": true, "campaign": granted.claim.campaign, "benefit": granted.claim.terms.benefit}),
        Err(error) => json!({"error": error.code()}),
    }
}

fn issue_expect(result: Result<perso_claims::Issued, perso_claims::ClaimError>) -> Value {
    match result {
        Ok(issued) => json!({"ok": true, "facts": issued.claim.facts, "exp": issued.claim.exp}),
        Err(error) => json!({"error": error.code()}),
    }
}

#[test]
fn claim_vectors() {
    let engine = engine();
    let k = keys();
    let key_specs = json!({
        "claims": format!("c-2026-11:{} c-2026-12:{}", b64(&k.claims_old), b64(&k.claims)),
        "edge": format!("e1:{}", b64(&k.edge)),
        "links": format!("l1:{}", b64(&k.links)),
    });
    let claim_keys = trusted(key_specs["claims"].as_str().unwrap_or_default());
    let edge_keys = trusted(key_specs["edge"].as_str().unwrap_or_default());
    let link_keys = trusted(key_specs["links"].as_str().unwrap_or_default());

    let ten = Benefit::PercentOff { percent: 10.0 };
    let ship = Benefit::FreeShipping;
    let aff_title = "10% off your next purchase";
    let hv_title = "Free shipping on your next purchase over $100";
    let reward_title = "Free shipping on your first order";
    let day = NOW + 86_400;
    let referrer = |by| vec![fact("session.entry_referrer_host", Some("gadgets.com"), by)];
    let hv_facts = || {
        vec![
            fact("cart.total", None, By::Server),
            fact("customer.known", None, By::Server),
            fact("customer.ltv_band", None, By::Server),
        ]
    };

    let guest = json!({"customer": {"known": false, "orders": 0}, "cart": {"items": [{"sku": "EB-300", "category": "audio", "price": 129.0, "qty": 1}], "total": 129.0, "count": 1}});
    let ada_150 = json!({"customer": {"known": true, "first_name": "Ada", "ltv_band": "high", "orders": 12}, "cart": {"items": [{"sku": "HP-100", "category": "audio", "price": 199.0, "qty": 1}], "total": 199.0, "count": 1}});
    let ada_60 = json!({"customer": {"known": true, "first_name": "Ada", "ltv_band": "high", "orders": 12}, "cart": {"items": [{"sku": "SP-200", "category": "audio", "price": 79.0, "qty": 1}], "total": 79.0, "count": 1}});
    // The console's perso.setCustomer({ltv_band: "vip"}) changes nothing the server knows.
    let anonymous_150 = json!({"customer": {"known": false, "orders": 0}, "cart": ada_150["cart"].clone()});

    let aff = claim("aff-offer", "AFF0EDGE00000001", referrer(By::Edge), ten.clone(), aff_title, day);
    let mut tampered = sign(&aff, "c-2026-12", &k.claims);
    {
        // The campaign changed after signing (payload swapped, signature kept).
        let parts: Vec<&str> = tampered.split('.').collect();
        let mut changed = aff.clone();
        changed.campaign = "hv-free-shipping".into();
        changed.terms = Terms { title: hv_title.into(), benefit: ship.clone() };
        use base64::Engine as _;
        let body = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(serde_json::to_string(&changed).unwrap_or_default());
        tampered = format!("{}.{}.{}", parts[0], body, parts[2]);
    }
    let link_token = sign_link(
        &LinkPayload {
            iat: NOW - 3600,
            exp: NOW + 90 * 86_400,
            jti: "LINK000000000001".into(),
            source: "gadgets.com".into(),
            utm: BTreeMap::from([("medium".into(), "affiliate".into())]),
            aud: None,
        },
        "l1",
        &k.links,
    );
    let verify_cases: Vec<(&str, String, &Value, i64)> = vec![
        ("the affiliate's claim, vouched by the edge", sign(&aff, "c-2026-12", &k.claims), &guest, NOW_MS),
        (
            "the affiliate's claim, vouched by a signed landing link",
            sign(
                &claim("aff-offer", "AFF0LINK00000002", referrer(By::Link), ten.clone(), aff_title, day),
                "c-2026-12",
                &k.claims,
            ),
            &guest,
            NOW_MS,
        ),
        ("signed with the previous key during a rotation", sign(&aff, "c-2026-11", &k.claims_old), &guest, NOW_MS),
        (
            "Ada's free shipping over $100",
            sign(
                &claim("hv-free-shipping", "HVSHIP0000000003", hv_facts(), ship.clone(), hv_title, day),
                "c-2026-12",
                &k.claims,
            ),
            &ada_150,
            NOW_MS,
        ),
        (
            "Ada's claim replayed for another cart, under $100",
            sign(
                &claim("hv-free-shipping", "HVSHIP0000000003", hv_facts(), ship.clone(), hv_title, day),
                "c-2026-12",
                &k.claims,
            ),
            &ada_60,
            NOW_MS,
        ),
        (
            "the free-shipping claim for a shopper whose tier came from the console",
            sign(
                &claim("hv-free-shipping", "HVSHIP0000000004", hv_facts(), ship.clone(), hv_title, day),
                "c-2026-12",
                &k.claims,
            ),
            &anonymous_150,
            NOW_MS,
        ),
        (
            "the registration reward on a first order",
            sign(
                &claim(
                    "anon-register",
                    "REWARD0000000005",
                    vec![fact("customer.orders", None, By::Server)],
                    ship.clone(),
                    reward_title,
                    day,
                ),
                "c-2026-12",
                &k.claims,
            ),
            &guest,
            NOW_MS,
        ),
        (
            "the registration reward for a customer who ordered before",
            sign(
                &claim(
                    "anon-register",
                    "REWARD0000000006",
                    vec![fact("customer.orders", None, By::Server)],
                    ship.clone(),
                    reward_title,
                    day,
                ),
                "c-2026-12",
                &k.claims,
            ),
            &ada_150,
            NOW_MS,
        ),
        ("a claim replayed after its expiry", sign(&aff, "c-2026-12", &k.claims), &guest, day * 1000),
        ("a claim whose campaign was changed", tampered, &guest, NOW_MS),
        ("a claim signed by another key under a trusted kid", sign(&aff, "c-2026-12", &k.stranger), &guest, NOW_MS),
        ("a claim signed by a key nobody trusts", sign(&aff, "mallory", &k.stranger), &guest, NOW_MS),
        (
            "a claim resting on a hand-typed utm_source (nothing vouched)",
            sign(&claim("aff-offer", "AFF0UTM000000007", vec![], ten.clone(), aff_title, day), "c-2026-12", &k.claims),
            &guest,
            NOW_MS,
        ),
        (
            "a claim where the edge 'vouches' for a UTM tag it only read in the URL",
            sign(
                &claim(
                    "aff-offer",
                    "AFF0UTM000000008",
                    vec![fact("session.entry_utm.source", Some("gadgets.com"), By::Edge)],
                    ten.clone(),
                    aff_title,
                    day,
                ),
                "c-2026-12",
                &k.claims,
            ),
            &guest,
            NOW_MS,
        ),
        (
            "a claim with terms the bundle does not offer (50 %)",
            sign(
                &claim(
                    "aff-offer",
                    "AFF0TERM00000009",
                    referrer(By::Edge),
                    Benefit::PercentOff { percent: 50.0 },
                    aff_title,
                    day,
                ),
                "c-2026-12",
                &k.claims,
            ),
            &guest,
            NOW_MS,
        ),
        (
            "a campaign that is no offer",
            sign(&claim("aff-hero", "HERO000000000010", vec![], ten.clone(), aff_title, day), "c-2026-12", &k.claims),
            &guest,
            NOW_MS,
        ),
        ("a landing link presented as a claim", link_token.clone(), &guest, NOW_MS),
        (
            "a claim from a newer bundle",
            sign(&ClaimPayload { serial: 2, ..aff.clone() }, "c-2026-12", &k.claims),
            &guest,
            NOW_MS,
        ),
        ("a code read from the old bundle", "GADGETS10".into(), &guest, NOW_MS),
    ];
    let mut verify = Vec::new();
    for (name, token, server, now_ms) in verify_cases {
        let facts = ServerFacts { customer: server["customer"].clone(), cart: server["cart"].clone() };
        let got = expect_of(verify_claim(&token, &claim_keys, &engine, &facts, now_ms));
        verify.push(json!({"name": name, "token": token, "server": server, "now_ms": now_ms, "expect": got}));
    }

    let voucher = |seen: Seen, key: &SigningKey, exp: i64| {
        sign_voucher(
            &VoucherPayload { iat: NOW - 120, exp, jti: "VOUCH00000000001".into(), aud: None, seen },
            "e1",
            key,
        )
    };
    let from_gadgets = Seen { referrer_host: Some("gadgets.com".into()), path: Some("/".into()), ..Default::default() };
    let typed = Seen {
        utm: BTreeMap::from([("source".into(), "gadgets.com".into())]),
        path: Some("/".into()),
        ..Default::default()
    };
    let issue_cases: Vec<(&str, &str, Option<String>, Option<String>)> = vec![
        (
            "the edge saw gadgets.com in the Referer",
            "aff-offer",
            Some(voucher(from_gadgets.clone(), &k.edge, NOW + 86_400)),
            None,
        ),
        ("a signed landing link", "aff-offer", None, Some(link_token.clone())),
        (
            "?utm_source=gadgets.com typed by hand, through the edge",
            "aff-offer",
            Some(voucher(typed, &k.edge, NOW + 86_400)),
            None,
        ),
        ("nothing vouches where the shopper came from", "aff-offer", None, None),
        (
            "a voucher forged with another key",
            "aff-offer",
            Some(voucher(from_gadgets.clone(), &k.stranger, NOW + 86_400)),
            None,
        ),
        ("an expired voucher", "aff-offer", Some(voucher(from_gadgets, &k.edge, NOW - 1)), None),
        ("free shipping rests on server facts: issued, re-checked at checkout", "hv-free-shipping", None, None),
        ("the registration reward", "anon-register", None, None),
        ("a banner", "aff-hero", None, None),
        ("an unknown campaign", "nope", None, None),
    ];
    let issuer =
        Issuer { kid: "c-2026-12", key: &k.claims, edge_keys: &edge_keys, link_keys: &link_keys, audience: None };
    let mut issue = Vec::new();
    for (name, campaign, voucher, link) in issue_cases {
        let request = ClaimRequest { campaign, voucher: voucher.as_deref(), link: link.as_deref() };
        let got = issue_expect(issue_claim(&engine, &request, &issuer, NOW_MS, "ISSUED0000000001".into()));
        issue.push(json!({"name": name, "request": {"campaign": campaign, "voucher": voucher, "link": link}, "now_ms": NOW_MS, "expect": got}));
    }

    let vectors = json!({
        "about": "Claim vectors (docs/offers.md): every case is replayed by crates/perso-claims/tests/vectors.rs and js/test/claims.test.mjs. Test keys only: the seeds are public.",
        "bundle": "www/bundle.json",
        "keys": key_specs,
        "seeds": {"c-2026-11": seed_hex(&k.claims_old), "c-2026-12": seed_hex(&k.claims), "e1": seed_hex(&k.edge), "l1": seed_hex(&k.links), "stranger": seed_hex(&k.stranger)},
        "verify": verify,
        "issue": issue,
    });
    let path = repo("tests/vectors/claims.json");
    if std::env::var_os("UPDATE_VECTORS").is_some() {
        std::fs::write(&path, serde_json::to_string_pretty(&vectors).unwrap_or_default() + "\n")
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let stored: Value = serde_json::from_slice(&std::fs::read(&path).unwrap_or_default()).unwrap_or_default();
    assert_eq!(stored, vectors, "tests/vectors/claims.json is out of date (UPDATE_VECTORS=1 rewrites it)");

    // What each attack gets, spelled out (the file could be regenerated wrong).
    let code = |name: &str| {
        vectors["verify"]
            .as_array()
            .into_iter()
            .flatten()
            .chain(vectors["issue"].as_array().into_iter().flatten())
            .find(|c| c["name"] == name)
            .map(|c| c["expect"].get("error").and_then(Value::as_str).unwrap_or("ok").to_owned())
            .unwrap_or_default()
    };
    for (name, expected) in [
        ("the affiliate's claim, vouched by the edge", "ok"),
        ("the affiliate's claim, vouched by a signed landing link", "ok"),
        ("signed with the previous key during a rotation", "ok"),
        ("Ada's free shipping over $100", "ok"),
        ("Ada's claim replayed for another cart, under $100", "claim_not_eligible"),
        ("the free-shipping claim for a shopper whose tier came from the console", "claim_not_eligible"),
        ("the registration reward on a first order", "ok"),
        ("the registration reward for a customer who ordered before", "claim_not_eligible"),
        ("a claim replayed after its expiry", "claim_expired"),
        ("a claim whose campaign was changed", "claim_signature"),
        ("a claim signed by another key under a trusted kid", "claim_signature"),
        ("a claim signed by a key nobody trusts", "claim_unknown_key"),
        ("a claim resting on a hand-typed utm_source (nothing vouched)", "claim_not_eligible"),
        ("a claim where the edge 'vouches' for a UTM tag it only read in the URL", "claim_not_eligible"),
        ("a claim with terms the bundle does not offer (50 %)", "claim_terms_changed"),
        ("a campaign that is no offer", "claim_not_claimable"),
        ("a landing link presented as a claim", "claim_type"),
        ("a claim from a newer bundle", "claim_newer_bundle"),
        ("a code read from the old bundle", "claim_malformed"),
        ("the edge saw gadgets.com in the Referer", "ok"),
        ("a signed landing link", "ok"),
        ("?utm_source=gadgets.com typed by hand, through the edge", "claim_not_eligible"),
        ("nothing vouches where the shopper came from", "claim_not_eligible"),
        ("a voucher forged with another key", "claim_voucher"),
        ("an expired voucher", "claim_voucher"),
        ("free shipping rests on server facts: issued, re-checked at checkout", "ok"),
        ("the registration reward", "ok"),
        ("a banner", "claim_not_claimable"),
        ("an unknown campaign", "claim_unknown_campaign"),
    ] {
        assert_eq!(code(name), expected, "{name}");
    }
}

#[test]
fn the_refusal_names_the_rule_and_the_issued_claim_round_trips() {
    let engine = engine();
    let k = keys();
    let keys = [TrustedKey { kid: Some("c".into()), key: k.claims.verifying_key().to_bytes() }];
    let issuer = Issuer { kid: "c", key: &k.claims, edge_keys: &[], link_keys: &[], audience: None };
    let request = ClaimRequest { campaign: "hv-free-shipping", voucher: None, link: None };
    let issued =
        issue_claim(&engine, &request, &issuer, NOW_MS, "0123456789ABCDEF".into()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(issued.display_code(), "0123-4567-89AB-CDEF");
    assert_eq!(issued.claim.exp, NOW + 604_800, "the offer's expires_in_s");
    let cart = json!({"items": [], "total": 60.0});
    let server = ServerFacts { customer: json!({"known": true, "ltv_band": "high"}), cart };
    let error = verify_claim(&issued.token, &keys, &engine, &server, NOW_MS).err().unwrap_or_else(|| panic!("refused"));
    let text = error.to_string();
    assert!(text.contains(r#"{">":[{"var":"cart.total"},100]}"#) && text.contains("hv-free-shipping"), "{text}");
    let server = ServerFacts { customer: json!({"known": true, "ltv_band": "high"}), cart: json!({"total": 150}) };
    let granted = verify_claim(&issued.token, &keys, &engine, &server, NOW_MS).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(granted.claim, issued.claim);
    assert_eq!(granted.kid, "c");
}
