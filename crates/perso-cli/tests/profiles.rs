//! End-to-end tests of `perso profiles` and `perso sample-orders`, including the SQL
//! run on DuckDB against the native output.

mod common;
use common::{perso, repo};
use predicates::prelude::*;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

const HEADER: &str = "customer_id,order_id,date,sku,category,quantity,price\n";

/// The hand-computed case of `profiles::affinity` tests, as a CSV with bad rows mixed in.
fn small_history(dir: &Path) -> PathBuf {
    let csv = format!(
        "{HEADER}\
         C1,O1,2026-01-10,A,x,1,10.00\n\
         C1,O1,2026-01-10,B,x,2,5.00\n\
         C2,O2,2026-01-20,A,x,1,10.00\n\
         C2,O2,2026-01-20,B,x,1,5.00\n\
         C2,O2,2026-01-20,C,x,1,1.005\n\
         C3,O3,2026-01-05,A,x,1,10.00\n\
         C3,O3,2026-01-05,C,x,1,1.00\n\
         C4,O4,2026-01-30,B,x,1,5.00\n\
         C5,O5,2026-01-15,D,y,3,2.50\n\
         C6,O6,2026-02-30,A,x,1,10.00\n\
         C6,O7,2026-01-15,A,x,one,10.00\n\
         C9,O1,2026-01-10,D,y,1,2.50\n"
    );
    let path = dir.join("orders.csv");
    std::fs::write(&path, csv).unwrap();
    path
}

#[test]
fn small_history_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let orders = small_history(dir.path());
    let customers = dir.path().join("customers.jsonl");
    let affinity = dir.path().join("affinity.json");
    perso()
        .arg("profiles")
        .arg(&orders)
        .args(["--min-support", "0", "--customers-out"])
        .arg(&customers)
        .arg("--affinity-out")
        .arg(&affinity)
        .assert()
        .success()
        .stderr(predicate::str::contains("line 11, field `date`: `2026-02-30` is not a date"))
        .stderr(predicate::str::contains("line 12, field `quantity`: `one` is not a positive whole number"))
        .stderr(predicate::str::contains(
            "line 13, field `order_id`: order `O1` already belongs to customer `C1`, not `C9`",
        ))
        .stderr(predicate::str::contains("9 lines (3 skipped), 5 orders, 5 customers"));
    let table: Value = serde_json::from_slice(&std::fs::read(&affinity).unwrap()).unwrap();
    assert_eq!(table["items"]["A"], json!([["C", 0.6667], ["B", 0.6667]]));
    assert_eq!(table["items"]["B"], json!([["A", 0.6667]]));
    assert_eq!(table["items"]["C"], json!([["A", 1.0]]));
    assert_eq!(table["categories"]["x"], json!([["A", 0.75], ["B", 0.75], ["C", 0.5]]));
    assert_eq!(table["categories"]["y"], json!([["D", 1.0]]));
    let lines: Vec<Value> =
        std::fs::read_to_string(&customers).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 5);
    // as_of = 2026-01-31. Recency days: C1 21, C2 11, C3 26, C4 1, C5 16 -> r = C3 1, C1 2, C5 3, C2 4, C4 5.
    // Frequency all 1 -> f = 1. Spend (cents): C1 2000, C2 1500 + round(100.49999) = 1600, C3 1100, C4 500, C5 750
    // -> m: C4 1, C5 2, C3 3, C2 4, C1 5; LTV: C1 top (g = 0 < 5/20? 0 < 0.25 yes), C2 high (5*1 < 5? no) -> medium (2*1 < 5).
    let by_id = |id: &str| lines.iter().find(|l| l["customer_id"] == id).unwrap()["customer"].clone();
    assert_eq!(by_id("C1"), json!({"known": true, "ltv_band": "top", "rfm": {"r": 2, "f": 1, "m": 5, "score": 8}}));
    assert_eq!(by_id("C2"), json!({"known": true, "ltv_band": "medium", "rfm": {"r": 4, "f": 1, "m": 4, "score": 9}}));
    assert_eq!(by_id("C4"), json!({"known": true, "ltv_band": "low", "rfm": {"r": 5, "f": 1, "m": 1, "score": 7}}));
    // Strict mode stops at the first bad row.
    perso()
        .arg("profiles")
        .arg(&orders)
        .arg("--strict")
        .arg("--affinity-out")
        .arg(&affinity)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("line 11, field `date`").and(predicate::str::contains("--strict")));
}

