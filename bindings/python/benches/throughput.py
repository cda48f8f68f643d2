"""Throughput of the Python API on ../shared/corpora/arabic_news (read in place).

Run with a release build for meaningful numbers:
    pip install ./bindings/python   # or: maturin develop --release -m bindings/python/Cargo.toml
    python bindings/python/benches/throughput.py [--repeat 3]
Prints MB/s of text for dedup (dicts and strings), Normalizer.normalize_batch and
dedup_files. Timings are best-of-N wall clock; note the machine load with them.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import ghirbal

ROOT = Path(__file__).resolve().parents[3]


def best(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--shared", default=os.environ.get("GHIRBAL_SHARED", ROOT.parent / "shared"))
    args = ap.parse_args()
    files = sorted((Path(args.shared) / "corpora" / "arabic_news").glob("*.jsonl"))
    if not files:
        raise SystemExit(f"no corpus under {args.shared}")
    docs = [json.loads(l) for f in files for l in f.read_text(encoding="utf-8").splitlines() if l]
    texts = [d["text"] for d in docs]
    mb = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    print(f"ghirbal {ghirbal.__version__}: {len(docs)} docs, {mb:.1f} MB, load {os.getloadavg()}")
    for label, fn in [
        ("dedup(dicts)", lambda: ghirbal.dedup(docs)),
        ("dedup(strings)", lambda: ghirbal.dedup(texts)),
        ("Normalizer().normalize_batch", lambda: ghirbal.Normalizer().normalize_batch(texts)),
    ]:
        t = best(fn, args.repeat)
        print(f"{label:30} {t:7.3f} s  {mb / t:7.1f} MB/s")
    with tempfile.TemporaryDirectory() as tmp:
        t = best(lambda: ghirbal.dedup_files(files, Path(tmp) / "out", overwrite=True), args.repeat)
        print(f"{'dedup_files':30} {t:7.3f} s  {mb / t:7.1f} MB/s")


if __name__ == "__main__":
    main()
