#!/usr/bin/env bash
# Benchmark of `perso profiles` on 1 million order lines (seeded sample over the Gizmos
# catalogue): wall time, CPU time and peak memory (GNU time's max RSS), three runs, with
# the progress bar drawn on the terminal while it runs. Not a test: run it by hand.
#   bash crates/perso-cli/bench/profiles-1m.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
cargo build --release -p perso-cli --quiet
perso=target/release/perso
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# 605,000 orders over 200,000 customers give 1,001,626 lines (51.7 MB).
$perso sample-orders --catalog www/bundle.json --orders 605000 --customers 200000 --seed 1 --out "$work/orders.csv"
echo "lines: $(($(wc -l < "$work/orders.csv") - 1)), bytes: $(wc -c < "$work/orders.csv")"
# GNU time writes to a file so stderr stays the terminal and the progress bar draws.
for run in 1 2 3; do
  /usr/bin/time -o "$work/time-$run" -f "run $run: wall %e s, user %U s, sys %S s, peak RSS %M KB" \
    $perso profiles "$work/orders.csv" --progress \
      --customers-out "$work/customers.jsonl" --affinity-out "$work/affinity.json" --tables-dir "$work/tables"
done
cat "$work"/time-*
