#!/usr/bin/env bash
# Write every output faultlens gives on the bundled fixtures and the real
# corpus into one folder, one file per run, so two builds can be compared
# byte for byte (a refactor must not change a single output byte):
#
#   FAULTLENS=/tmp/fl-before scripts/output-snapshot.sh /tmp/snap-before
#   FAULTLENS=target/debug/faultlens scripts/output-snapshot.sh /tmp/snap-after
#   diff -r /tmp/snap-before /tmp/snap-after && echo identical
#
# Covers analyze (table, json, markdown), report, compare, sanitize,
# explain and formats; ../shared/corpus is included when it is there.
# stderr is kept too (warnings and per-file counts are output).
set -uo pipefail
cd "$(dirname "$0")/.."
fl="${FAULTLENS:-target/debug/faultlens}"
out="${1:?usage: output-snapshot.sh OUT_DIR}"
rm -rf "$out"
mkdir -p "$out"
n=0
# run NAME ARGS...: stdout and stderr of one run, with its exit code
run() {
  local name="$1"
  shift
  "$fl" "$@" >"$out/$name.out" 2>"$out/$name.err" </dev/null
  echo "exit $?" >>"$out/$name.err"
  n=$((n + 1))
}
slug() { printf '%s' "$1" | tr '/.=' '___'; }
for d in fixtures/incidents/*/ fixtures/lab/*/; do
  d="${d%/}"
  s="$(slug "$d")"
  for f in table json markdown; do
    run "analyze-$f-$s" analyze -q --color never --format "$f" "$d"
  done
  run "report-$s" report -q "$d"
done
# every single file the fixtures and the corpus hold, read alone
shopt -s nullglob
files=(fixtures/har/* fixtures/logs/* fixtures/secrets/* ../shared/corpus/har/* ../shared/corpus/logs/*)
for f in "${files[@]}"; do
  [ -f "$f" ] || continue
  case "$f" in *.md | *.tsv) continue ;; esac
  s="$(slug "$f")"
  run "file-json-$s" analyze --format json "$f"
  run "file-table-$s" analyze --color never "$f"
done
for f in fixtures/har/*.har fixtures/secrets/*.har ../shared/corpus/har/*.har; do
  s="$(slug "$f")"
  run "sanitize-$s" sanitize -o "$out/sanitize-$s.har" "$f"
done
# compare: each lab case's HARs, first against last (a baseline and an
# incident capture when the case has them)
for d in fixtures/lab/*/ fixtures/incidents/*/; do
  hars=("$d"har/*)
  [ ${#hars[@]} -ge 2 ] || continue
  s="$(slug "${d%/}")"
  run "compare-json-$s" compare -q --format json --baseline "${hars[0]}" --incident "${hars[-1]}"
  run "compare-md-$s" compare -q --format markdown --baseline "${hars[0]}" --incident "${hars[-1]}"
done
run explain-all explain --all
run explain-md explain --all --markdown
run formats formats
# the sanitize messages name the output folder: keep them comparable
sed -i "s#$out/##g" "$out"/sanitize-*.err
echo "$n runs written to $out" >&2
