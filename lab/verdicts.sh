#!/usr/bin/env bash
# Runs faultlens on every case of a corpus folder and writes a markdown table
# of truth against verdict (domain, scope, regions, onset), plus the inputs
# faultlens could not read. The lab is never tuned to this table.
# usage: lab/verdicts.sh CORPUS_DIR [OUT.md]     env FAULTLENS (default: cargo run --release --)
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dir="${1:?usage: $0 CORPUS_DIR [OUT.md]}"; out="${2:-/dev/stdout}"
read -r -a fl <<< "${FAULTLENS:-cargo run --release --}"
tmp=$(mktemp -d)
for c in "$dir"/*/; do
  c="${c%/}"; [ -f "$c/truth.json" ] || continue
  (cd "$here/.." && "${fl[@]}" analyze "$c" --format json > "$tmp/$(basename "$c").json" 2> "$tmp/$(basename "$c").err")
done
node - "$dir" "$tmp" > "$out" <<'JS'
const fs = require('fs'), path = require('path');
const [dir, tmp] = process.argv.slice(2);
const rows = [];
let hit = { domain: 0, scope: 0, onset: 0 }, n = 0;
for (const c of fs.readdirSync(dir).sort()) {
  const tf = path.join(dir, c, 'truth.json');
  if (!fs.existsSync(tf)) continue;
  const t = JSON.parse(fs.readFileSync(tf, 'utf8'));
  let v = null;
  try { v = JSON.parse(fs.readFileSync(path.join(tmp, c + '.json'), 'utf8')); } catch (e) { /* failed */ }
  n++;
  if (!v) { rows.push(`| ${c} | ${t.fault_domain} / ${t.scope} | (faultlens failed: ${fs.readFileSync(path.join(tmp, c + '.err'), 'utf8').split('\n')[0]}) | | | |`); continue; }
  const vd = v.verdict || {};
  const onsetT = t.onset ? Date.parse(t.onset) : null;
  const win = v.windows && v.windows.during;
  const onsetG = win ? win.start : null;
  const method = v.windows && v.windows.method;
  const dOn = onsetT && onsetG ? Math.round((Date.parse(onsetG) - onsetT) / 1000) : null;
  const okD = vd.fault_domain === t.fault_domain, okS = vd.scope === t.scope;
  const okO = t.onset === null ? !onsetG || vd.fault_domain === 'none' : dOn !== null && Math.abs(dOn) <= 120;
  hit.domain += okD; hit.scope += okS; hit.onset += okO;
  const unread = (v.inputs || []).filter((i) => i.format === 'unrecognised' || (i.bad_records || 0) > 0)
    .map((i) => `${path.basename(i.path)}${i.bad_records ? ` (${i.bad_records} bad)` : ''}`);
  const uniq = [...new Set(unread)];
  rows.push(`| ${c} | ${t.fault_domain} / ${t.scope}${t.affected_regions.length && t.scope === 'regional' ? ' ' + t.affected_regions.join(',') : ''} | ${vd.fault_domain} / ${vd.scope}${vd.scope === 'regional' ? ' ' + (vd.affected_regions || []).join(',') : ''} | ${okD ? 'yes' : '**no**'} | ${okS ? 'yes' : '**no**'} | ${dOn === null ? (onsetG ? onsetG : '-') : (dOn >= 0 ? '+' : '') + dOn + ' s'}${method ? ' (' + method + ')' : ''} | ${uniq.join(', ')} |`);
}
console.log(`# Lab corpus: truth against faultlens verdict\n`);
console.log(`${n} cases; domain right ${hit.domain}/${n}, scope right ${hit.scope}/${n}, onset within 2 min (or none for healthy) ${hit.onset}/${n}.\n`);
console.log('| case | truth (domain / scope) | got | domain | scope | onset error | not read |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
rows.forEach((r) => console.log(r));
JS
rm -rf "$tmp"
