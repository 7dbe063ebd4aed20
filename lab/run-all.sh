#!/usr/bin/env bash
# Runs every scenario (or the ones named) into OUTDIR/NAME, LAB_JOBS at a time
# (default 3: each case has its own 127.N.0.0/16 addresses, so cases run side
# by side), and prints the wall time.
# usage: lab/run-all.sh OUTDIR [SCENARIO...]   (LAB_RESUME=1 keeps finished cases)
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:?usage: $0 OUTDIR [SCENARIO...]}"; shift
mkdir -p "$out/.logs"
if [ $# -gt 0 ]; then names=("$@"); else
  mapfile -t names < <("$here/run-case.sh" --list | awk '$1 !~ /^ci-/ {print $1}')
fi
jobs_max="${LAB_JOBS:-3}"
t0=$(date +%s)
declare -A pids=()
fail=0
reap() {
  local n rc
  for n in "${!pids[@]}"; do
    if ! kill -0 "${pids[$n]}" 2>/dev/null; then
      wait "${pids[$n]}"; rc=$?
      echo "$(date -u +%H:%M:%S) finished $n rc=$rc"
      [ $rc -eq 0 ] || fail=$((fail + 1))
      unset "pids[$n]"
    fi
  done
}
for n in "${names[@]}"; do
  if [ -n "${LAB_RESUME:-}" ] && [ -f "$out/$n/truth.json" ]; then echo "have $n"; continue; fi
  while [ "${#pids[@]}" -ge "$jobs_max" ]; do sleep 2; reap; done
  echo "$(date -u +%H:%M:%S) start $n"
  "$here/run-case.sh" "$n" "$out/$n" > "$out/.logs/$n.log" 2>&1 &
  pids[$n]=$!
  sleep 5 # stagger browser start-ups
done
while [ "${#pids[@]}" -gt 0 ]; do sleep 2; reap; done
t1=$(date +%s)
echo "all ${#names[@]} cases in $(( (t1 - t0) / 60 )) min $(( (t1 - t0) % 60 )) s wall, $fail failed"
[ $fail -eq 0 ]
