#!/usr/bin/env bash
# Interleaved timing of several `ghirbal` builds on one input: each round runs every
# build once, in turn, so that a machine that speeds up or slows down over the session
# affects them alike. Prints each run (wall, user + system CPU, and the job's own step
# timings from summary.json) and the medians per build.
#
#   benches/ab_builds.sh ROUNDS INPUT.jsonl BUILD... [-- extra dedup flags]
#   e.g. benches/ab_builds.sh 3 /tmp/scale200k.jsonl /tmp/ghirbal-before target/release/ghirbal
#
# THREADS (default 2) sets --threads. Needs GNU time (/usr/bin/time) and python3.
set -euo pipefail
rounds=$1 input=$2
shift 2
builds=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do builds+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
threads=${THREADS:-2}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for _ in $(seq "$rounds"); do
  for b in "${builds[@]}"; do
    rm -rf "$out/o"
    /usr/bin/time -f "%e %U %S" -o "$out/time" "$b" dedup "$input" -o "$out/o" \
      --threads "$threads" -q "$@"
    python3 - "$b" "$out/time" "$out/o/summary.json" >>"$out/runs" <<'PY'
import json, sys
wall, user, sys_ = map(float, open(sys.argv[2]).read().split())
t = json.load(open(sys.argv[3]))["timings"]
print(sys.argv[1], wall, round(user + sys_, 2), t["read_and_sketch"], t["cluster"], t["write"])
PY
  done
done
python3 - "$out/runs" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    b, *v = line.split()
    runs.setdefault(b, []).append([float(x) for x in v])
    print(line.rstrip())
print("build | wall s | CPU s | read_and_sketch | cluster | write (medians)")
for b, rows in runs.items():
    med = [statistics.median(c) for c in zip(*rows)]
    print(b, "|", " | ".join(f"{m:.2f}" for m in med))
PY
