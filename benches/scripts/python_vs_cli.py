#!/usr/bin/env python3
"""`ghirbal.dedup` on records held in Python (a list of dicts, a pandas frame
through `ghirbal.dedup_frame`, a pyarrow table) against the `ghirbal dedup` job on the same JSON Lines
file: wall times (medians of interleaved rounds) and whether every document gets the
same verdict. The records are loaded once, before the clock starts; the job's time is
the whole process, writing its output folder included. Also prints the peak memory
the first `ghirbal.dedup` call adds over the loaded records.

  target/venv/bin/python benches/scripts/python_vs_cli.py /tmp/scale200k.jsonl \
      --ghirbal target/release/ghirbal --rounds 3 --threads 2

Needs the package installed in release mode (`maturin develop --release -m
bindings/python/Cargo.toml`); pandas and pyarrow for the frame and table rows.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import tempfile
import time
from typing import Any

import ghirbal


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("input")
    ap.add_argument("--ghirbal", required=True, help="the ghirbal binary")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    with open(args.input, encoding="utf-8") as f:
        docs = [json.loads(line) for line in f if line.strip()]
    try:
        import pandas as pd
        import pyarrow as pa

        frame: Any = pd.DataFrame(docs)
        table: Any = pa.Table.from_pylist(docs)
    except ImportError:
        frame = table = None
    work = tempfile.mkdtemp(prefix="python_vs_cli.")
    times: dict[str, list[float]] = {"cli": [], "dicts": [], "frame": [], "table": []}
    others: dict[str, Any] = {}
    for r in range(args.rounds):
        out = os.path.join(work, f"o{r}")
        t = time.perf_counter()
        subprocess.run(
            [args.ghirbal, "dedup", args.input, "-o", out, "-q", "--threads", str(args.threads)],
            check=True,
        )
        times["cli"].append(time.perf_counter() - t)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t = time.perf_counter()
        res = ghirbal.dedup(docs, threads=args.threads)
        times["dicts"].append(time.perf_counter() - t)
        if r == 0:
            # Peak memory the first call adds over the records themselves (KB on Linux).
            added_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024
        if frame is not None:
            t = time.perf_counter()
            out = ghirbal.dedup_frame(frame, threads=args.threads)
            times["frame"].append(time.perf_counter() - t)
            t = time.perf_counter()
            others["table"] = ghirbal.dedup(table, threads=args.threads)
            times["table"].append(time.perf_counter() - t)
            others["frame"] = out
    with open(os.path.join(work, "o0", "clusters.jsonl"), encoding="utf-8") as f:
        job = {v["id"]: (v["cluster"], v["kept"], v["reason"]) for v in map(json.loads, f)}
    mine = {i: (c, k, why) for i, c, k, why in zip(res.ids, res.clusters, res.kept, res.reason)}
    differ = sum(job.get(i) != v for i, v in mine.items()) + len(job.keys() - mine.keys())
    # The frame's and the table's verdicts against the dicts' (the same rows).
    if "frame" in others:
        f = others["frame"]
        differ += sum(
            list(f[c]) != getattr(res, a)
            for c, a in (("cluster", "clusters"), ("kept", "kept"), ("reason", "reason"))
        )
        t = others["table"]
        differ += (t.ids, t.clusters, t.kept, t.reason) != (
            res.ids,
            res.clusters,
            res.kept,
            res.reason,
        )
    print(
        json.dumps(
            {
                "docs": len(docs),
                "threads": args.threads,
                "rounds": args.rounds,
                "differ": differ,
                "dedup_added_peak_mb": added_mb,
                **{f"{k}_s": round(statistics.median(v), 2) for k, v in times.items() if v},
            }
        )
    )


if __name__ == "__main__":
    main()
