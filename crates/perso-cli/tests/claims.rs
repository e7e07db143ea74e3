//! `perso sign-link`, `perso claim issue` and `perso claim verify` end to end, with
//! keys from `perso keygen` (kid, rotation) — the commands a store's scripts and
//! tests use (docs/offers.md).
mod common;
use assert_cmd::Command;
use common::{keygen, perso};

use predicates::prelude::*;
use serde_json::Value;

fn json_of(cmd: &mut Command) -> Value {
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

const NOW: &str = "2026-11-25T10:00:00Z";

#[test]
fn an_affiliate_link_becomes_a_claim_the_checkout_verifies() {
    let keys = tempfile::tempdir().unwrap();
    let (link_key, link_public) = keygen(keys.path(), "links-2026-11");
    let (claim_key, claim_public) = keygen(keys.path(), "claims-2026-11");

    let link = json_of(
        perso()
            .args(["sign-link", "--source", "Gadgets.com", "--medium", "affiliate", "--json", "--now", NOW])
            .args(["--url", "https://gizmos.example/?utm_source=gadgets.com#top", "--key"])
            .arg(&link_key),
    );
    let url = link["url"].as_str().unwrap();
    assert!(
        url.starts_with("https://gizmos.example/?utm_source=gadgets.com&perso_link=ey") && url.ends_with("#top"),
        "{url}"
    );
    assert_eq!(link["link"]["source"], "gadgets.com");
    let token = link["token"].as_str().unwrap();

    let issued = json_of(
        perso()
            .args(["claim", "issue", "--bundle", "www/bundle.json", "--campaign", "aff-offer", "--json", "--now", NOW])
            .args(["--link", token, "--link-keys", &link_public, "--key"])
            .arg(&claim_key),
    );
    assert_eq!(issued["claim"]["facts"][0]["by"], "link");
    assert_eq!(issued["claim"]["facts"][0]["value"], "gadgets.com");
    let claim = issued["token"].as_str().unwrap();
    assert_eq!(issued["display_code"].as_str().unwrap().len(), 19);

    perso()
        .args(["claim", "verify", claim, "--bundle", "www/bundle.json", "--keys", &claim_public, "--now", NOW])
        .assert()
        .success()
        .stdout(predicate::str::contains("valid: aff-offer").and(predicate::str::contains("ledger")));
    // A day later the claim has expired.
    perso()
        .args([
            "claim",
            "verify",
            claim,
            "--bundle",
            "www/bundle.json",
            "--keys",
            &claim_public,
            "--now",
            "2026-11-26T10:00:01Z",
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("claim refused (claim_expired)"));

    // Without the link nothing vouches where the shopper came from: refused at once.
    perso()
        .args(["claim", "issue", "--bundle", "www/bundle.json", "--campaign", "aff-offer", "--now", NOW, "--key"])
        .arg(&claim_key)
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("claim_not_eligible").and(predicate::str::contains("session.entry_referrer_host")),
        );
    // A link signed with a key the store does not trust for links.
    perso()
        .args([
            "claim",
            "issue",
            "--bundle",
            "www/bundle.json",
            "--campaign",
            "aff-offer",
            "--now",
            NOW,
            "--link",
            token,
        ])
        .args(["--link-keys", &claim_public, "--key"])
        .arg(&claim_key)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("claim_voucher"));
}

#[test]
fn free_shipping_over_100_and_key_rotation() {
    let keys = tempfile::tempdir().unwrap();
    let (old_key, old_public) = keygen(keys.path(), "claims-2026-11");
    let (_new_key, new_public) = keygen(keys.path(), "claims-2026-12");
    let out = perso()
        .args([
            "claim",
            "issue",
            "--bundle",
            "www/bundle.json",
            "--campaign",
            "hv-free-shipping",
            "--now",
            NOW,
            "--key",
        ])
        .arg(&old_key)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let claim = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let both = format!("{new_public} {old_public}");
    let ada = r#"{"known": true, "first_name": "Ada", "ltv_band": "high"}"#;
    let verify = |keys: &str, customer: &str, cart: &str| {
        let mut cmd = perso();
        cmd.args([
            "claim",
            "verify",
            &claim,
            "--bundle",
            "www/bundle.json",
            "--now",
            NOW,
            "--keys",
            keys,
            "--customer",
            customer,
            "--cart",
            cart,
        ]);
        cmd
    };
    // During a rotation both keys are trusted; the claim signed with the old one holds.
    verify(&both, ada, "HP-100").assert().success();
    verify(&both, ada, "SP-200")
        .assert()
        .code(1)
        .stderr(predicate::str::contains(r#"{">":[{"var":"cart.total"},100]}"#));
    verify(&both, r#"{"known": false}"#, "HP-100")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("claim_not_eligible"));
    // Once the old key is retired, its claims are refused by kid.
    verify(&new_public, ada, "HP-100").assert().code(1).stderr(predicate::str::contains("claim_unknown_key"));
    // The compiled form a checkout loads answers the same.
    let site = tempfile::tempdir().unwrap();
    perso()
        .args(["publish", "www/bundle.json", "--key"])
        .arg(&old_key)
        .arg("--out-dir")
        .arg(site.path())
        .assert()
        .success();
    let bin = site.path().join("bundle.bin");
    let mut cmd = perso();
    cmd.args([
        "claim",
        "verify",
        &claim,
        "--now",
        NOW,
        "--keys",
        &both,
        "--customer",
        ada,
        "--cart",
        "HP-100",
        "--bundle",
    ])
    .arg(&bin);
    cmd.assert().success().stdout(predicate::str::contains("valid: hv-free-shipping"));
}
