//! End-to-end tests of `perso keygen`, `sign`, `verify` and `publish`.

mod common;
use common::{keygen, perso, repo};
use predicates::prelude::*;
use serde_json::Value;
use std::path::Path;

#[test]
fn keys_are_never_written_into_a_repository() {
    perso()
        .args(["keygen", "--kid", "k1", "--dir", "data/keys"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("inside the git work tree"));
    assert!(!repo().join("data/keys").exists());
    let dir = tempfile::tempdir().unwrap();
    let (key, public) = keygen(dir.path(), "2026-11");
    assert!(public.starts_with("2026-11:"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
    }
    // A kid names one key forever.
    perso()
        .args(["keygen", "--kid", "2026-11", "--dir"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("exists already"));
    perso().args(["keygen", "--kid", "bad kid", "--dir"]).arg(dir.path()).assert().code(2);
}

#[test]
fn sign_and_verify_with_rotating_keys() {
    let keys = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let (old_key, old_public) = keygen(keys.path(), "2026-10");
    let (new_key, new_public) = keygen(keys.path(), "2026-11");
    let bundle = work.path().join("bundle.json");
    std::fs::copy(repo().join("www/bundle.json"), &bundle).unwrap();
    perso().arg("sign").arg(&bundle).arg("--key").arg(&new_key).assert().success();
    let sig: Value = serde_json::from_slice(&std::fs::read(work.path().join("bundle.json.sig")).unwrap()).unwrap();
    assert_eq!(sig["alg"], "Ed25519");
    assert_eq!(sig["kid"], "2026-11");
    assert_eq!(sig.as_object().unwrap().len(), 3);
    let both = format!("{old_public} {new_public}");
    let verify = |trusted: &str| {
        let mut cmd = perso();
        cmd.arg("verify").arg(&bundle).args(["--keys", trusted, "--now", "2026-11-25"]);
        cmd
    };
    verify(&both).assert().success().stdout(predicate::str::contains("signed by kid 2026-11"));
    // A lone key (no kid) is trusted whatever the kid, as data-key="BASE64" is.
    verify(new_public.split_once(':').unwrap().1).assert().success();
    verify(&old_public).assert().code(1).stderr(predicate::str::contains("no trusted key has kid `2026-11`"));
    // Signed with the old key while the new one is trusted under that kid: mismatch.
    perso().arg("sign").arg(&bundle).arg("--key").arg(&old_key).assert().success();
    verify(&format!("2026-10:{}", new_public.split_once(':').unwrap().1))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("does not match"));
    // One changed byte breaks the signature.
    perso().arg("sign").arg(&bundle).arg("--key").arg(&new_key).assert().success();
    let mut bytes = std::fs::read(&bundle).unwrap();
    let at = bytes.iter().position(|b| *b == b'9').unwrap();
    bytes[at] = b'8';
    std::fs::write(&bundle, &bytes).unwrap();
    verify(&both).assert().code(1).stderr(predicate::str::contains("does not match its signature"));
    // Nothing that would not load is signed.
    let broken = work.path().join("broken.json");
    std::fs::write(&broken, r#"{"version": 1}"#).unwrap();
    perso()
        .arg("sign")
        .arg(&broken)
        .arg("--key")
        .arg(&new_key)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("invalid"));
    assert!(!work.path().join("broken.json.sig").exists());
    verify("not-base64!")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("trusted key \"not-base64!\" is not a base64 Ed25519 public key"));
}

fn serial_of(path: &Path) -> u64 {
    let bundle: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    bundle["serial"].as_u64().unwrap()
}

#[test]
fn publish_always_moves_the_serial_forward() {
    let keys = tempfile::tempdir().unwrap();
    let site = tempfile::tempdir().unwrap();
    let (key, public) = keygen(keys.path(), "2026-11");
    let publish = |input: &str| {
        let mut cmd = perso();
        cmd.args(["publish", input, "--key"])
            .arg(&key)
            .arg("--out-dir")
            .arg(site.path())
            .args(["--now", "2026-11-25T10:00:00Z"]);
        cmd
    };
    let published = site.path().join("bundle.json");
    publish("data/gizmos.perso.yaml")
        .assert()
        .success()
        .stdout(predicate::str::contains("published serial 2 (previous none)"));
    assert_eq!(serial_of(&published), 2);
    // Switching a campaign off is one command and a newer serial.
    publish("data/gizmos.perso.yaml").args(["--disable", "aff-offer"]).assert().success();
    assert_eq!(serial_of(&published), 3);
    let bundle: Value = serde_json::from_slice(&std::fs::read(&published).unwrap()).unwrap();
    let offer = bundle["campaigns"].as_array().unwrap().iter().find(|c| c["id"] == "aff-offer").unwrap();
    assert_eq!(offer["enabled"], false);
    assert_eq!(bundle["issued_at"], "2026-11-25T10:00:00Z");
    // Republishing old content (the archived serial 2) is serial 4, not a rollback.
    let archived = site.path().join("archive/bundle-2.json");
    publish(archived.to_str().unwrap()).args(["--expires-in-days", "30"]).assert().success();
    assert_eq!(serial_of(&published), 4);
    let bundle: Value = serde_json::from_slice(&std::fs::read(&published).unwrap()).unwrap();
    assert_eq!(bundle["expires_at"], "2026-12-25T10:00:00Z");
    // Hosts accept it after serial 3 and refuse the archived serial 2 after it.
    perso()
        .arg("verify")
        .arg(&published)
        .args(["--keys", &public, "--last-serial", "3", "--now", "2026-11-26"])
        .assert()
        .success()
        .stdout(predicate::str::contains("serial 4"));
    let sig = site.path().join("archive/bundle-2.json.sig");
    std::fs::write(&sig, std::fs::read(site.path().join("bundle.json.sig")).unwrap()).unwrap();
    perso().args(["sign"]).arg(&archived).arg("--key").arg(&key).assert().success();
    perso()
        .arg("verify")
        .arg(&archived)
        .args(["--keys", &public, "--last-serial", "4", "--now", "2026-11-26"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("rollback refused"));
    // The published bundle never holds a private key.
    let secret: Value = serde_json::from_slice(&std::fs::read(&key).unwrap()).unwrap();
    let text = std::fs::read_to_string(&published).unwrap();
    assert!(!text.contains(secret["secret"].as_str().unwrap()));
    // Unknown campaign, expired result, missing key: refused with a reason.
    publish("data/gizmos.perso.yaml")
        .args(["--disable", "nope"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no campaign has id `nope`"));
    perso()
        .args(["publish", "www/bundle.json", "--key"])
        .arg(&key)
        .arg("--out-dir")
        .arg(site.path())
        .args(["--now", "2029-01-01"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("expired"));
    assert_eq!(serial_of(&published), 4, "a refused publish writes nothing");
    perso()
        .args(["publish", "www/bundle.json", "--key", "/no/such.key", "--out-dir"])
        .arg(site.path())
        .assert()
        .code(1);
}

/// What `perso publish` signs, WebCrypto (the browser's and the edge's verifier) accepts;
/// one changed byte, it refuses.
#[test]
fn webcrypto_accepts_what_perso_signs() {
    let keys = tempfile::tempdir().unwrap();
    let site = tempfile::tempdir().unwrap();
    let (key, public) = keygen(keys.path(), "2026-11");
    perso()
        .args(["publish", "data/gizmos.perso.yaml", "--key"])
        .arg(&key)
        .arg("--out-dir")
        .arg(site.path())
        .args(["--now", "2026-11-25"])
        .assert()
        .success();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/webcrypto_verify.mjs");
    let bundle = site.path().join("bundle.json");
    let webcrypto = |bundle: &Path| {
        let out = std::process::Command::new("node")
            .arg(&script)
            .arg(bundle)
            .arg(site.path().join("bundle.json.sig"))
            .arg(public.split_once(':').unwrap().1)
            .output()
            .expect("node (20+) is needed for the WebCrypto cross-check");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    };
    assert_eq!(webcrypto(&bundle), "valid");
    let tampered = site.path().join("tampered.json");
    let text =
        std::fs::read_to_string(&bundle).unwrap().replace("10% off your next purchase", "90% off your next purchase");
    std::fs::write(&tampered, text).unwrap();
    assert_eq!(webcrypto(&tampered), "invalid");
}

#[test]
fn publish_preview_signs_a_draft_apart_and_prints_the_link() {
    let keys = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let (production, _) = keygen(keys.path(), "2026-11");
    let (preview, preview_public) = keygen(keys.path(), "preview-qa");
    // Production first, so the draft's serial is above it.
    perso()
        .args(["publish", "data/gizmos.perso.yaml", "--now", "2026-11-25T12:00:00Z", "--key"])
        .arg(&production)
        .arg("--out-dir")
        .arg(out.path())
        .assert()
        .success();
    let production_bytes = std::fs::read(out.path().join("bundle.bin")).unwrap();
    let result = perso()
        .args(["publish", "data/gizmos.perso.yaml", "--preview", "--now", "2026-11-25T12:00:00Z", "--key"])
        .arg(&preview)
        .arg("--out-dir")
        .arg(out.path())
        .args(["--served-at", "/perso/", "--page", "https://shop.example/", "--force-campaign", "aff-hero"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&result.stdout);
    assert!(result.status.success(), "{}", String::from_utf8_lossy(&result.stderr));
    assert!(
        stdout.contains(
            "preview link: https://shop.example/?perso_preview=/perso/preview/bundle.bin&perso_campaign=aff-hero"
        ),
        "{stdout}"
    );
    assert!(stdout.contains(&format!("data-preview-keys=\"{preview_public}\"")), "{stdout}");
    // The draft is apart; production and its archive are untouched.
    assert_eq!(std::fs::read(out.path().join("bundle.bin")).unwrap(), production_bytes);
    assert!(!out.path().join("archive/bundle-3.json").exists());
    let draft: Value = serde_json::from_slice(&std::fs::read(out.path().join("preview/bundle.json")).unwrap()).unwrap();
    assert_eq!(draft["serial"], 3);
    assert_eq!(draft["expires_at"], "2026-12-02T12:00:00Z", "a draft lives a week at most");
    for file in ["preview/bundle.json", "preview/bundle.bin"] {
        let sig: Value =
            serde_json::from_slice(&std::fs::read(out.path().join(format!("{file}.sig"))).unwrap()).unwrap();
        assert_eq!(sig["kid"], "preview-qa", "{file}");
    }
    perso()
        .arg("verify")
        .arg(out.path().join("preview/bundle.json"))
        .args(["--keys", &preview_public, "--now", "2026-11-26"])
        .assert()
        .success();
    // Keys keep their roles.
    perso()
        .args(["publish", "data/gizmos.perso.yaml", "--key"])
        .arg(&preview)
        .arg("--out-dir")
        .arg(out.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is a preview key"));
    perso()
        .args(["publish", "data/gizmos.perso.yaml", "--preview", "--key"])
        .arg(&production)
        .arg("--out-dir")
        .arg(out.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("signs with a preview key"));
    perso()
        .args(["publish", "data/gizmos.perso.yaml", "--preview", "--force-campaign", "nope", "--key"])
        .arg(&preview)
        .arg("--out-dir")
        .arg(out.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no campaign of the draft has this id"));
}

#[test]
fn the_stores_serial_record_and_the_longest_life() {
    let keys = tempfile::tempdir().unwrap();
    let record_dir = tempfile::tempdir().unwrap();
    let (key, _) = keygen(keys.path(), "2026-11");
    let record = record_dir.path().join("perso-serial");
    std::fs::write(&record, "41\n").unwrap();
    // A fresh folder (a new machine, a new bucket): the store's record keeps the serial going up.
    let fresh = tempfile::tempdir().unwrap();
    let publish = |site: &Path| {
        let mut cmd = perso();
        cmd.args(["publish", "data/gizmos.perso.yaml", "--key"])
            .arg(&key)
            .arg("--out-dir")
            .arg(site)
            .args(["--now", "2026-11-25T10:00:00Z"]);
        cmd
    };
    publish(fresh.path())
        .arg("--serial-file")
        .arg(&record)
        .assert()
        .success()
        .stdout(predicate::str::contains("published serial 42 (previous 41)"));
    assert_eq!(std::fs::read_to_string(&record).unwrap(), "42\n", "the record moves with each publish");
    // Without the record, a fresh folder says what it cannot know.
    let other = tempfile::tempdir().unwrap();
    publish(other.path()).assert().success().stderr(predicate::str::contains("no earlier serial known"));
    // The source says 2030; what is published lives 30 days at most.
    let bundle: Value = serde_json::from_slice(&std::fs::read(fresh.path().join("bundle.json")).unwrap()).unwrap();
    assert_eq!(bundle["expires_at"], "2026-12-25T10:00:00Z");
    publish(fresh.path())
        .args(["--expires-in-days", "90"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("beyond --max-expiry-days 30"));
    publish(fresh.path()).args(["--expires-in-days", "90", "--max-expiry-days", "120"]).assert().success();
    std::fs::write(&record, "forty\n").unwrap();
    publish(fresh.path())
        .arg("--serial-file")
        .arg(&record)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("not a serial"));
}
