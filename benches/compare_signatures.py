#!/usr/bin/env python
"""Signatures alone, ghirbal vs rensa's batch digest, from the same u64 shingle hashes.

  cargo run --release -p corpus-bench --example sig_hashes -- /tmp/sig 5 > /tmp/sig.ghirbal.jsonl
  RAYON_NUM_THREADS=1 /tmp/peers/bin/python benches/compare_signatures.py /tmp/sig /tmp/sig.ghirbal.jsonl

Times rensa.RMinHash.digest_matrix_from_flat_token_hashes (128 permutations, one thread)
on the hashes sig_hashes wrote, median of 5 runs, and prints a Markdown table with
ghirbal's figures (read from the example's output) beside it.
"""
import json
import statistics
import sys
import time

import numpy as np
import rensa

prefix, ours = sys.argv[1], sys.argv[2]
hashes = np.fromfile(prefix + ".u64", dtype="<u8")
offsets = np.fromfile(prefix + ".offsets.u64", dtype="<u8")
times = []
for _ in range(5):
    t = time.perf_counter()
    m = rensa.RMinHash.digest_matrix_from_flat_token_hashes(hashes, offsets, 128, 1)
    times.append(time.perf_counter() - t)
med = statistics.median(times)
rows = [json.loads(line) for line in open(ours) if line.strip()]
rows.append({"tool": "rensa 0.5.0 digest_matrix_from_flat_token_hashes", "docs": len(offsets) - 1,
             "shingles": int(len(hashes)), "num_perm": 128, "median_s": med,
             "mshingles_per_s": len(hashes) / med / 1e6})
print("| kernel | docs | shingles | median s | M shingles/s | vs rensa |")
print("|---|---|---|---|---|---|")
for r in rows:
    print(f"| {r['tool']} | {r['docs']} | {r['shingles']} | {r['median_s']:.4f} | {r['mshingles_per_s']:.1f} | "
          f"{med / r['median_s']:.1f}× |")
