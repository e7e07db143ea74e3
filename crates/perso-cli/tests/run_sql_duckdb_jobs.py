"""Runs the SQL jobs of a jobs file (see sql_jobs.py) on DuckDB (the PyPI wheel that
crates/perso-cli/ci-setup.sh installs).

Usage: python3 run_sql_duckdb_jobs.py JOBS.json
"""
import os
import sys
import time

import duckdb

sys.path.insert(0, os.path.dirname(__file__))
import sql_jobs  # noqa: E402

GA4_COLUMNS = (
    "{'event_name': 'VARCHAR', 'event_timestamp': 'VARCHAR', 'user_pseudo_id': 'VARCHAR', "
    "'event_params': 'STRUCT(key VARCHAR, value STRUCT(string_value VARCHAR, int_value VARCHAR, "
    "float_value DOUBLE, double_value DOUBLE))[]', "
    "'ecommerce': 'STRUCT(transaction_id VARCHAR, purchase_revenue DOUBLE)', "
    "'items': 'STRUCT(promotion_id VARCHAR)[]'}"
)


def param(key, field="string_value"):
    # DuckDB lists are 1-based; the first parameter with the key wins, as in perso.
    return f"list_filter(event_params, p -> p.key = '{key}')[1].value.{field}"


def text_param(key):
    return f"NULLIF(COALESCE({param(key)}, CAST({param(key, 'int_value')} AS VARCHAR)), '')"


def flatten(source):
    """GA4 export rows -> perso_ga4_events (docs/report.md, DuckDB)."""
    return f"""
CREATE OR REPLACE TEMPORARY VIEW perso_ga4_events AS
SELECT event_name, CAST(event_timestamp AS BIGINT) AS event_timestamp, user_pseudo_id,
       {text_param('experiment_id')} AS experiment_id,
       {text_param('variation_id')} AS variation_id,
       COALESCE({text_param('promotion_id')}, items[1].promotion_id) AS promotion_id,
       COALESCE(ecommerce.transaction_id, {text_param('transaction_id')}) AS transaction_id,
       COALESCE(ecommerce.purchase_revenue, {param('value', 'double_value')}, {param('value', 'float_value')},
                CAST({param('value', 'int_value')} AS DOUBLE)) AS purchase_revenue
FROM {source}"""


def register(con, spec):
    kind, path = spec["kind"], spec["path"]
    if kind == "orders_csv":
        con.execute(
            "CREATE OR REPLACE TABLE orders AS SELECT * FROM read_csv(?, header = true, columns = {"
            "'customer_id': 'VARCHAR', 'order_id': 'VARCHAR', 'order_date': 'DATE', 'sku': 'VARCHAR',"
            "'category': 'VARCHAR', 'quantity': 'INTEGER', 'price': 'DOUBLE'})",
            [path],
        )
    elif kind == "exposures_csv":
        con.execute(
            f"CREATE OR REPLACE TABLE perso_exposures AS SELECT visitor_id, "
            f"epoch_us(CAST(\"timestamp\" AS TIMESTAMPTZ)) AS ts_us, campaign, variant "
            f"FROM read_csv('{path}', header = true, all_varchar = true)"
        )
    elif kind == "plain_orders_csv":
        con.execute(
            f"CREATE OR REPLACE TABLE perso_orders AS SELECT visitor_id, "
            f"epoch_us(CAST(\"timestamp\" AS TIMESTAMPTZ)) AS ts_us, order_id, CAST(revenue AS DOUBLE) AS revenue "
            f"FROM read_csv('{path}', header = true, all_varchar = true)"
        )
    elif kind == "ga4_jsonl":
        con.execute(flatten(f"read_json('{path}', format = 'newline_delimited', columns = {GA4_COLUMNS})"))
    elif kind == "ga4_parquet":
        con.execute(flatten(f"read_parquet('{path}')"))
    else:
        sql_jobs.fail(f"unknown input kind {kind}")


def main():
    jobs = sql_jobs.load_jobs(sys.argv[1])
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for job in jobs:
        started = time.time()
        for spec in job["inputs"]:
            register(con, spec)
        with open(job["sql"], encoding="utf-8") as f:
            script = f.read()
        for _ in range(job.get("runs", 1)):
            con.execute(script)
        for out in job["outputs"]:
            result = con.execute(f"SELECT * FROM {out['view']}")
            columns = [d[0] for d in result.description]
            sql_jobs.write_csv(out["csv"], columns, result.fetchall())
        print(f"duckdb {duckdb.__version__}: {job['name']} in {time.time() - started:.1f} s")


if __name__ == "__main__":
    main()
