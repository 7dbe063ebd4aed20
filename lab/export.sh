#!/usr/bin/env bash
# Copies recorded cases into the committed corpus: bodies dropped from the
# HARs, every capture gzip-compressed (faultlens reads .gz transparently),
# truth.json's file paths updated to the .gz names.
# usage: lab/export.sh RUNDIR [DEST=fixtures/lab]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
run="${1:?usage: $0 RUNDIR [DEST]}"; dest="${2:-$here/../fixtures/lab}"
mkdir -p "$dest"
for c in "$run"/*/; do
  c="${c%/}"; n="$(basename "$c")"
  [ -f "$c/truth.json" ] || { echo "skip $n (no truth.json: incomplete)"; continue; }
  rm -rf "${dest:?}/$n"; cp -a "$c" "$dest/$n"
  find "$dest/$n" -type f -empty -delete # e.g. no change-log entries
  find "$dest/$n" -name '*.har' -print0 | xargs -0 -r node "$here/lib/strip-bodies.js" > /dev/null
  find "$dest/$n" -type f ! -name truth.json ! -name '*.gz' -print0 | xargs -0 -r gzip -9 -n
  node -e '
    const fs = require("fs"); const f = process.argv[1]; const t = JSON.parse(fs.readFileSync(f, "utf8"));
    const dir = require("path").dirname(f);
    t.files = t.files.filter((x) => fs.existsSync(dir + "/" + x.path) || fs.existsSync(dir + "/" + x.path + ".gz"));
    for (const x of t.files) if (!x.path.endsWith(".gz")) x.path += ".gz";
    fs.writeFileSync(f, JSON.stringify(t, null, 2) + "\n");' "$dest/$n/truth.json"
  echo "$n $(du -sk "$dest/$n" | cut -f1) KB"
done
du -sh "$dest"
