#!/usr/bin/env bash
# One vantage's probe loop, inside the region's mount namespace (its own
# /etc/resolv.conf): curl -w '%{json}', ping -D, mtr --json and dig, as a
# cron-style collector would run them, each line/report stamped with the time.
# usage: probes.sh OUTDIR CACERT START_EPOCH END_EPOCH ERRDIR
set -u
out="$1" ca="$2" start="$3" end="$4" err="${5:-$1}"
mkdir -p "$out"
while [ "$(date +%s)" -lt "$start" ]; do sleep 0.2; done
stamp() { date -u +%Y-%m-%dT%H:%M:%S.%3NZ; }
# continuous ping for the whole window (-O: report missing replies)
ping -D -O -i 1 -W 1 -w $((end - start)) app.shopfront.test > "$out/ping.txt" 2>> "$err/ping.err" &
pingpid=$!
n=0
while [ "$(date +%s)" -lt "$end" ]; do
  t=$(date +%s)
  (
    for u in https://app.shopfront.test/ https://app.shopfront.test/api/v1/health https://static.shopfront-cdn.test/js/app.js https://widgets.reviewly.test/widget.js; do
      ts=$(stamp)
      line=$(curl -s -o /dev/null --cacert "$ca" --connect-timeout 4 --max-time 8 -w '%{json}' "$u" 2>/dev/null)
      printf '%s %s\n' "$ts" "$line" >> "$out/curl.jsonl"
    done
  ) & cpid=$!
  ( ts=$(stamp); r=$(dig +time=2 +tries=1 app.shopfront.test static.shopfront-cdn.test widgets.reviewly.test collect.metricsy.test 2>&1); printf '### %s\n%s\n' "$ts" "$r" >> "$out/dig.txt" ) & dpid=$!
  if [ $((n % 3)) -eq 0 ]; then
    ts=$(stamp)
    m=$(mtr --json -c 3 -i 0.5 app.shopfront.test 2>>"$err/mtr.err")
    [ -n "$m" ] && printf '%s %s\n' "$ts" "$m" >> "$out/mtr.json"
  fi
  wait $cpid $dpid 2>/dev/null
  n=$((n + 1))
  while [ "$(date +%s)" -lt $((t + 10)) ]; do sleep 0.2; done
done
kill "$pingpid" 2>/dev/null; wait "$pingpid" 2>/dev/null
exit 0
