"""Runs the SQL jobs of a jobs file (see sql_jobs.py) on Apache Spark in local mode
(PySpark from PyPI and Java 17, installed by crates/perso-cli/ci-setup.sh), all in one
Spark application so the JVM starts once for every Spark test.

After the jobs, `--fresh-rerun NAME` runs job NAME again in a *new* Spark session on
the same warehouse folder: the scripts must rerun cleanly there (the old profiles SQL
failed with LOCATION_ALREADY_EXISTS), and must leave no table folders behind.

Usage: python3 run_sql_spark.py JOBS.json WAREHOUSE_DIR [--fresh-rerun NAME]
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import sql_jobs  # noqa: E402

GA4_SCHEMA = (
    "event_name STRING, event_timestamp STRING, user_pseudo_id STRING, "
    "event_params ARRAY<STRUCT<key: STRING, value: STRUCT<string_value: STRING, int_value: STRING, "
    "float_value: DOUBLE, double_value: DOUBLE>>>, "
    "ecommerce STRUCT<transaction_id: STRING, purchase_revenue: DOUBLE>, "
    "items ARRAY<STRUCT<promotion_id: STRING>>"
)


def param(key, field="string_value"):
    # Spark's element_at is 1-based; try_ gives NULL for a missing parameter.
    return f"try_element_at(filter(event_params, p -> p.key = '{key}'), 1).value.{field}"


def text_param(key):
    return f"NULLIF(COALESCE({param(key)}, CAST({param(key, 'int_value')} AS STRING)), '')"


def flatten(source_view):
    """GA4 export rows -> perso_ga4_events (docs/report.md, Spark SQL)."""
    return f"""
CREATE OR REPLACE TEMPORARY VIEW perso_ga4_events AS
SELECT event_name, CAST(event_timestamp AS BIGINT) AS event_timestamp, user_pseudo_id,
       {text_param('experiment_id')} AS experiment_id,
       {text_param('variation_id')} AS variation_id,
       COALESCE({text_param('promotion_id')}, try_element_at(items, 1).promotion_id) AS promotion_id,
       COALESCE(ecommerce.transaction_id, {text_param('transaction_id')}) AS transaction_id,
       COALESCE(ecommerce.purchase_revenue, {param('value', 'double_value')}, {param('value', 'float_value')},
                CAST({param('value', 'int_value')} AS DOUBLE)) AS purchase_revenue
FROM {source_view}"""


def session(warehouse):
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[2]")
        .appName("perso-sql-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.warehouse.dir", warehouse)
        .config("spark.sql.session.timeZone", "UTC")
        # Test data is small: one shuffle partition and no generated code (compiling it
        # costs more than it saves here). The benchmark sets these for 10 million rows.
        .config("spark.sql.shuffle.partitions", os.environ.get("PERSO_SPARK_PARTITIONS", "1"))
        .config("spark.driver.memory", os.environ.get("PERSO_SPARK_DRIVER_MEMORY", "1g"))
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.codegen.wholeStage", os.environ.get("PERSO_SPARK_CODEGEN", "false"))
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def register(spark, spec):
    kind, path = spec["kind"], spec["path"]
    if kind == "orders_csv":
        schema = ("customer_id STRING, order_id STRING, order_date DATE, sku STRING, category STRING, "
                  "quantity INT, price DOUBLE")
        spark.read.csv(path, header=True, schema=schema).cache().createOrReplaceTempView("orders")
    elif kind in ("exposures_csv", "plain_orders_csv"):
        spark.read.csv(path, header=True).createOrReplaceTempView("perso_raw_csv")
        if kind == "exposures_csv":
            select = ("SELECT visitor_id, unix_micros(to_timestamp(`timestamp`)) AS ts_us, campaign, variant "
                      "FROM perso_raw_csv")
            spark.sql(select).cache().createOrReplaceTempView("perso_exposures")
        else:
            select = ("SELECT visitor_id, unix_micros(to_timestamp(`timestamp`)) AS ts_us, order_id, "
                      "CAST(revenue AS DOUBLE) AS revenue FROM perso_raw_csv")
            spark.sql(select).cache().createOrReplaceTempView("perso_orders")
    elif kind == "ga4_jsonl":
        spark.read.schema(GA4_SCHEMA).json(path).cache().createOrReplaceTempView("perso_raw_ga4")
        spark.sql(flatten("perso_raw_ga4"))
    elif kind == "ga4_parquet":
        spark.read.parquet(path).cache().createOrReplaceTempView("perso_raw_ga4")
        spark.sql(flatten("perso_raw_ga4"))
    else:
        sql_jobs.fail(f"unknown input kind {kind}")


def run_job(spark, job, outputs=None):
    started = time.time()
    for spec in job["inputs"]:
        register(spark, spec)
    with open(job["sql"], encoding="utf-8") as f:
        script = f.read()
    views = []
    for _ in range(job.get("runs", 1)):
        for statement in sql_jobs.statements(script):
            spark.sql(statement)
            words = statement.split()
            if words[:5] == ["CREATE", "OR", "REPLACE", "TEMPORARY", "VIEW"]:
                views.append(words[5])
    # Views are recomputed by every query that reads them; caching each one (lazily:
    # filled the first time it is computed) makes the several outputs share the work,
    # as a warehouse job would by materializing. Results are unchanged.
    for view in dict.fromkeys(views):
        spark.catalog.cacheTable(view)
    for out in job["outputs"][:outputs]:
        frame = spark.table(out["view"])
        sql_jobs.write_csv(out["csv"], frame.columns, [tuple(r) for r in frame.collect()])
    print(f"spark {spark.version}: {job['name']} in {time.time() - started:.1f} s", flush=True)


def main():
    jobs_path, warehouse = sys.argv[1], sys.argv[2]
    rerun = sys.argv[4] if len(sys.argv) > 4 and sys.argv[3] == "--fresh-rerun" else None
    started = time.time()
    spark = session(warehouse)
    print(f"spark {spark.version}: session up in {time.time() - started:.1f} s", flush=True)
    jobs = sql_jobs.load_jobs(jobs_path)
    for job in jobs:
        run_job(spark, job)
    if rerun:
        spark.stop()
        spark = session(warehouse)
        # Running the statements is the point (they failed here before); one output is enough.
        run_job(spark, next(j for j in jobs if j["name"] == rerun), outputs=1)
        left = [d for d in os.listdir(warehouse)] if os.path.isdir(warehouse) else []
        if left:
            sql_jobs.fail(f"the scripts left tables in the warehouse: {left}")
        print(f"spark: {rerun} reran cleanly in a fresh session", flush=True)
    spark.stop()
    print(f"spark: all jobs in {time.time() - started:.1f} s", flush=True)


if __name__ == "__main__":
    main()
