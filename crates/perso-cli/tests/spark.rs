//! The warehouse SQL on Apache Spark (local mode, PySpark from PyPI, Java 17): the
//! profiles script and the report scripts (plain CSV and GA4 sources) run in one Spark
//! application and must give the native tables; the profiles script then reruns in a
//! fresh Spark session on the same warehouse folder, where the old `CREATE TABLE`
//! version failed with LOCATION_ALREADY_EXISTS. Set-up: crates/perso-cli/ci-setup.sh.

mod common;

use common::{assert_same_table, jobs_file, mixed_export, perso, python, repo, Job, REPORT_OUTPUTS};

#[test]
fn profiles_and_report_sql_on_spark_equal_the_native_tables() {
    let dir = tempfile::tempdir().unwrap();
    let native = dir.path().join("native");
    let sql = |name: &str| dir.path().join(format!("{name}.sql"));
    perso()
        .args(["profiles", "data/orders.csv", "--emit-sql"])
        .arg(sql("profiles"))
        .arg("--tables-dir")
        .arg(native.join("profiles"))
        .assert()
        .success();
    let plain = mixed_export(dir.path(), "plain");
    let jsonl = mixed_export(dir.path(), "ga4-jsonl").join("events.jsonl");
    let settings = ["--window", "7", "--weights", "aff-hero=a:45,b:45,holdout:10"];
    perso()
        .args(["report", "--exposures"])
        .arg(plain.join("exposures.csv"))
        .arg("--orders")
        .arg(plain.join("orders.csv"))
        .args(settings)
        .arg("--emit-sql")
        .arg(sql("plain"))
        .arg("--tables-dir")
        .arg(native.join("report"))
        .assert()
        .success();
    perso().arg("report").arg(&jsonl).args(settings).arg("--emit-sql").arg(sql("ga4")).assert().success();

    let engine = dir.path().join("spark");
    let jobs = [
        Job {
            name: "profiles".into(),
            sql: sql("profiles"),
            runs: 2,
            inputs: vec![("orders_csv", repo().join("data/orders.csv"))],
            outputs: vec![
                ("perso_customer_scores", "customer_scores.csv"),
                ("perso_item_affinity", "item_affinity.csv"),
                ("perso_category_affinity", "category_affinity.csv"),
            ],
        },
        Job {
            name: "report-plain".into(),
            sql: sql("plain"),
            runs: 1,
            inputs: vec![
                ("exposures_csv", plain.join("exposures.csv")),
                ("plain_orders_csv", plain.join("orders.csv")),
            ],
            outputs: REPORT_OUTPUTS.to_vec(),
        },
        Job {
            name: "report-ga4".into(),
            sql: sql("ga4"),
            runs: 1,
            inputs: vec![("ga4_jsonl", jsonl.clone())],
            outputs: REPORT_OUTPUTS.to_vec(),
        },
    ];
    let file = dir.path().join("jobs.json");
    jobs_file(&file, &jobs, &engine);
    let warehouse = dir.path().join("warehouse");
    let printed = python(
        "run_sql_spark.py",
        &[file.as_os_str(), warehouse.as_os_str(), "--fresh-rerun".as_ref(), "profiles".as_ref()],
    );
    eprintln!("{printed}");
    assert!(printed.contains("profiles reran cleanly in a fresh session"), "{printed}");
    for table in ["customer_scores.csv", "item_affinity.csv", "category_affinity.csv"] {
        assert_same_table(&native.join("profiles").join(table), &engine.join("profiles").join(table));
    }
    for job in ["report-plain", "report-ga4"] {
        for table in ["arms.csv", "campaigns.csv"] {
            assert_same_table(&native.join("report").join(table), &engine.join(job).join(table));
        }
    }
}
