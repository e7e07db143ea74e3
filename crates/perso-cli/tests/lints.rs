//! The mistakes a marketer makes first, each through `perso validate` on an
//! authoring file: the warning (or error) it must produce, its did-you-mean, and the
//! line it must point at.
mod common;
use common::perso;

use serde_json::Value;
use std::path::Path;

const HEAD: &str = "\
expires_at: 2030-01-01T00:00:00Z
context:
  custom.loyalty_tier: string
placements:
  - id: hero
  - id: popup
  - id: chat
  - id: cross_sell
campaigns:
";

/// `perso validate --json` of an authoring file: (exit ok, report).
fn validate(dir: &Path, name: &str, yaml: &str) -> (bool, Value) {
    let path = dir.join(name);
    std::fs::write(&path, yaml).unwrap();
    let out = perso().arg("validate").arg(&path).args(["--json", "--now", "2026-11-25"]).output().unwrap();
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    });
    (out.status.success(), report)
}

fn line_of(yaml: &str, needle: &str) -> usize {
    yaml.lines().position(|l| l.contains(needle)).unwrap_or_else(|| panic!("{needle} not in the file")) + 1
}

/// A hero banner for everyone else, so no placement is empty.
const FILLERS: &str = "  - campaign:
      id: default-hero
      placement: hero
      priority: -1
      action: { kind: banner, title: Welcome }
  - cart_chat:
      id: chat
  - cross_sell:
      id: xsell
      title: Goes well with
      fallback: [A]
  - campaign:
      id: popup
      placement: popup
      priority: -1
      condition: { \">=\": [{ var: session.pages_viewed }, 2] }
      action: { kind: chat, message: Hi }
products:
  A: { name: A, url: /a, category: audio, price: 10 }
";

#[test]
fn lint_table_each_typo_its_warning_its_suggestion_its_line() {
    // (condition clause as written, code, words of the message, the needle of its line)
    let cases: &[(&str, &str, &str)] = &[
        ("in: [{ var: customer.ltvband }, [high, top]]", "unknown-path", "did you mean `customer.ltv_band`?"),
        ("in: [audio, { var: visitor.interest }]", "unknown-path", "did you mean `visitor.interests`?"),
        (
            "\"==\": [{ var: session.utm.source }, news]",
            "unknown-path",
            "did you mean `session.entry_utm.source` or `page.utm.source`?",
        ),
        ("\"==\": [{ var: customer.known }, \"yes\"]", "type-mismatch", "compare it with true or false, not \"yes\""),
        ("\"==\": [{ var: custom.loyalty }, gold]", "unknown-path", "did you mean `custom.loyalty_tier`?"),
        ("\"==\": [{ var: custom.points }, 3]", "unknown-path", "is not declared: declare it"),
        ("\"==\": [{ var: page.type }, homepage]", "unknown-value", "it is one of home, category, product"),
        ("\">\": [{ var: cart.total }, lots]", "type-mismatch", "`cart.total` is a number, ordered against \"lots\""),
        ("in: [{ var: customer.ltv_band }, [1, 2]]", "type-mismatch", "the list holds 1"),
        ("in: [{ var: visitor.interests }, [audio, video]]", "type-mismatch", "write `some: [{var: visitor.interests}"),
        (
            "\"==\": [{ var: visitor.interests }, audio]",
            "type-mismatch",
            "write `in: [\"audio\", {var: visitor.interests}]`",
        ),
        ("in: [HP-100, { var: cart.items }]", "type-mismatch", "to test for a sku"),
        (
            "some: [{ var: cart.items }, { \"==\": [{ var: categry }, audio] }]",
            "unknown-path",
            "did you mean `category`?",
        ),
        ("starts_with: [{ var: cart.count }, \"1\"]", "type-mismatch", "not text"),
    ];
    let dir = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for (i, (clause, code, words)) in cases.iter().enumerate() {
        let yaml = format!(
            "{HEAD}  - campaign:\n      id: c{i}\n      placement: hero\n      condition:\n        and:\n          - \">=\": [{{ var: cart.count }}, 0]\n          - {clause}\n      action: {{ kind: banner, title: T }}\n{FILLERS}"
        );
        let (ok, report) = validate(dir.path(), &format!("case{i}.yaml"), &yaml);
        let expected_line = line_of(&yaml, clause);
        let warnings = report["warnings"].as_array().cloned().unwrap_or_default();
        let hit = warnings.iter().find(|w| w["code"] == *code && w["message"].as_str().unwrap_or("").contains(words));
        match hit {
            Some(w) if ok && w["line"] == expected_line && w["campaign"] == format!("c{i}") => {}
            _ => failures
                .push(format!("{clause}: expected {code} `...{words}...` at line {expected_line}, got {warnings:#?}")),
        }
        // Nothing else but that one finding (no noise from the fillers).
        if warnings.len() != 1 {
            failures.push(format!("{clause}: {} warnings, expected 1: {warnings:#?}", warnings.len()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn the_correct_spellings_are_silent() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = format!(
        "{HEAD}  - campaign:\n      id: ok\n      placement: hero\n      condition:\n        and:\n          - in: [{{ var: customer.ltv_band }}, [high, top]]\n          - in: [audio, {{ var: visitor.interests }}]\n          - \"==\": [{{ var: session.entry_utm.source }}, news]\n          - \"==\": [{{ var: customer.known }}, true]\n          - \"==\": [{{ var: custom.loyalty_tier }}, gold]\n          - \"==\": [{{ var: page.type }}, home]\n          - some: [{{ var: cart.items }}, {{ \"==\": [{{ var: category }}, audio] }}]\n          - \">=\": [{{ var: customer.rfm.score }}, \"12\"]\n      action: {{ kind: welcome, template: \"Hi {{customer.first_name}}\" }}\n{FILLERS}"
    );
    let (ok, report) = validate(dir.path(), "ok.yaml", &yaml);
    assert!(ok, "{report:#}");
    assert_eq!(report["warnings"], serde_json::json!([]), "{report:#}");
}

#[test]
fn yaml_traps_are_warnings_at_their_lines() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&str, &str)] = &[
        ("title: Top 5 #1 seller", "yaml-comment"),
        ("title: \"Sale \"", "yaml-space"),
        ("body: \"Free\\tshipping\"", "yaml-tab"),
        ("title: no", "yaml-boolean"),
    ];
    for (i, (field, code)) in cases.iter().enumerate() {
        let title = if field.starts_with("title") { "" } else { "        title: T\n" };
        let yaml = format!("{HEAD}  - campaign:\n      id: t\n      placement: hero\n      action:\n        kind: banner\n{title}        {field}\n{FILLERS}");
        let (ok, report) = validate(dir.path(), &format!("trap{i}.yaml"), &yaml);
        let warnings = report["warnings"].as_array().cloned().unwrap_or_default();
        assert!(ok, "{report:#}");
        assert!(
            warnings.iter().any(|w| w["code"] == *code && w["line"] == line_of(&yaml, field)),
            "{field}: {warnings:#?}"
        );
    }
    // A number where text was meant: the YAML trap first, then the engine's refusal.
    let yaml = format!("{HEAD}  - campaign:\n      id: n\n      placement: popup\n      action: {{ kind: offer, title: T, code: 0123, single_use: true, expires_in_s: 60 }}\n{FILLERS}");
    let (ok, report) = validate(dir.path(), "number.yaml", &yaml);
    assert!(!ok);
    assert_eq!(report["warnings"][0]["code"], "yaml-number", "{report:#}");
    assert!(report["warnings"][0]["message"].as_str().unwrap().contains("quote it, `code: \"0123\"`"));
    assert_eq!(report["errors"][0]["path"], "campaigns[0].action.code", "{report:#}");
    // `enabled: yes` is text in YAML 1.2: the trap, then the structure error that names it.
    let path = dir.path().join("yes.yaml");
    std::fs::write(&path, format!("{HEAD}  - cart_chat:\n      id: c\n      enabled: yes\n")).unwrap();
    let out = perso().arg("validate").arg(&path).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("warning[yaml-boolean]") && stderr.contains("write true"), "{stderr}");
}

#[test]
fn lines_point_at_the_template_and_the_second_duplicate() {
    let dir = tempfile::tempdir().unwrap();
    // A template's warning at the template, not at the next campaign's `action:`.
    let yaml = format!(
        "{HEAD}  - cross_sell:\n      id: empty-xsell\n      title: Also bought\n  - campaign:\n      id: next\n      placement: hero\n      action: {{ kind: banner, title: T }}\n  - cart_chat:\n      id: chat\n  - campaign:\n      id: p\n      placement: popup\n      action: {{ kind: chat }}\n"
    );
    let (_, report) = validate(dir.path(), "template.yaml", &yaml);
    let warning = report["warnings"].as_array().unwrap().iter().find(|w| w["code"] == "recommend-nothing").cloned();
    assert_eq!(warning.map(|w| w["line"].clone()), Some(line_of(&yaml, "- cross_sell:").into()), "{report:#}");
    // A duplicate id at its second occurrence.
    let yaml = format!(
        "{HEAD}  - campaign:\n      id: twice\n      placement: hero\n      action: {{ kind: banner, title: A }}\n  - campaign:\n      id: twice\n      placement: hero\n      action: {{ kind: banner, title: B }}\n"
    );
    let (ok, report) = validate(dir.path(), "duplicate.yaml", &yaml);
    assert!(!ok);
    let second = yaml.lines().enumerate().filter(|(_, l)| l.contains("id: twice")).nth(1).unwrap().0 + 1;
    assert_eq!(report["errors"][0]["line"], second, "{report:#}");
    assert!(report["errors"][0]["message"].as_str().unwrap().contains("duplicate campaign id"));
}

#[test]
fn root_causes_first() {
    let dir = tempfile::tempdir().unwrap();
    // A mistyped kind is the one error: its fields are not also "unknown".
    let yaml = format!(
        "{HEAD}  - campaign:\n      id: k\n      placement: hero\n      action: {{ kind: bannr, title: T, body: B, cta: {{ label: Go, url: / }} }}\n"
    );
    let (ok, report) = validate(dir.path(), "kind.yaml", &yaml);
    assert!(!ok);
    let errors = report["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(errors[0]["message"].as_str().unwrap().contains("(did you mean \"banner\"?)"), "{errors:#?}");
    assert_eq!(errors[0]["line"], line_of(&yaml, "kind: bannr"));
    // A field outdented by mistake: not just "missing field", but where it went.
    let path = dir.path().join("slip.yaml");
    std::fs::write(
        &path,
        "expires_at: 2030-01-01\nplacements: [{ id: hero }]\nsegments:\n  - id: anonymous\n    description: Not signed in\ncondition:\n  \"!\": { var: customer.known }\ncampaigns: []\n",
    )
    .unwrap();
    let out = perso().arg("validate").arg(&path).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("segments[0]: missing field `condition`; a `condition:` is on line 6, column 1, where its indentation makes it part of the top level of the file: indent it to column 5"),
        "{stderr}"
    );
    // A mistyped template name, with its suggestion.
    std::fs::write(&path, format!("{HEAD}  - free_shiping:\n      id: f\n")).unwrap();
    let out = perso().arg("validate").arg(&path).output().unwrap();
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("unknown entry `free_shiping`: did you mean `free_shipping`?")
    );
}

