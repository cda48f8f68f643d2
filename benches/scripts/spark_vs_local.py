#!/usr/bin/env python3
"""`ghirbal.spark.dedup_spark` against the `ghirbal dedup` job on one JSON Lines file:
wall times, and whether every document gets the same verdict.

Runs the job (the given binary, or `ghirbal.dedup_files`) and then Spark in local
mode (`local[THREADS]`, the file read in PARTITIONS partitions), compares each id's
cluster, kept, duplicate_of, reason and similarity (to the 4 decimals
clusters.jsonl writes), and prints one JSON line. With --audit, Spark also writes
audit.json, compared byte for byte with the job's; with --boilerplate both count the
corpus' boilerplate lines first (clean.boilerplate.in_dedup).

  target/venv/bin/python benches/scripts/spark_vs_local.py /tmp/scale200k.jsonl \
      --ghirbal target/release/ghirbal --partitions 4 --threads 2

Needs pyspark, pyarrow, Java 17 and the package installed in release mode
(`maturin develop --release -m bindings/python/Cargo.toml`).
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile
import time


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("input")
    ap.add_argument("--ghirbal", help="the ghirbal binary (default: ghirbal.dedup_files)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--partitions", type=int, default=4)
    ap.add_argument(
        "--components-in-rounds",
        action="store_true",
        help="find the joined pairs' components in rounds of joins, as beyond "
        "ghirbal.spark.DRIVER_COMPONENTS_MAX_PAIRS",
    )
    ap.add_argument(
        "--audit", action="store_true", help="also write audit.json on Spark and compare it"
    )
    ap.add_argument(
        "--boilerplate",
        action="store_true",
        help="clean.boilerplate.in_dedup on both sides (the CLI's --boilerplate)",
    )
    args = ap.parse_args()
    options = {"clean": {"boilerplate": {"in_dedup": True}}} if args.boilerplate else {}
    os.environ["PYSPARK_PYTHON"] = sys.executable
    work = tempfile.mkdtemp(prefix="spark_vs_local.")

    t = time.time()
    local_dir = os.path.join(work, "local")
    if args.ghirbal:
        subprocess.run(
            [
                args.ghirbal,
                "dedup",
                args.input,
                "--output",
                local_dir,
                "--quiet",
                "--threads",
                str(args.threads),
                *(["--boilerplate"] if args.boilerplate else []),
            ],
            check=True,
        )
    else:
        import ghirbal

        ghirbal.dedup_files([args.input], local_dir, threads=args.threads, **options)
    local_s = time.time() - t
    local = {}
    with open(os.path.join(local_dir, "clusters.jsonl"), encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            local[d["id"]] = (
                d["cluster"],
                d["kept"],
                d["duplicate_of"],
                d["reason"],
                d["similarity"],
            )

    from pyspark.sql import SparkSession

    import ghirbal.spark
    from ghirbal.spark import dedup_spark

    if args.components_in_rounds:
        ghirbal.spark.DRIVER_COMPONENTS_MAX_PAIRS = 0

    spark = (
        SparkSession.builder.master(f"local[{args.threads}]")
        .config("spark.driver.memory", "8g")
        .config("spark.sql.shuffle.partitions", str(2 * args.partitions))
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    t = time.time()
    df = spark.read.json(args.input).select("id", "text").repartition(args.partitions)
    spark_dir = os.path.join(work, "spark")
    audit = os.path.join(work, "audit.json") if args.audit else None
    dedup_spark(df, audit=audit, **options).select(
        "id", "cluster", "kept", "duplicate_of", "reason", "similarity"
    ).write.json(spark_dir)
    spark_s = time.time() - t
    spark.stop()

    rows = differ = 0
    for path in glob.glob(os.path.join(spark_dir, "*.json")):
        with open(path, encoding="utf-8") as f:
            for line in f:
                d = json.loads(line)
                rows += 1
                got = (d["cluster"], d["kept"], d.get("duplicate_of"), d["reason"])
                want = local[d["id"]]
                if got != want[:4] or abs(d["similarity"] - want[4]) > 0.5e-4 + 1e-12:
                    differ += 1
    if audit:
        with (
            open(audit, encoding="utf-8") as a,
            open(os.path.join(local_dir, "audit.json"), encoding="utf-8") as b,
        ):
            audit_same = a.read() == b.read()
    print(
        json.dumps(
            {
                "docs": len(local),
                "rows": rows,
                "differ": differ,
                "local_s": round(local_s, 2),
                "spark_s": round(spark_s, 1),
                "threads": args.threads,
                "partitions": args.partitions,
                "components_in_rounds": args.components_in_rounds,
                "boilerplate": args.boilerplate,
                **({"audit_same": audit_same} if audit else {}),
            }
        )
    )


if __name__ == "__main__":
    main()
