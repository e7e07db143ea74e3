"""Runs the SQL that `perso profiles --emit-sql` writes on DuckDB (the PyPI wheel
installed by crates/perso-cli/ci-setup.sh) and writes the three output tables as CSV.

Usage: python3 run_sql_duckdb.py ORDERS.csv PROFILES.sql OUT_DIR
"""
import sys

import duckdb


def main() -> None:
    orders, sql_path, out_dir = sys.argv[1:4]
    con = duckdb.connect()
    # The documented input schema (docs/profiles-sql.md).
    con.execute(
        "CREATE TABLE orders AS SELECT * FROM read_csv(?, header = true, columns = {"
        "'customer_id': 'VARCHAR', 'order_id': 'VARCHAR', 'order_date': 'DATE', 'sku': 'VARCHAR',"
        "'category': 'VARCHAR', 'quantity': 'INTEGER', 'price': 'DOUBLE'})",
        [orders],
    )
    with open(sql_path, encoding="utf-8") as f:
        con.execute(f.read())
    for table, order in (
        ("perso_customer_scores", "customer_id"),
        ("perso_item_affinity", "sku, rank"),
        ("perso_category_affinity", "category, rank"),
    ):
        con.execute(
            f"COPY (SELECT * FROM {table} ORDER BY {order}) TO '{out_dir}/{table}.csv' (HEADER, DELIMITER ',')"
        )
    print(f"duckdb {duckdb.__version__}: ran {sql_path}")


if __name__ == "__main__":
    main()
