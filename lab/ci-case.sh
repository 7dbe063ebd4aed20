#!/usr/bin/env bash
# CI: one short lab case end to end, so the lab cannot rot. Installs the lab
# (setup.sh), stages a global backend 503 (220 s of recording: 40 s healthy, 150 s outage, 30 s recovery; faultlens calls outages under about 2 min blips, see last-run.md), records it with
# the real browser and probes, analyses it with faultlens and checks that the
# verdict's fault domain is the staged one.
# env: FAULTLENS = the faultlens command (default: cargo run --release --)
#      LAB_CI_OUT = where the case is written (default: a temp dir)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
scenario="${LAB_CI_SCENARIO:-ci-backend-503}"
out="${LAB_CI_OUT:-$(mktemp -d /tmp/faultlens-lab-ci.XXXXXX)}"
"$here/setup.sh"
t0=$(date +%s)
"$here/run-case.sh" "$scenario" "$out/$scenario"
echo "lab-ci: staged and recorded $scenario in $(( $(date +%s) - t0 )) s"
read -r -a fl <<< "${FAULTLENS:-cargo run --release --}"
(cd "$here/.." && "${fl[@]}" analyze "$out/$scenario" --format json) > "$out/verdict.json"
want=$(jq -r .fault_domain "$out/$scenario/truth.json")
got=$(jq -r '.verdict.fault_domain' "$out/verdict.json")
inputs=$(jq '[.inputs[]? | select((.records // 0) > 0)] | length' "$out/verdict.json")
files=$(jq '.files | length' "$out/$scenario/truth.json")
echo "lab-ci: $inputs of $files captures read; fault_domain truth=$want got=$got"
if [ "$got" = "$want" ] && [ "$inputs" -gt 0 ]; then
  echo "lab-ci: 1 passed, 0 failed"
else
  echo "lab-ci: 0 passed, 1 failed"
  exit 1
fi
