#!/usr/bin/env bash
# Peak memory of `faultlens analyze` against input size and record count:
# a folder of access logs (LOG_GB gigabytes, as copies of one generated
# log, each in its own region= folder), a Chrome-style HAR (HAR_MB), and
# smaller cuts of both, so that the bound can be fitted. Prints one table
# row per run: input, bytes, records, peak RSS, RSS / input, RSS / record.
#
#   benches/memory.sh                       # LOG_GB=4 HAR_MB=1024
#   LOG_GB=2 HAR_MB=512 benches/memory.sh   # smaller, for a small machine
#   FAULTLENS_BIN=path/to/faultlens benches/memory.sh   # no build
#
# Needs python3 and /usr/bin/time (GNU time). Inputs are generated once
# under BENCH_DIR (default /tmp/faultlens-memory-bench) and reused.
set -euo pipefail
cd "$(dirname "$0")/.."
LOG_GB=${LOG_GB:-4}
HAR_MB=${HAR_MB:-1024}
DIR=${BENCH_DIR:-/tmp/faultlens-memory-bench}
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
mkdir -p "$DIR"

# One access log of 512 MB (nginx combined, 2.2 M lines), generated once.
UNIT="$DIR/access-512mb.log"
if [ ! -s "$UNIT" ]; then
  echo "generating $UNIT" >&2
  python3 - "$UNIT" <<'PY'
import sys, random
path = sys.argv[1]
target = 512 * 1_000_000
random.seed(1)
eps = ["/api/v1/projects/%d/tasks", "/api/cart", "/static/app.3f9a1c.js", "/checkout", "/api/v1/users/%d"]
written, i = 0, 0
with open(path, "w") as f:
    while written < target:
        buf = []
        for _ in range(20000):
            i += 1
            t = i // 50
            ep = eps[i % 5]
            if "%d" in ep:
                ep = ep % (i % 100000)
            s = t % 86400
            buf.append('198.51.100.%d - - [06/Feb/2025:%02d:%02d:%02d +0100] "GET %s?q=%d HTTP/1.1" %d %d "https://app.example.com/" "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0 Safari/537.36" %.3f %.3f\n'
                       % (i % 250, s // 3600, s // 60 % 60, s % 60, ep, i, 200 if i % 97 else 502, 100 + i % 9000, random.random(), random.random()))
        s = "".join(buf)
        f.write(s)
        written += len(s)
PY
fi
# Folders of 0.5, 1, 2, ... LOG_GB gigabytes: copies of the unit, one per
# region folder (the same lines in each: memory depends on the count).
logs_dir() { # GB (may be 0.5)
  local d="$DIR/logs-${1}gb" n
  n=$(python3 -c "print(max(1, round($1 * 2)))")
  if [ ! -d "$d" ] || [ "$(ls "$d" | wc -l)" -ne "$n" ]; then
    rm -rf "$d"
    for k in $(seq 1 "$n"); do
      mkdir -p "$d/region=r$k"
      cp "$UNIT" "$d/region=r$k/access.log"
    done
  fi
  echo "$d"
}
har_file() { # MB
  local f="$DIR/chrome-${1}mb.har"
  [ -s "$f" ] || { echo "generating $f" >&2; python3 benches/gen_har.py "$f" "$1" >&2; }
  echo "$f"
}

# FAULTLENS_BIN: a binary already built (memory does not depend on the
# profile; the dev profile of this crate is optimized too)
if [ -z "${FAULTLENS_BIN:-}" ]; then
  cargo build --release --quiet --bin faultlens
fi
BIN=${FAULTLENS_BIN:-${CARGO_TARGET_DIR:-target}/release/faultlens}

row() { # label, path
  local label=$1 path=$2 log="$DIR/time.log" out="$DIR/out.json"
  local bytes records rss
  bytes=$(du -sb --apparent-size "$path" | cut -f1)
  cat "$path" >/dev/null 2>&1 || find "$path" -type f -exec cat {} + >/dev/null
  /usr/bin/time -f '%M %e' -o "$log" "$BIN" analyze --format json "$path" >"$out"
  records=$(python3 -c "import json,sys; print(sum(i['records'] for i in json.load(open(sys.argv[1]))['inputs']))" "$out")
  read -r rss wall <"$log"
  python3 - "$label" "$bytes" "$records" "$rss" "$wall" <<'PY'
import sys
label, b, r, rss_kb, wall = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
rss = rss_kb * 1024
print(f"| {label} | {b/1e9:.2f} GB | {r:,} | {rss/2**20:,.0f} MiB | {rss/b:.3f} | {rss/max(r,1):,.0f} B | {wall} s |")
PY
}

echo "| input | size | records | peak RSS | RSS / input | RSS / record | wall |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
for gb in 0.5 1 2 "$LOG_GB"; do
  [ "$(python3 -c "print(int($gb <= $LOG_GB))")" = 1 ] || continue
  row "access logs, ${gb} GB folder" "$(logs_dir "$gb")"
  [ "$gb" = "$LOG_GB" ] && break
done
for mb in 256 "$HAR_MB"; do
  row "Chrome HAR, ${mb} MB" "$(har_file "$mb")"
  [ "$mb" = "$HAR_MB" ] && break
done
