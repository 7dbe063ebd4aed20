#!/usr/bin/env bash
# Log reader throughput: own-format probe JSONL, nginx combined access log
# and k6 --out json, ~SIZE_MB each (default 1024), timed end to end
# (read + detect + parse + normalise) against a floor (read + split lines +
# serde_json / minimal tokenising of each line), release build.
#
#   benches/logs_bench.sh                 # 1 GB per format
#   SIZE_MB=300 benches/logs_bench.sh     # smaller, for a busy machine
#   RAYON_NUM_THREADS=1 benches/logs_bench.sh   # per-core figures
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MB=${SIZE_MB:-1024}
DIR=${BENCH_DIR:-/tmp/faultlens-logs-bench}
mkdir -p "$DIR"

gen() { # kind file
  python3 - "$1" "$2" "$SIZE_MB" <<'PY'
import sys, random
kind, path, size_mb = sys.argv[1], sys.argv[2], int(sys.argv[3])
target = size_mb * 1_000_000
random.seed(1)
t0 = 1738836000
regions = [("probe-fra-1","eu-west"),("probe-iad-2","us-east"),("probe-sin-1","ap-southeast"),("probe-gru-1","sa-east")]
eps = ["/api/v1/projects/%d/tasks","/api/cart","/static/app.3f9a1c.js","/checkout","/api/v1/users/%d"]
written = 0
i = 0
with open(path, "w") as f:
    while written < target:
        buf = []
        for _ in range(20000):
            i += 1
            t = t0 + i // 50
            if kind == "probe":
                ag, rg = regions[i % 4]
                bad = (i // 5000) % 10 == 3
                buf.append('{"ts":%d,"agent":"%s","region":"%s","test":"app-http","type":"http","target":"https://app%d.example.com/api/health","status":%d,"error":%s,"dns_ms":%.1f,"connect_ms":%.1f,"tls_ms":%.1f,"send_ms":0.1,"wait_ms":%.1f,"receive_ms":1.2,"total_ms":%.1f}\n'
                           % (t, ag, rg, i % 7, 503 if bad else 200, '"upstream timeout"' if bad else "null", random.random()*5, 10+random.random()*20, 20+random.random()*20, 60+random.random()*30, 120+random.random()*40))
            elif kind == "access":
                ep = eps[i % 5]
                if "%d" in ep: ep = ep % (i % 100000)
                s = t % 86400
                buf.append('198.51.100.%d - - [06/Feb/2025:%02d:%02d:%02d +0100] "GET %s?q=%d HTTP/1.1" %d %d "https://app.example.com/" "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0 Safari/537.36" %.3f %.3f\n'
                           % (i % 250, s // 3600, s // 60 % 60, s % 60, ep, i, 200 if i % 97 else 502, 100 + i % 9000, random.random(), random.random()))
            else:
                us = i * 1000
                ts = "2025-02-06T%02d:%02d:%02d.%06d+01:00" % ((us // 3600_000_000) % 24, (us // 60_000_000) % 60, (us // 1_000_000) % 60, us % 1_000_000)
                tags = '{"expected_response":"true","group":"","method":"GET","name":"https://app.example.com/api/cart","proto":"HTTP/1.1","scenario":"checkout","status":"200","tls_version":"tls1.3","url":"https://app.example.com/api/cart"}'
                for m, v in (("http_reqs",1),("http_req_duration",95.3),("http_req_blocked",0.8),("http_req_connecting",0.0),("http_req_tls_handshaking",0.0),("http_req_sending",0.03),("http_req_waiting",93.1),("http_req_receiving",2.2),("http_req_failed",0)):
                    buf.append('{"type":"Point","data":{"time":"%s","value":%s,"tags":%s},"metric":"%s"}\n' % (ts, v, tags, m))
                buf.append('{"type":"Point","data":{"time":"%s","value":1,"tags":{"group":"","scenario":"checkout"}},"metric":"iterations"}\n' % ts)
        s = "".join(buf)
        f.write(s)
        written += len(s)
PY
}

for k in probe access k6; do
  f="$DIR/$k-${SIZE_MB}mb.log"
  [ -s "$f" ] || { echo "generating $f"; gen "$k" "$f"; }
done

cargo build --release --example ingest_logs --example lines_floor
BIN=${CARGO_TARGET_DIR:-target}/release/examples
echo "threads: ${RAYON_NUM_THREADS:-all ($(nproc))}"
for k in probe access k6; do
  f="$DIR/$k-${SIZE_MB}mb.log"
  mode=json; [ "$k" = access ] && mode=text
  cat "$f" > /dev/null   # warm the page cache for both runs
  echo "== $k"
  "$BIN/lines_floor" "$mode" "$f" | tail -2 | sed 's/^/floor   /'
  # as `faultlens analyze` reads it (large probe / access logs in blocks),
  # then read whole first
  "$BIN/ingest_logs" "$f" | tail -2 | sed 's/^/ingest  /'
  "$BIN/ingest_logs" --whole "$f" | tail -1 | sed 's/^/ingest (whole) /'
done
