#!/usr/bin/env python3
"""Reading speed: ghirbal's reader vs pyarrow on the same JSONL.zst and Parquet files.

Builds (once) FILE.jsonl.zst and FILE.parquet from a JSONL corpus, then times, in
this one script, on the same files:
  - ghirbal: `cargo run --release --features parquet --example read_speed` (Reader:
    records decoded, checked and turned into documents with their raw JSON)
  - pyarrow.json.read_json on the decompressed JSONL stream
  - pyarrow.parquet.ParquetFile.iter_batches (row-group streaming)
and prints one JSON line per reader plus a Markdown table. MB/s is text bytes
(UTF-8 of the `text` field) per second, the same numerator for every reader.

Full run (~1 GB), see ../shared/bench/README.md for gen_corpus.py:
  python3 -m venv /tmp/rs && /tmp/rs/bin/pip install pyarrow zstandard
  /tmp/rs/bin/python ../shared/bench/gen_corpus.py --scale 650000 --seed 2 --out /tmp/scale.jsonl
  /tmp/rs/bin/python benches/scripts/read_speed.py /tmp/scale.jsonl
"""

import io
import json
import os
import subprocess
import sys
import time

import pyarrow.compute as pc
import pyarrow.json as pj
import pyarrow.parquet as pq
import zstandard

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def build(src):
    zst, par = src + ".zst", os.path.splitext(src)[0] + ".parquet"
    if not os.path.exists(zst):
        with open(src, "rb") as f, open(zst, "wb") as out:
            zstandard.ZstdCompressor(level=3, threads=-1).copy_stream(f, out)
    if not os.path.exists(par):
        pq.write_table(pj.read_json(src), par, row_group_size=10_000, compression="zstd")
    return zst, par


def text_bytes(col):
    # Arrow-native, so the Python loop does not weigh on pyarrow's time.
    return pc.sum(pc.binary_length(col)).as_py() or 0


def timed(fn):
    t = time.perf_counter()
    n, nbytes = fn()
    s = time.perf_counter() - t
    return {
        "records": n,
        "text_bytes": nbytes,
        "seconds": round(s, 3),
        "text_mb_per_s": round(nbytes / 1e6 / s, 1),
    }


def pyarrow_jsonl(zst):
    def run():
        with open(zst, "rb") as f:
            data = zstandard.ZstdDecompressor().stream_reader(f).read()
        t = pj.read_json(io.BytesIO(data))
        return t.num_rows, text_bytes(t.column("text"))

    return run


def pyarrow_parquet(par):
    def run():
        n = nbytes = 0
        for b in pq.ParquetFile(par).iter_batches(batch_size=8192):
            n += b.num_rows
            nbytes += text_bytes(b.column("text"))
        return n, nbytes

    return run


def ghirbal(path):
    cmd = [
        "cargo",
        "run",
        "--quiet",
        "--release",
        "-p",
        "corpus-core",
        "--features",
        "parquet",
        "--example",
        "read_speed",
        "--",
        path,
    ]
    subprocess.run(cmd[:-2] + ["--help"], cwd=ROOT, capture_output=True)  # build outside the timing
    out = subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def main():
    src = sys.argv[1]
    zst, par = build(src)
    rows = []
    for name, fmt, fn in [
        ("ghirbal", "jsonl.zst", lambda: ghirbal(zst)),
        ("pyarrow", "jsonl.zst", lambda: timed(pyarrow_jsonl(zst))),
        ("ghirbal", "parquet", lambda: ghirbal(par)),
        ("pyarrow", "parquet", lambda: timed(pyarrow_parquet(par))),
    ]:
        r = fn()
        r.update(
            tool=name,
            format=fmt,
            file_mb=round(os.path.getsize(zst if fmt != "parquet" else par) / 1e6, 1),
        )
        print(json.dumps(r))
        rows.append(r)
    print("\n| reader | format | file MB | records | s | text MB/s |\n|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['tool']} | {r['format']} | {r['file_mb']} | {r['records']} | {r['seconds']} | {r['text_mb_per_s']} |"
        )


if __name__ == "__main__":
    main()
