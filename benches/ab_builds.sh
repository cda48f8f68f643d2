#!/usr/bin/env bash
# Interleaved timing of several `ghirbal` builds on one input: each round runs every
# build once, in turn, so that a machine that speeds up or slows down over the session
# affects them alike. Prints each run (wall, user + system CPU, and the job's own step
# timings from summary.json) and the medians per build.
#
#   benches/ab_builds.sh ROUNDS INPUT.jsonl BUILD... [-- extra dedup flags]
#   e.g. benches/ab_builds.sh 3 /tmp/scale200k.jsonl /tmp/ghirbal-before target/release/ghirbal
#
# THREADS (default 2) sets --threads; JOB=clean times `ghirbal clean` instead of
# `ghirbal dedup` (its steps: count, count_passages, clean_and_write). Needs GNU time
# (/usr/bin/time) and python3.
set -euo pipefail
rounds=$1 input=$2
shift 2
builds=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do builds+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
threads=${THREADS:-2}
job=${JOB:-dedup}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for _ in $(seq "$rounds"); do
  for b in "${builds[@]}"; do
    rm -rf "$out/o"
    /usr/bin/time -f "%e %U %S" -o "$out/time" "$b" "$job" "$input" -o "$out/o" \
      --threads "$threads" -q "$@"
    python3 - "$b" "$out/time" "$out/o/summary.json" "$job" >>"$out/runs" <<'PY'
import json, sys
wall, user, sys_ = map(float, open(sys.argv[2]).read().split())
t = json.load(open(sys.argv[3]))["timings"]
steps = {"dedup": ["read_and_sketch", "cluster", "write"],
         "clean": ["count", "count_passages", "clean_and_write"]}[sys.argv[4]]
print(sys.argv[1], wall, round(user + sys_, 2), *(t.get(s, 0.0) for s in steps))
PY
  done
done
python3 - "$out/runs" "$job" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    b, *v = line.split()
    runs.setdefault(b, []).append([float(x) for x in v])
    print(line.rstrip())
steps = {"dedup": "read_and_sketch | cluster | write",
         "clean": "count | count_passages | clean_and_write"}[sys.argv[2]]
print(f"build | wall s | CPU s | {steps} (medians)")
for b, rows in runs.items():
    med = [statistics.median(c) for c in zip(*rows)]
    print(b, "|", " | ".join(f"{m:.2f}" for m in med))
PY
