"""Writes a GA4 export (JSON lines) as Parquet the way BigQuery's export types it
(event_timestamp INT64, event_params a list of key/value records), with DuckDB.

Usage: python3 make_parquet.py EVENTS.jsonl EVENTS.parquet [CODEC]
"""
import sys

import duckdb

COLUMNS = (
    "{'event_name': 'VARCHAR', 'event_timestamp': 'BIGINT', 'user_pseudo_id': 'VARCHAR', "
    "'event_params': 'STRUCT(key VARCHAR, value STRUCT(string_value VARCHAR, int_value BIGINT, "
    "float_value DOUBLE, double_value DOUBLE))[]', "
    "'ecommerce': 'STRUCT(transaction_id VARCHAR, purchase_revenue DOUBLE)', "
    "'items': 'STRUCT(promotion_id VARCHAR)[]', 'device': 'STRUCT(category VARCHAR)'}"
)

source, target = sys.argv[1], sys.argv[2]
codec = sys.argv[3] if len(sys.argv) > 3 else "snappy"
con = duckdb.connect()
con.execute(
    f"COPY (SELECT * FROM read_json('{source}', format = 'newline_delimited', columns = {COLUMNS})) "
    f"TO '{target}' (FORMAT parquet, COMPRESSION {codec}, ROW_GROUP_SIZE 20000)"
)
print(f"duckdb {duckdb.__version__}: wrote {target} ({codec})")