#[test]
fn an_expired_bundle_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = format!("{}{FILLERS}", HEAD.replace("2030-01-01T00:00:00Z", "2026-01-01T00:00:00Z"));
    let (ok, report) = validate(dir.path(), "expired.yaml", &yaml);
    assert!(!ok, "{report:#}");
    assert_eq!(report["errors"][0]["path"], "expires_at");
    assert_eq!(report["errors"][0]["line"], 1);
    assert!(report["errors"][0]["message"].as_str().unwrap().contains("every host refuses it"));
}

/// Regression (issue 11): lints read the bundle with the engine's one reader, so a
/// scroll trigger without `percent` is the default 50, as the engine reads it. The
/// CLI's old serde reader refused it and printed "0 warning(s)" for a campaign that
/// can never match.
#[test]
fn a_scroll_trigger_without_percent_lints_as_percent_50() {
    let dir = tempfile::tempdir().unwrap();
    let campaign = |trigger: &str| {
        format!(
            "{HEAD}  - campaign:\n      id: never\n      placement: popup\n      trigger: {trigger}\n      condition:\n        and:\n          - \">=\": [{{ var: cart.count }}, 3]\n          - \"<\": [{{ var: cart.count }}, 2]\n      action: {{ kind: chat }}\n{FILLERS}"
        )
    };
    let codes = |report: &Value| -> Vec<(String, String)> {
        report["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| (w["code"].as_str().unwrap().to_owned(), w["path"].as_str().unwrap().to_owned()))
            .collect()
    };
    let (_, default) = validate(dir.path(), "default.yaml", &campaign("{ on: scroll }"));
    let (_, fifty) = validate(dir.path(), "fifty.yaml", &campaign("{ on: scroll, percent: 50 }"));
    assert!(codes(&default).contains(&("never-matches".into(), "campaigns[0]".into())), "{default:#}");
    assert_eq!(codes(&default), codes(&fifty));
}
