#!/usr/bin/env bash
# Stages one scenario end to end and writes its case folder.
# usage: lab/run-case.sh SCENARIO OUTDIR   (lab/run-case.sh --list lists them)
# Needs root (nginx/dnsmasq on port 443/53 of 127.x addresses, mount namespaces).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [ "${1:-}" = "--list" ]; then
  exec node -e 'for (const s of require(process.argv[1]).SCENARIOS) console.log(s.name, s.domain, s.scope, s.total + "s")' "$here/lib/scenarios.js"
fi
[ $# -ge 2 ] || { echo "usage: $0 SCENARIO OUTDIR" >&2; exit 2; }
[ -d "$here/node_modules/playwright-core" ] || { echo "run lab/setup.sh first" >&2; exit 2; }
rm -rf "$2"; mkdir -p "$2"
# the orchestrator is its own process group leader; whatever happens here,
# its group (nginx, dnsmasq, browsers, probes) is ended on exit
setsid node "$here/lib/orchestrate.js" "$1" "$2" ${LAB_OCTET:-} &
pid=$!
cleanup() {
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- -"$pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT INT TERM
wait "$pid"
