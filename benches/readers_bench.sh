#!/usr/bin/env bash
# Throughput of the issue-21 readers (ping -D and `| ts`, IIS Advanced
# Logging, RIPE Atlas JSONL, Prometheus query_range, Chrome NetLog, k6
# end-of-test summaries) against their floors (serde_json decoding every
# byte, or the readers' own line split), on inputs grown from the real
# fixtures of fixtures/logs/. Prints the markdown table of
# docs/performance.md ("Readers of issue 21").
#
#   benches/readers_bench.sh          # ~30 MB per input
#   MB=100 benches/readers_bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo run --release --no-default-features --example reader_throughput -- "${MB:-30}"
