#!/usr/bin/env bash
# Benchmark (not a test; run by hand): `perso report` on ~10 million exposure + order
# rows beside DuckDB and Spark (local mode) running the emitted SQL on the same files,
# and `perso profiles` on 1 million order lines beside the same two engines. Wall time,
# CPU and peak memory from GNU time. One run, so the figures compare within it.
#   bash crates/perso-cli/bench/report-10m.sh [WORK_DIR]
set -euo pipefail
cd "$(dirname "$0")/../../.."
cargo build --release -p perso-cli --quiet
perso=$PWD/target/release/perso
tests=$PWD/crates/perso-cli/tests
work=${1:-$(mktemp -d)}
mkdir -p "$work"
timed() { # label command...
  local label=$1; shift
  /usr/bin/time -v -o "$work/$label.time" "$@" > "$work/$label.out" 2> "$work/$label.err" || { cat "$work/$label.err"; exit 1; }
  awk -v l="$label" '/Elapsed \(wall/ {w=$NF} /User time/ {u=$NF} /System time/ {s=$NF} /Maximum resident/ {m=$NF}
    END {printf "%-22s wall %8s  user %7.1f s  sys %5.1f s  peak RSS %6.0f MB\n", l, w, u, s, m/1024}' "$work/$label.time"
}

# 4 campaigns x 1.45 M visitors (a:50, holdout:50, true lift +5 %): ~10.1 M rows.
if [ ! -f "$work/sample/orders.csv" ]; then
  $perso sample-exposures --out-dir "$work/sample" --campaigns 4 --visitors 1450000 --lift 0.05 --seed 1
fi
echo "rows: $(( $(wc -l < "$work/sample/exposures.csv") + $(wc -l < "$work/sample/orders.csv") - 2 )), bytes: $(( $(wc -c < "$work/sample/exposures.csv") + $(wc -c < "$work/sample/orders.csv") ))"
$perso report --exposures "$work/sample/exposures.csv" --orders "$work/sample/orders.csv" --emit-sql "$work/report.sql" > /dev/null 2>&1 || true
timed "perso report" $perso report --exposures "$work/sample/exposures.csv" --orders "$work/sample/orders.csv" --tables-dir "$work/native"
grep "bytes per visitor" "$work/perso report.err" || true

job() { # file name sql outputs... inputs as kind=path
  python3 - "$@" <<'PY'
import json, sys
path, name, sql, outdir, *rest = sys.argv[1:]
inputs = [dict(zip(("kind", "path"), r.split("=", 1))) for r in rest if "=" in r]
views = [r for r in rest if "=" not in r]
json.dump({"jobs": [{"name": name, "sql": sql, "inputs": inputs,
                     "outputs": [{"view": v, "csv": f"{outdir}/{name}/{v}.csv"} for v in views]}]}, open(path, "w"))
PY
}
job "$work/report-jobs.json" report "$work/report.sql" "$work/engines" perso_report_arms perso_report_campaigns \
  "exposures_csv=$work/sample/exposures.csv" "plain_orders_csv=$work/sample/orders.csv"
timed "duckdb report SQL" python3 "$tests/run_sql_duckdb_jobs.py" "$work/report-jobs.json"
PERSO_SPARK_PARTITIONS=8 PERSO_SPARK_CODEGEN=true PERSO_SPARK_DRIVER_MEMORY=6g \
  timed "spark report SQL" python3 "$tests/run_sql_spark.py" "$work/report-jobs.json" "$work/warehouse"
cat "$work/spark report SQL.out"

# perso profiles on 1 M order lines (the same sample as bench/profiles-1m.sh).
if [ ! -f "$work/orders-1m.csv" ]; then
  $perso sample-orders --catalog www/bundle.json --orders 605000 --customers 200000 --seed 1 --out "$work/orders-1m.csv"
fi
$perso profiles --emit-sql "$work/profiles.sql" 2> /dev/null
timed "perso profiles" $perso profiles "$work/orders-1m.csv" --customers-out "$work/customers.jsonl" \
  --affinity-out "$work/affinity.json" --tables-dir "$work/tables"
job "$work/profiles-jobs.json" profiles "$work/profiles.sql" "$work/engines" perso_customer_scores perso_item_affinity \
  perso_category_affinity "orders_csv=$work/orders-1m.csv"
timed "duckdb profiles SQL" python3 "$tests/run_sql_duckdb_jobs.py" "$work/profiles-jobs.json"
PERSO_SPARK_PARTITIONS=8 PERSO_SPARK_CODEGEN=true PERSO_SPARK_DRIVER_MEMORY=6g \
  timed "spark profiles SQL" python3 "$tests/run_sql_spark.py" "$work/profiles-jobs.json" "$work/warehouse"
cat "$work/spark profiles SQL.out"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
