#!/bin/sh
# Regenerates docs/example-summary.md (and its SVG charts) from the bundled
# asana-global incident. tests/report_render.rs checks the file is current,
# so run this after any change to the renderers or the analysis.
set -eu
cd "$(dirname "$0")/.."
cargo run -q -- report fixtures/incidents/asana-global -o docs/example-summary.md --svg -q
echo "wrote docs/example-summary.md and docs/example-summary-*.svg"
