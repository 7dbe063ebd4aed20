#!/usr/bin/env bash
# HAR ingest benchmark: faultlens vs the parse floor vs jq, one run, side by side.
#
#   benches/har_bench.sh [SIZE_MB=200] [WORKDIR=/tmp/faultlens-har-bench]
#
# Generates a Chrome-style HAR with base64 bodies (benches/gen_har.py,
# ~53k entries at 200 MB), builds the release binaries, and reports wall
# time and peak RSS (/usr/bin/time -v) of:
#   floor     examples/har_floor: read file + serial serde_json::from_slice
#             into a minimal typed struct
#   faultlens `faultlens analyze --format json FILE` when the binary has an
#             analyze subcommand, else examples/ingest (ingest stage only)
#   stream    examples/ingest --stream (parse_har_file: window-wise memory maps)
#   jq        `jq '.log.entries | length'` when jq is installed
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MB=${1:-200}
WORK=${2:-/tmp/faultlens-har-bench}
mkdir -p "$WORK"
HAR="$WORK/chrome-${SIZE_MB}mb.har"
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
[ -s "$HAR" ] || python3 benches/gen_har.py "$HAR" "$SIZE_MB"
cargo build --release --quiet --example har_floor --example ingest
cargo build --release --quiet --bin faultlens 2>/dev/null || true
T=${CARGO_TARGET_DIR:-target}/release
BYTES=$(stat -c %s "$HAR")

run() { # name, command...
  local name=$1; shift
  local log="$WORK/$name.time"
  /usr/bin/time -v "$@" >/dev/null 2>"$log" || { echo "$name failed:"; tail -5 "$log"; return; }
  local wall rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$log")
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
  printf '%-10s wall %-9s peak RSS %7.1f MB (%.2fx file)\n' "$name" "$wall" "$(echo "$rss/1024" | bc -l)" "$(echo "$rss*1024/$BYTES" | bc -l)"
}

echo "file: $HAR ($((BYTES / 1000000)) MB), cores: $(nproc)"
# Warm the page cache so every contender reads from memory.
cat "$HAR" >/dev/null
run floor "$T/examples/har_floor" "$HAR"
if [ -x "$T/faultlens" ] && "$T/faultlens" analyze --help 2>&1 | grep -qi usage; then
  run faultlens "$T/faultlens" analyze --format json "$HAR"
else
  run faultlens "$T/examples/ingest" "$HAR"
fi
run stream "$T/examples/ingest" --stream "$HAR"
if command -v jq >/dev/null; then run jq jq '.log.entries | length' "$HAR"; fi
