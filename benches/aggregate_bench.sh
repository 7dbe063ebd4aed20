#!/usr/bin/env bash
# Window / aggregate stage benchmark: N synthetic records (half probe
# measurements, half browser requests, three hours, a 20-minute backend
# incident) built in memory, then aggregate::analyze timed. Peak RSS via
# /usr/bin/time when present.
#
#   benches/aggregate_bench.sh [N]                 the stage alone
#   benches/aggregate_bench.sh N --end-to-end      also write the same records
#       as probe JSONL + one HAR per region (under $TMPDIR) and run
#       `faultlens analyze -vv` on them: ingest and this stage timed in one
#       run, on the same records (the issue's "well under the ingest time")
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-10000000}"
cargo build --release --example aggregate_bench >/dev/null
bin="${CARGO_TARGET_DIR:-target}/release/examples/aggregate_bench"
timed() {
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f "peak_rss_kb=%M wall_s=%e" "$@"
  else
    "$@"
  fi
}
if [ "${2:-}" != "--end-to-end" ]; then
  timed "$bin" "$n"
  exit 0
fi
dir="${TMPDIR:-/tmp}/faultlens-agg-e2e-$n"
rm -rf "$dir"
"$bin" "$n" --write "$dir"
cargo build --release --bin faultlens >/dev/null
timed "${CARGO_TARGET_DIR:-target}/release/faultlens" analyze -vv "$dir" 2>&1 >/dev/null |
  grep -E "stage|peak_rss"
