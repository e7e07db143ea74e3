//! Helpers shared by the CLI's integration tests: the CLI run from the repository, keys
//! from `perso keygen`, simulated exports, and comparing the native tables with an engine's.
#![allow(dead_code)]

use assert_cmd::Command;
use std::path::{Path, PathBuf};

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn tests_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests")
}

pub fn perso() -> Command {
    let mut cmd = Command::cargo_bin("perso").unwrap();
    cmd.current_dir(repo());
    cmd
}

/// Creates a key outside any repository; returns (key file, "kid:BASE64").
pub fn keygen(dir: &Path, kid: &str) -> (PathBuf, String) {
    let out = perso().args(["keygen", "--kid", kid, "--dir"]).arg(dir).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    (dir.join(format!("{kid}.key")), String::from_utf8(out.stdout).unwrap().trim().to_owned())
}

/// `perso sample-exposures` into `dir` with these extra arguments.
pub fn sample(dir: &Path, args: &[&str]) {
    perso().arg("sample-exposures").arg("--out-dir").arg(dir).args(args).assert().success();
}

/// A small export with every rule exercised at once, as the plain pair, GA4 JSON lines
/// and GA4 CSV of the same events: three campaigns (one with a 45/55 split, one with
/// three arms), mixed variants, duplicate and early orders.
pub fn mixed_export(dir: &Path, format: &str) -> PathBuf {
    let out = dir.join(format);
    let parts = [
        (
            "1",
            vec!["--campaign", "aff-hero", "--visitors", "6000", "--lift", "0.6", "--variants", "a:45,b:45,holdout:10"],
        ),
        ("2", vec!["--campaign", "free-shipping", "--visitors", "5000", "--split", "a:45,holdout:55", "--days", "5"]),
        ("3", vec!["--campaign", "hv-welcome", "--visitors", "700", "--base-rate", "0.1", "--lift", "-0.1"]),
    ];
    for (seed, args) in &parts {
        let mut all = vec!["--format", format, "--seed", seed];
        all.extend(args);
        sample(&out.join(seed), &all);
    }
    let files: &[&str] = match format {
        "plain" => &["exposures.csv", "orders.csv"],
        "ga4-jsonl" => &["events.jsonl"],
        _ => &["events.csv"],
    };
    for file in files {
        let mut text = String::new();
        for (i, (seed, _)) in parts.iter().enumerate() {
            let part = std::fs::read_to_string(out.join(seed).join(file)).unwrap();
            let skip_header = i > 0 && file.ends_with(".csv");
            text.push_str(if skip_header { part.split_once('\n').unwrap().1 } else { &part });
        }
        std::fs::write(out.join(file), text).unwrap();
    }
    out
}

fn read_rows(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header = reader.headers().unwrap().iter().map(str::to_owned).collect();
    let mut rows: Vec<Vec<String>> = reader.records().map(|r| r.unwrap().iter().map(str::to_owned).collect()).collect();
    rows.sort();
    (header, rows)
}

/// Equal tables: same header, same rows (in any order); integers and text exactly,
/// other numbers to 1e-9 relative (the engines sum doubles in their own order).
pub fn assert_same_table(native: &Path, engine: &Path) {
    let (h1, a) = read_rows(native);
    let (h2, b) = read_rows(engine);
    assert_eq!(h1, h2, "{} vs {}: columns", native.display(), engine.display());
    assert_eq!(a.len(), b.len(), "{} vs {}: row counts", native.display(), engine.display());
    assert!(!a.is_empty(), "{}: no rows", native.display());
    for (x, y) in a.iter().zip(&b) {
        for (i, (u, v)) in x.iter().zip(y).enumerate() {
            if u == v {
                continue;
            }
            let (p, q): (f64, f64) = match (u.parse(), v.parse()) {
                (Ok(p), Ok(q)) => (p, q),
                _ => panic!("{}: column {} differs: {x:?} vs {y:?}", native.display(), h1[i]),
            };
            assert!(
                (p - q).abs() <= 1e-9 * p.abs().max(q.abs()) + 1e-15,
                "{}: column {}: {p} vs {q}\n{x:?}\n{y:?}",
                native.display(),
                h1[i]
            );
        }
    }
}

/// Runs a Python helper beside the tests; fails the test with its stderr.
pub fn python(script: &str, args: &[&std::ffi::OsStr]) -> String {
    let out = std::process::Command::new("python3")
        .arg(tests_dir().join(script))
        .args(args)
        .output()
        .expect("python3 is needed (bash crates/perso-cli/ci-setup.sh installs its packages)");
    assert!(
        out.status.success(),
        "{script} failed (install its packages with `bash crates/perso-cli/ci-setup.sh`):\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A jobs file for run_sql_duckdb_jobs.py / run_sql_spark.py.
pub struct Job {
    pub name: String,
    pub sql: PathBuf,
    pub runs: u32,
    pub inputs: Vec<(&'static str, PathBuf)>,
    /// (view, csv file name)
    pub outputs: Vec<(&'static str, &'static str)>,
}

pub fn jobs_file(path: &Path, jobs: &[Job], out_dir: &Path) {
    let jobs: Vec<serde_json::Value> = jobs
        .iter()
        .map(|j| {
            serde_json::json!({
                "name": j.name,
                "sql": j.sql,
                "runs": j.runs,
                "inputs": j.inputs.iter().map(|(kind, path)| serde_json::json!({"kind": kind, "path": path})).collect::<Vec<_>>(),
                "outputs": j.outputs.iter().map(|(view, file)| serde_json::json!({"view": view, "csv": out_dir.join(&j.name).join(file)})).collect::<Vec<_>>(),
            })
        })
        .collect();
    std::fs::write(path, serde_json::to_vec_pretty(&serde_json::json!({ "jobs": jobs })).unwrap()).unwrap();
}

pub const REPORT_OUTPUTS: [(&str, &str); 2] =
    [("perso_report_arms", "arms.csv"), ("perso_report_campaigns", "campaigns.csv")];
