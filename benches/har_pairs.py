#!/usr/bin/env python3
"""Paired HAR benchmark: the parse floor and `faultlens analyze`, run
alternately N times (the order flips every pair), so that the drift of a
shared VM hits both alike. Prints each contender's mean, median and range
and the analyze / floor ratio per pair.

usage: benches/har_pairs.py TARGET_DIR HAR [N]
  TARGET_DIR  the cargo target dir of a release build of the faultlens
              binary and the har_floor example, e.g. ~/.cache/ft-rel
  HAR         the input, e.g. from benches/gen_har.py
"""
import statistics as st
import subprocess
import sys
import time

if len(sys.argv) < 3:
    sys.exit(__doc__)
target, har = sys.argv[1], sys.argv[2]
n = int(sys.argv[3]) if len(sys.argv) > 3 else 20
cmds = {
    "floor": [f"{target}/release/examples/har_floor", har],
    "analyze": [f"{target}/release/faultlens", "analyze", "--format", "json", har],
}


def run(cmd):
    t0 = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t0


for cmd in cmds.values():  # warm-up: page cache, binaries
    run(cmd)
times = {k: [] for k in cmds}
ratios = []
for i in range(n):
    order = list(cmds) if i % 2 == 0 else list(reversed(list(cmds)))
    pair = {k: run(cmds[k]) for k in order}
    for k, v in pair.items():
        times[k].append(v)
    ratios.append(pair["analyze"] / pair["floor"])
for k, v in times.items():
    print(f"{k:8} mean {st.mean(v) * 1e3:5.0f} ms  median {st.median(v) * 1e3:5.0f}  "
          f"range {min(v) * 1e3:.0f}-{max(v) * 1e3:.0f}")
print(f"analyze / floor: median of pairs {st.median(ratios):.2f}, "
      f"ratio of means {st.mean(times['analyze']) / st.mean(times['floor']):.2f}, "
      f"analyze faster in {sum(r < 1 for r in ratios)} of {n} pairs")
