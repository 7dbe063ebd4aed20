#!/bin/sh
# Rewrites docs/accuracy.md: the whole file is the output of one command
# over the scenario generator (SEEDS seeds from FIRST_SEED, every kind, its
# difficulty sweep) and the labelled corpora in the repository (fixtures/lab,
# fixtures/realcase/cases/{tune,holdout}). Never edit the file by hand.
#
#   scripts/regen-accuracy.sh           the tables, with the compiled-in map
#   scripts/regen-accuracy.sh --refit   refit src/calibration.json on the
#                                       cases not held out, then the tables
#                                       with the new map
#
# After --refit, rebuild: the map is compiled in (tests/accuracy_doc.rs
# checks that the binary reproduces the file).
set -eu
cd "$(dirname "$0")/.."
SEEDS="${SEEDS:-8}"
FIRST_SEED="${FIRST_SEED:-1000}"
fl="${FAULTLENS:-cargo run -q --}"
fit=""
if [ "${1:-}" = "--refit" ]; then
  fit="--fit-calibration src/calibration.json"
fi
start=$(date +%s)
# shellcheck disable=SC2086
$fl accuracy --all --seeds "$SEEDS" --first-seed "$FIRST_SEED" $fit ${CASES:+--cases "$CASES"} --markdown > docs/accuracy.md.tmp
mv docs/accuracy.md.tmp docs/accuracy.md
echo "wrote docs/accuracy.md${fit:+ and src/calibration.json} in $(( $(date +%s) - start )) s"
