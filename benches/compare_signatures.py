#!/usr/bin/env python
"""Signatures alone, ghirbal vs rensa's batch digest, from the same u64 shingle hashes,
one thread each, interleaved rounds, medians.

  cargo build --release -p corpus-bench --example sig_hashes
  RAYON_NUM_THREADS=1 /tmp/peers/bin/python benches/compare_signatures.py [PREFIX] [ROUNDS] [REPEAT]

Round 0 makes target/release/examples/sig_hashes write PREFIX.u64 / PREFIX.offsets.u64,
the word 3-gram shingle hashes of the Arabic development corpus (unless PREFIX.version
says the current signature version made them); each round then times
every ghirbal kernel (median of 3 inside the example) and
rensa.RMinHash.digest_matrix_from_flat_token_hashes (128 permutations) on the same
hashes, each signing the corpus REPEAT times. Prints a Markdown table.
"""
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np
import rensa

repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
exe = os.path.join(repo, "target", "release", "examples", "sig_hashes")
prefix = sys.argv[1] if len(sys.argv) > 1 else "/tmp/ghirbal-sig"
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
repeat = int(sys.argv[3]) if len(sys.argv) > 3 else 10
env = dict(os.environ, RAYON_NUM_THREADS="1")
# Round 0 (re)writes the hash files unless this signature version made them.
subprocess.run([exe, prefix, "1", "1"], check=True, env=env, stdout=subprocess.DEVNULL)
hashes = np.fromfile(prefix + ".u64", dtype="<u8")
offsets = np.fromfile(prefix + ".offsets.u64", dtype="<u8")
times: dict[str, list[float]] = {}
cpu: list[float] = []
for _ in range(rounds):
    out = subprocess.run([exe, prefix, "3", str(repeat)], check=True, env=env, capture_output=True, text=True)
    for line in out.stdout.splitlines():
        r = json.loads(line)
        times.setdefault(r["tool"], []).append(r["median_s"])
    t, c = time.perf_counter(), time.process_time()
    for _ in range(repeat):
        rensa.RMinHash.digest_matrix_from_flat_token_hashes(hashes, offsets, 128, 1)
    times.setdefault("rensa 0.5.0 digest_matrix_from_flat_token_hashes", []).append(time.perf_counter() - t)
    cpu.append(time.process_time() - c)
n = len(hashes) * repeat
base = statistics.median(times["rensa 0.5.0 digest_matrix_from_flat_token_hashes"])
print(f"{len(offsets) - 1} documents × {repeat}, {n} shingle hashes, 128 permutations, "
      f"{rounds} interleaved rounds (rensa CPU/wall {statistics.median(cpu) / base:.2f})\n")
print("| kernel | median s | M shingles/s | vs rensa |")
print("|---|---|---|---|")
for tool, ts in times.items():
    m = statistics.median(ts)
    print(f"| {tool} | {m:.4f} | {n / m / 1e6:.1f} | {base / m:.2f}× |")
