#!/usr/bin/env bash
# Seed every fuzz target's corpus from the fixtures (and ../shared/corpus
# when present), then run each target for RUNS executions (default 10 M)
# or until SECONDS_PER_TARGET (default 0 = no time limit). Prints one
# summary line per target: executions reached, coverage, crashes.
# Usage: fuzz/run-all.sh [TARGET...]   (nightly + cargo-fuzz required)
set -uo pipefail
cd "$(dirname "$0")"
runs="${RUNS:-10000000}"
secs="${SECONDS_PER_TARGET:-0}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/faultlens-fuzz-target}"
fx=../fixtures
sh=../../shared/corpus
seed() { # target, files...
  local t="$1"; shift
  mkdir -p "corpus/$t"
  for f in "$@"; do
    [ -f "$f" ] || continue
    # seeds bigger than max_len are cut by libFuzzer anyway; keep the head
    head -c "${MAX_LEN:-4096}" "$f" > "corpus/$t/seed-$(echo "$f" | tr '/.' '__')"
  done
}
seed har $fx/har/*.har $fx/incidents/*/har/*.har $sh/har/*.har $sh/har/*/*.har
seed har_stream $fx/har/*.har $fx/incidents/*/har/*.har $sh/har/*.har $sh/har/*/*.har
seed probe_jsonl $fx/logs/probe.jsonl $fx/incidents/*/probes/*.jsonl
seed flat_json $fx/logs/probe.jsonl $fx/incidents/*/probes/*.jsonl
seed probe_csv $fx/logs/probe.csv $fx/incidents/*/probes/*.csv
seed changes $fx/logs/changes.jsonl $fx/logs/changes.csv $fx/incidents/*/changes/*
seed k6 $fx/logs/k6.json $fx/incidents/*/k6/*
seed curl $fx/logs/curl.log $sh/logs/curl-test970.txt
seed atlas $fx/logs/atlas-ping.json $fx/logs/atlas.jsonl $fx/logs/atlas-sagan-*.json*
seed ping $fx/logs/ping-*.txt
seed mtr $fx/logs/mtr-0.93.txt $fx/logs/mtr-0.95.jsonl
seed access_clf $fx/logs/apache-common.log $fx/logs/apache-vhost-D.log $fx/logs/nginx-combined.log $fx/incidents/*/access/* $sh/logs/*common.log $sh/logs/*full.log $sh/logs/*custom*.log
seed access_w3c $fx/logs/iis-w3c.log $fx/logs/iis-*.log $sh/logs/*u_ex*.log
seed prometheus $fx/logs/prometheus-*.json
seed netlog $fx/logs/chrome-netlog-*.json
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(har probe_jsonl flat_json probe_csv changes k6 curl atlas ping mtr access_clf access_w3c prometheus netlog)
cargo +nightly fuzz build -O -s none >/dev/null 2>&1
mkdir -p logs
for t in "${targets[@]}"; do
  cargo +nightly fuzz run -O -s none "$t" "corpus/$t" -- \
    -runs="$runs" -max_total_time="$secs" -max_len="${MAX_LEN:-4096}" -rss_limit_mb=2048 \
    -print_final_stats=1 > "logs/$t.log" 2>&1
  rc=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "logs/$t.log" | grep -o '[0-9]*$')
  cov=$(grep -oE 'cov: [0-9]+' "logs/$t.log" | tail -1)
  secs_run=$(grep -oE 'stat::average_exec_per_sec: *[0-9]+' "logs/$t.log" | grep -oE '[0-9]+$')
  crashes=$(ls "artifacts/$t" 2>/dev/null | grep -c '^crash-')
  slow=$(ls "artifacts/$t" 2>/dev/null | grep -c '^slow-unit-')
  echo "$t: rc=$rc executions=${execs:-?} exec_per_s=${secs_run:-?} ${cov:-} crashes=$crashes slow_units=$slow"
done
