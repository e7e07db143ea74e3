"""The SQL test jobs both engines run (run_sql_duckdb_jobs.py, run_sql_spark.py).

A jobs file (JSON, written by the Rust tests) lists scripts to run, the inputs to
register first and the views to write out as CSV:

    {"jobs": [{"name": "report-plain", "sql": "report.sql",
               "inputs": [{"kind": "exposures_csv", "path": "exposures.csv"}, ...],
               "outputs": [{"view": "perso_report_arms", "csv": "out/arms.csv"}]}]}

Input kinds and the view each registers:
- orders_csv       -> orders            (perso profiles' order history)
- exposures_csv    -> perso_exposures   (plain exposures.csv, timestamps to microseconds)
- plain_orders_csv -> perso_orders      (plain orders.csv)
- ga4_jsonl        -> perso_ga4_events  (GA4 BigQuery export as JSON lines, flattened)
- ga4_parquet      -> perso_ga4_events  (the same as Parquet)

Each engine writes CSVs the same way (write_csv): NULL as an empty cell, floats in
Python's shortest round-trip form, so the Rust side compares engines and native alike.
"""
import csv
import json
import os
import sys

# The GA4 columns perso reads, with their BigQuery types (INT64 arrives as a JSON string).
GA4_PARAMS = ("experiment_id", "variation_id", "promotion_id", "transaction_id", "value")


def load_jobs(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)["jobs"]


def statements(script):
    """The script's statements (no `;` appears inside the generated SQL's literals)."""
    return [s.strip() for s in script.split(";\n") if s.strip() and not all(
        line.strip().startswith("--") or not line.strip() for line in s.strip().splitlines())]


def cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def write_csv(path, columns, rows):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(columns)
        # Engines return rows in any order; sorted text rows compare as sets.
        for row in sorted(rows, key=lambda r: [cell(v) for v in r]):
            out.writerow([cell(v) for v in row])


def fail(message):
    print(message, file=sys.stderr)
    sys.exit(1)
