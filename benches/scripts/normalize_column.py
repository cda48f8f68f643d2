#!/usr/bin/env python3
"""`Normalizer.normalize_batch` (Python strings out) against `Normalizer.normalize_arrow`
(a pyarrow.Array out) on the text column of a JSON Lines file, as a pyarrow chunked
array; interleaved rounds, medians, and whether both give the same texts.

  target/venv/bin/python benches/scripts/normalize_column.py /tmp/scale200k.jsonl [ROUNDS]
"""

from __future__ import annotations

import json
import statistics
import sys
import time

import pyarrow as pa

import ghirbal

path = sys.argv[1]
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
with open(path, encoding="utf-8") as f:
    texts = [json.loads(line)["text"] for line in f]
column = pa.chunked_array([texts[i : i + 50_000] for i in range(0, len(texts), 50_000)])
n = ghirbal.Normalizer("key")
times: dict[str, list[float]] = {"normalize_batch": [], "normalize_arrow": []}
for _ in range(rounds):
    for name in times:
        t0 = time.perf_counter()
        getattr(n, name)(column)
        times[name].append(time.perf_counter() - t0)
same = n.normalize_arrow(column).to_pylist() == n.normalize_batch(column)
mb = sum(len(t.encode()) for t in texts) / 1e6
print(
    json.dumps(
        {
            "texts": len(texts),
            "mb": round(mb, 1),
            **{k: round(statistics.median(v), 3) for k, v in times.items()},
            "same": same,
        }
    )
)
