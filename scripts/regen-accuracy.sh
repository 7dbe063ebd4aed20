#!/bin/sh
# Rewrites docs/accuracy.md: the whole file is the output of one command
# over the scenario generator (SEEDS seeds from FIRST_SEED, every kind, its
# difficulty sweep), the labelled corpora in the repository (fixtures/lab,
# fixtures/realcase/cases/{tune,holdout}) and the real-structure grid built
# from fixtures/realcase/sources. Never edit the file by hand.
#
#   scripts/regen-accuracy.sh           the tables, with the compiled-in map
#   scripts/regen-accuracy.sh --refit   refit src/calibration.json on the
#                                       cases not held out, then the tables
#                                       with the new map
#
# After --refit, rebuild: the map is compiled in (tests/accuracy_doc.rs
# checks that the binary reproduces the file).
#
# Cost: one pass over ~4400 pipeline runs (8 seeds x 14 kinds x ~11 sweep
# settings, 58 corpus cases and the lab's ~470 single captures, and the
# real-structure grid: 19 producer templates of the 10 committed sources x
# 4 modes x 10 kinds x 3 seeds);
# about 11 min of CPU in the dev profile, most of it the grid's large news
# pages. SEEDS=4 halves the generated part. CASES=FILE also writes every case (truth, raw and calibrated verdict).
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
