#!/usr/bin/env bash
# Spark parity at fleet size: generate ROWS probe rows (default 50 M) straight
# into the export layout, reduce them with the aggregation SQL on polars
# (locally, streaming) and on a Spark standalone master + worker on
# 127.0.0.1, then check that both give byte-identical verdict JSON. Prints
# wall time and peak RSS of each step. Not a test: minutes of work and
# gigabytes of disk (about 46 bytes per row).
#
#   benches/fleet_parity.sh                 # 50 M rows, sample rate 0.02
#   ROWS=5000000 RATE=0.1 benches/fleet_parity.sh
#   PYTHON=~/.cache/faultlens-spark-venv/bin/python benches/fleet_parity.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-50000000}
RATE=${RATE:-0.02}
DIR=${BENCH_DIR:-/tmp/faultlens-fleet}
PYTHON=${PYTHON:-${FAULTLENS_PYTHON:-$HOME/.cache/faultlens-spark-venv/bin/python}}
T=${CARGO_TARGET_DIR:-target}
cargo build --release --example fleet_tables
cargo build --release
B="$T/release/faultlens"
# wall time and peak RSS of one step, printed after its own output (the
# step's stderr is dropped: Spark is chatty there)
timed() {
  local label=$1; shift
  /usr/bin/time -o "$DIR/.time" -f "$label: %e s wall, %M KB peak RSS" "$@" 2>/dev/null
  cat "$DIR/.time"
}

if [ ! -s "$DIR/rows" ] || [ "$(cat "$DIR/rows")" != "$ROWS" ]; then
  rm -rf "$DIR"; mkdir -p "$DIR"
  timed "generate $ROWS rows" "$T/release/examples/fleet_tables" "$ROWS" "$DIR/tables"
  echo "$ROWS" > "$DIR/rows"
fi
du -sh "$DIR/tables"
"$B" sql --sample-rate "$RATE" > "$DIR/aggregates.sql"
rm -rf "$DIR/agg-local" "$DIR/agg-spark"
timed "polars aggregate (local, streaming)" "$B" -q aggregate "$DIR/tables" --out "$DIR/agg-local" --sample-rate "$RATE"
timed "spark standalone (driver; master and worker are separate JVMs)" "$PYTHON" sql/spark_run.py "$DIR/tables" "$DIR/agg-spark" --sql "$DIR/aggregates.sql" --standalone | tail -1
timed "analyze --aggregates (polars output)" "$B" -q analyze --aggregates "$DIR/agg-local" --format json -o "$DIR/local.json"
timed "analyze --aggregates (spark output)" "$B" -q analyze --aggregates "$DIR/agg-spark" --format json -o "$DIR/spark.json"
python3 - "$DIR/local.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); v = d["verdict"]; w = d["windows"]
print("verdict:", v["fault_domain"], v["confidence"], v["scope"])
print("during:", w["during"]["start"], "->", w["during"]["end"])
for e in d["evidence"][:2]:
    print("evidence:", e["signal"], e["before"], "->", e["during"], "n", e["n_before"], "/", e["n_during"])
PY
if cmp -s "$DIR/local.json" "$DIR/spark.json"; then
  echo "parity: spark and polars verdict JSON byte-identical"
else
  echo "parity: DIFFERENT"; exit 1
fi
