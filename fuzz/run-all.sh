#!/usr/bin/env bash
# Fuzz every target (or the ones named) with the project's seeds and print
# a table: target, executions, exec/s, coverage, result.
#
# Installs cargo-fuzz when it is missing (nightly toolchain required),
# seeds fuzz/corpus/<target>/ from the fixtures (and ../shared/corpus when
# present, and the regression inputs in fixtures/fuzz/), builds every
# target, then runs each for RUNS executions (default 10 M) or
# SECONDS_PER_TARGET seconds (default 0 = no time limit), one at a time.
#
#   fuzz/run-all.sh                        # every target, 10 M executions
#   fuzz/run-all.sh har_stream log_stream  # some targets
#   RUNS=-1 SECONDS_PER_TARGET=300 fuzz/run-all.sh       # time-boxed
#   SANITIZER=address RUNS=2000000 fuzz/run-all.sh har_file  # with ASan
#
# A target that fails leaves its input in fuzz/artifacts/<target>/; copy it
# to fixtures/fuzz/<target or format>/ so tests/fuzz_regressions.rs replays
# it. Logs are in fuzz/logs/<target>[-asan].log.
set -uo pipefail
cd "$(dirname "$0")"
runs="${RUNS:-10000000}"
secs="${SECONDS_PER_TARGET:-0}"
max_len="${MAX_LEN:-1024}"
san="${SANITIZER:-none}"
# a sanitizer build gets its own target dir: the flags differ, and sharing
# one would rebuild everything at each switch
if [ "$san" = none ]; then
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/faultlens-fuzz-target}"
else
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/faultlens-fuzz-target-$san}"
fi

if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  echo "installing cargo-fuzz ..." >&2
  cargo install cargo-fuzz || exit 1
fi

fx=../fixtures
sh=../../shared/corpus
# seed TARGET PREFIX FILE...: each file (gunzipped when gzipped) cut to
# max_len bytes, after PREFIX (the byte a differential target reads its
# block size or format from; empty for the others)
seed() {
  local t="$1" prefix="$2"
  shift 2
  mkdir -p "corpus/$t"
  for f in "$@"; do
    [ -f "$f" ] || continue
    local out
    out="corpus/$t/seed-$(printf '%s' "$f" | tr '/.' '__')"
    {
      printf "$prefix"
      if [ "$(head -c2 "$f" | od -An -tx1 | tr -d ' ')" = 1f8b ]; then gzip -dc "$f"; else cat "$f"; fi
    } 2>/dev/null | head -c "$max_len" >"$out"
  done
}
hars=($fx/har/*.har $fx/incidents/*/har/*.har $sh/har/*.har $sh/har/*/*.har $fx/fuzz/har/*)
probes=($fx/logs/probe.jsonl $fx/incidents/*/probes/*.jsonl)
access=($fx/logs/apache-common.log $fx/logs/apache-vhost-D.log $fx/logs/nginx-combined.log
  $fx/logs/ingress-nginx*.log $fx/incidents/*/access/* $sh/logs/*common.log $sh/logs/*full.log
  $sh/logs/*custom*.log)
seed har '' "${hars[@]}"
seed har_stream '\x10' "${hars[@]}" $fx/fuzz/har_stream/*
seed har_file '\x10' "${hars[@]}" $fx/fuzz/har_file/*
seed probe_jsonl '' "${probes[@]}" $fx/fuzz/probe-jsonl/*
seed flat_json '' "${probes[@]}" $fx/fuzz/flat_json/*
# log_stream: an even first byte reads the probe JSONL reader, odd the access log one
seed log_stream '\x20' "${probes[@]}"
seed log_stream '\x21' "${access[@]}"
seed log_stream '' $fx/fuzz/log_stream/*
seed probe_csv '' $fx/logs/probe.csv $fx/incidents/*/probes/*.csv
seed changes '' $fx/logs/changes.jsonl $fx/logs/changes.csv $fx/incidents/*/changes/*
seed k6 '' $fx/logs/k6.json $fx/incidents/*/k6/*
seed k6_summary '' $fx/logs/k6-export-*.json $fx/logs/k6-handle-summary*.json $fx/logs/k6-summary-export.json
seed curl '' $fx/logs/curl.log $sh/logs/curl-test970.txt
seed atlas '' $fx/logs/atlas-ping.json $fx/logs/atlas.jsonl $fx/logs/atlas-sagan-*.json* $fx/logs/atlas-fw*
seed ping '' $fx/logs/ping-*.txt
seed mtr '' $fx/logs/mtr-0.93.txt $fx/logs/mtr-0.95.jsonl
seed access_clf '' "${access[@]}"
seed access_w3c '' $fx/logs/iis-*.log $sh/logs/*u_ex*.log
seed prometheus '' $fx/logs/prometheus-*.json
seed netlog '' $fx/logs/chrome-netlog-*.json*

targets=("$@")
[ ${#targets[@]} -eq 0 ] && mapfile -t targets < <(cargo +nightly fuzz list)
echo "building (sanitizer: $san) ..." >&2
mkdir -p logs
suffix=""
[ "$san" = none ] || suffix="-$san"
if ! cargo +nightly fuzz build -O -s "$san" >"logs/build$suffix.txt" 2>&1; then
  tail -30 "logs/build$suffix.txt" >&2
  exit 1
fi
commas() { echo "$1" | sed -e ':a' -e 's/\B[0-9]\{3\}\>/,&/' -e 'ta'; }
echo "| target | executions | exec/s | cov | result |"
echo "| --- | ---: | ---: | ---: | --- |"
failed=0
for t in "${targets[@]}"; do
  log="logs/$t$suffix.log"
  before=$(ls "artifacts/$t" 2>/dev/null | grep -c -E '^(crash|leak|timeout|oom)-')
  nice -n "${NICE:-19}" cargo +nightly fuzz run -O -s "$san" "$t" "corpus/$t" -- \
    -runs="$runs" -max_total_time="$secs" -max_len="$max_len" -rss_limit_mb=2048 \
    -timeout="${TIMEOUT:-10}" -print_final_stats=1 >"$log" 2>&1
  rc=$?
  execs=$(grep -aoE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -aoE '[0-9]+$')
  rate=$(grep -aoE 'stat::average_exec_per_sec: *[0-9]+' "$log" | grep -aoE '[0-9]+$')
  cov=$(grep -aoE 'cov: [0-9]+' "$log" | tail -1 | grep -aoE '[0-9]+')
  after=$(ls "artifacts/$t" 2>/dev/null | grep -c -E '^(crash|leak|timeout|oom)-')
  if [ "$rc" -eq 0 ] && [ "$after" -eq "$before" ]; then
    result=clean
  else
    result="FAILED rc=$rc, $((after - before)) new artifact(s) in fuzz/artifacts/$t"
    failed=1
  fi
  printf '| %s | %s | %s | %s | %s |\n' "$t$suffix" \
    "$(commas "${execs:-0}")" "$(commas "${rate:-0}")" "${cov:-?}" "$result"
done
exit $failed
