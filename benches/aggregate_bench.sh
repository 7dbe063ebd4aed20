#!/usr/bin/env bash
# Window / aggregate stage benchmark: N synthetic records (half probe
# measurements, half browser requests, three hours, a 20-minute backend
# incident) built in memory, then aggregate::analyze timed. Peak RSS via
# /usr/bin/time when present. Usage: benches/aggregate_bench.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-10000000}"
cargo build --release --example aggregate_bench >/dev/null
bin="${CARGO_TARGET_DIR:-target}/release/examples/aggregate_bench"
if [ -x /usr/bin/time ]; then
  /usr/bin/time -f "peak_rss_kb=%M wall_s=%e" "$bin" "$n"
else
  "$bin" "$n"
fi