#[test]
fn bad_inputs_are_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let no_column = dir.path().join("bad.csv");
    std::fs::write(&no_column, "customer,order_id,date,sku,category,quantity,price\n").unwrap();
    perso()
        .arg("profiles")
        .arg(&no_column)
        .args(["--affinity-out", "/dev/null"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("missing column `customer_id`"));
    let empty = dir.path().join("empty.csv");
    std::fs::write(&empty, HEADER).unwrap();
    perso()
        .arg("profiles")
        .arg(&empty)
        .args(["--affinity-out", "/dev/null"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no valid order line"));
    perso().args(["profiles", "data/orders.csv"]).assert().code(2).stderr(predicate::str::contains("nothing to write"));
    perso().args(["profiles", "data/orders.csv", "--min-support", "2", "--affinity-out", "/dev/null"]).assert().code(2);
    perso()
        .args(["profiles", "data/orders.csv", "--as-of", "soon", "--affinity-out", "/dev/null"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--as-of"));
}

#[test]
fn profiles_go_into_the_bundle_and_keep_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("bundle.json");
    std::fs::copy(repo().join("www/bundle.json"), &bundle).unwrap();
    let before = std::fs::read_to_string(&bundle).unwrap();
    perso().args(["profiles", "data/orders.csv", "--bundle"]).arg(&bundle).assert().success();
    let after = std::fs::read_to_string(&bundle).unwrap();
    let cut = |text: &str| text.split("\"affinity\"").next().unwrap().to_owned();
    assert_eq!(cut(&before), cut(&after), "fields before affinity keep their text");
    let value: Value = serde_json::from_str(&after).unwrap();
    let committed: Value =
        serde_json::from_slice(&std::fs::read(repo().join("data/gizmos.affinity.json")).unwrap()).unwrap();
    assert_eq!(value["affinity"], committed);
    perso().arg("validate").arg(&bundle).args(["--now", "2026-11-25"]).assert().success();
}

#[test]
fn emit_sql_alone_writes_the_script_with_its_parameters() {
    let dir = tempfile::tempdir().unwrap();
    let sql = dir.path().join("p.sql");
    perso()
        .args(["profiles", "--emit-sql"])
        .arg(&sql)
        .args(["--as-of", "2026-11-25", "--top-k", "3", "--min-support", "0.01"])
        .assert()
        .success();
    let text = std::fs::read_to_string(&sql).unwrap();
    for needle in [
        "CREATE OR REPLACE TEMPORARY VIEW perso_customer_scores AS",
        "CREATE OR REPLACE TEMPORARY VIEW perso_item_affinity AS",
        "CREATE OR REPLACE TEMPORARY VIEW perso_category_affinity AS",
        "DATE '2026-11-25'",
        "WHERE rank <= 3",
        "CEIL(0.01 * COUNT(DISTINCT order_id))",
    ] {
        assert!(text.contains(needle), "missing {needle}");
    }
    // Neither DuckDB's `//` nor Spark's `div`: only the shared subset.
    assert!(!text.contains("//") && !text.to_lowercase().contains(" div "));
    // Nothing written to the warehouse (reruns cleanly), and no window over the whole
    // table (every OVER has a PARTITION BY).
    assert!(!text.contains("CREATE TABLE") && !text.contains("DROP TABLE"));
    assert!(text.matches(" OVER (").count() >= 3);
    assert_eq!(text.matches(" OVER (").count(), text.matches(" OVER (PARTITION BY ").count());
}

/// The committed outputs in data/ are what the current code computes from data/orders.csv.
#[test]
fn committed_sample_outputs_are_current() {
    let dir = tempfile::tempdir().unwrap();
    perso()
        .args(["profiles", "data/orders.csv", "--customers-out"])
        .arg(dir.path().join("customers.jsonl"))
        .arg("--affinity-out")
        .arg(dir.path().join("affinity.json"))
        .assert()
        .success();
    for (made, committed) in
        [("customers.jsonl", "data/customers.jsonl"), ("affinity.json", "data/gizmos.affinity.json")]
    {
        assert!(
            std::fs::read(dir.path().join(made)).unwrap() == std::fs::read(repo().join(committed)).unwrap(),
            "{committed} is stale: run `perso profiles data/orders.csv --customers-out data/customers.jsonl --affinity-out data/gizmos.affinity.json --tables-dir data/tables`"
        );
    }
}

#[test]
fn sample_orders_are_seeded() {
    let run = |seed: &str| {
        let out = perso().args(["sample-orders", "--orders", "300", "--seed", seed]).output().unwrap();
        assert!(out.status.success());
        out.stdout
    };
    let first = run("7");
    assert_eq!(first, run("7"));
    assert_ne!(first, run("8"));
    let text = String::from_utf8(first).unwrap();
    assert!(text.starts_with(HEADER));
    let skus: std::collections::BTreeSet<&str> = text.lines().skip(1).map(|l| l.split(',').nth(3).unwrap()).collect();
    assert!(skus.iter().all(|s| [
        "HP-100", "SP-200", "EB-300", "CB-010", "CS-020", "CH-030", "WT-400", "WW-500", "ST-050", "PH-600", "PC-610",
        "SH-700", "SH-710"
    ]
    .contains(s)));
    perso()
        .args(["sample-orders", "--catalog", "data/orders.csv"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("not JSON"));
}

fn read_csv(path: &Path) -> Vec<Vec<String>> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let mut rows: Vec<Vec<String>> = reader.records().map(|r| r.unwrap().iter().map(str::to_owned).collect()).collect();
    rows.sort();
    rows
}

/// Equal tables: integer and text columns exactly, the ratio columns to 1e-12.
fn assert_same_table(native: &Path, sql: &Path, float_columns: &[usize]) {
    let (a, b) = (read_csv(native), read_csv(sql));
    assert_eq!(a.len(), b.len(), "{} vs {}: row counts", native.display(), sql.display());
    assert!(!a.is_empty());
    for (x, y) in a.iter().zip(&b) {
        for (i, (u, v)) in x.iter().zip(y).enumerate() {
            if float_columns.contains(&i) {
                let (u, v): (f64, f64) = (u.parse().unwrap(), v.parse().unwrap());
                assert!((u - v).abs() <= 1e-12 * u.abs().max(1.0), "{x:?} vs {y:?}");
            } else {
                assert_eq!(u, v, "{x:?} vs {y:?}");
            }
        }
    }
}

/// The emitted SQL, run by DuckDB over the sample history, gives the native tables.
#[test]
fn emitted_sql_on_duckdb_equals_the_native_tables() {
    let dir = tempfile::tempdir().unwrap();
    let sql = dir.path().join("profiles.sql");
    let native = dir.path().join("native");
    perso()
        .args(["profiles", "data/orders.csv", "--emit-sql"])
        .arg(&sql)
        .arg("--tables-dir")
        .arg(&native)
        .assert()
        .success();
    let runner = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/run_sql_duckdb.py");
    let out = std::process::Command::new("python3")
        .arg(&runner)
        .arg(repo().join("data/orders.csv"))
        .arg(&sql)
        .arg(dir.path())
        .output()
        .expect("python3 is needed for the DuckDB test");
    assert!(
        out.status.success(),
        "DuckDB run failed (install it with `bash crates/perso-cli/ci-setup.sh`): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_same_table(&native.join("customer_scores.csv"), &dir.path().join("perso_customer_scores.csv"), &[]);
    assert_same_table(&native.join("item_affinity.csv"), &dir.path().join("perso_item_affinity.csv"), &[3, 4, 5]);
    assert_same_table(
        &native.join("category_affinity.csv"),
        &dir.path().join("perso_category_affinity.csv"),
        &[3, 4, 5],
    );
}

/// A new store's bundle: a catalogue, a cross-sell campaign without fallback, no affinity.
fn new_store_bundle(dir: &Path) -> PathBuf {
    let bundle = json!({
        "version": 1, "serial": 1, "expires_at": "2030-01-01T00:00:00Z",
        "placements": [{"id": "cross_sell"}],
        "campaigns": [{"id": "xsell", "placement": "cross_sell", "condition": {">=": [{"var": "cart.count"}, 1]},
                       "action": {"kind": "recommend", "title": "Goes well with"}}],
        "products": {
            "A": {"name": "A", "category": "x", "price": 10.0, "url": "/a"},
            "B": {"name": "B", "category": "x", "price": 5.0, "url": "/b"},
            "C": {"name": "C", "category": "x", "price": 1.0, "url": "/c"},
            "D": {"name": "D", "category": "y", "price": 2.5, "url": "/d"}
        }
    });
    let path = dir.join("bundle.json");
    std::fs::write(&path, serde_json::to_string_pretty(&bundle).unwrap()).unwrap();
    path
}

#[test]
fn a_new_catalogue_gets_labelled_co_purchases_in_the_sample() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = new_store_bundle(dir.path());
    let orders = dir.path().join("orders.csv");
    perso()
        .args(["sample-orders", "--orders", "400", "--catalog"])
        .arg(&catalog)
        .arg("--out")
        .arg(&orders)
        .assert()
        .success()
        .stderr(
            predicate::str::contains("has no affinity.items table")
                .and(predicate::str::contains("made up within categories")),
        );
    let text = std::fs::read_to_string(&orders).unwrap();
    let mut lines_per_order = std::collections::HashMap::new();
    for line in text.lines().skip(1) {
        *lines_per_order.entry(line.split(',').nth(1).unwrap().to_owned()).or_insert(0) += 1;
    }
    assert!(lines_per_order.values().any(|n| *n > 1), "some baskets hold more than one item");
    let affinity = dir.path().join("affinity.json");
    perso().arg("profiles").arg(&orders).arg("--affinity-out").arg(&affinity).assert().success();
    let table: Value = serde_json::from_slice(&std::fs::read(&affinity).unwrap()).unwrap();
    assert!(!table["items"].as_object().unwrap().is_empty(), "{table}");
}

#[test]
fn a_store_with_little_history_is_told_and_gets_a_popularity_fallback() {
    let dir = tempfile::tempdir().unwrap();
    let orders = small_history(dir.path());
    let bundle = new_store_bundle(dir.path());
    // A signed, published bundle: its signature and compiled form go stale.
    std::fs::write(dir.path().join("bundle.json.sig"), "{}").unwrap();
    std::fs::write(dir.path().join("bundle.bin"), "old").unwrap();
    let tables = dir.path().join("tables");
    perso()
        .arg("profiles")
        .arg(&orders)
        .args(["--min-support", "0.5", "--bundle"])
        .arg(&bundle)
        .arg("--tables-dir")
        .arg(&tables)
        .assert()
        .success()
        .stderr(predicate::str::contains("cold start: 5 orders"))
        .stderr(predicate::str::contains(
            "popularity fallback (the best sellers, not co-purchases) [A, B, C, D] written into recommendation campaigns without one: xsell",
        ))
        .stderr(predicate::str::contains("bundle.json.sig signs the bundle as it was before this change"))
        .stderr(predicate::str::contains("bundle.bin is the compiled form of the old bundle"));
    let written: Value = serde_json::from_slice(&std::fs::read(&bundle).unwrap()).unwrap();
    assert_eq!(written["campaigns"][0]["action"]["fallback"], json!(["A", "B", "C", "D"]));
    let popularity = std::fs::read_to_string(tables.join("popularity.csv")).unwrap();
    assert!(popularity.starts_with("sku,orders,rank,source\nA,3,1,popularity\n"), "{popularity}");
    perso().arg("validate").arg(&bundle).args(["--now", "2026-11-25", "--deny-warnings"]).assert().success();
    // With --key, the bundle and its compiled form are signed again.
    let keys = tempfile::tempdir().unwrap();
    let out = perso().args(["keygen", "--kid", "2026-11", "--dir"]).arg(keys.path()).output().unwrap();
    let public = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    perso()
        .arg("profiles")
        .arg(&orders)
        .arg("--bundle")
        .arg(&bundle)
        .arg("--key")
        .arg(keys.path().join("2026-11.key"))
        .assert()
        .success()
        .stderr(predicate::str::contains("re-signed with kid 2026-11"));
    perso().arg("verify").arg(&bundle).args(["--keys", &public, "--now", "2026-11-25"]).assert().success();
    assert_ne!(std::fs::read(dir.path().join("bundle.bin")).unwrap(), b"old");
}
