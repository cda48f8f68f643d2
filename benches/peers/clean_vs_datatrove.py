#!/usr/bin/env python3
"""Cleaning throughput and quality: `ghirbal clean` vs datatrove's closest filter.

datatrove has no page-chrome remover; its closest step is C4QualityFilter, which
drops lines (no terminal punctuation, fewer than 3 words, "javascript", policy
phrases). We run it in-process (one worker, no disk writer) on the same
documents, with C4 defaults except min_num_sentences=-1 (no whole-document
drops, which would need NLTK data). ghirbal runs as the CLI (`--threads`).

Quality on shared/corpora/boilerplate_gold, line level: a gold chrome/mixed line
is "found" when it is gone from the output; a line is "predicted" when it is gone.

Usage (peers venv from shared/bench/README.md):
  cargo build --release -p corpus-cli
  /tmp/peers/bin/python benches/peers/clean_vs_datatrove.py \
      [--shared ../shared] [--ghirbal target/release/ghirbal] [--threads 1] [--repeat 3]
"""

import argparse
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path


def load(paths):
    docs = []
    for p in paths:
        with open(p, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    docs.append(json.loads(line))
    return docs


def gold_quality(gold_dir, cleaned_by_id):
    """Line-level precision/recall of removal: {id: cleaned text}."""
    docs = {d["id"]: d for d in load([gold_dir / "docs.jsonl"])}
    chrome = found = predicted = right = 0
    for g in load([gold_dir / "gold.jsonl"]):
        lines = docs[g["id"]]["text"].split("\n")
        out = cleaned_by_id.get(g["id"], "")
        for gl in g["lines"]:
            line = lines[gl["n"] - 1].strip()
            is_chrome = gl["label"] != "content"
            if gl["label"] == "mixed":
                part = gl["chrome_text"] if isinstance(gl["chrome_text"], str) else gl["chrome_text"][0]
                gone = part.strip() not in out
                content = line.replace(part.strip(), "").strip()
                content_kept = content in out if content else True
            elif is_chrome:
                gone = line not in out
                content_kept = True
            else:
                gone = line not in out
                content_kept = not gone
            chrome += is_chrome
            found += is_chrome and gone
            if gone or not content_kept:
                predicted += 1
                right += is_chrome and content_kept
    p = right / predicted if predicted else 1.0
    r = found / chrome if chrome else 1.0
    return {"precision": round(p, 3), "recall": round(r, 3), "predicted": predicted, "chrome": chrome}


def run_ghirbal(exe, inputs, threads, extra=()):
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "o"
        t = time.perf_counter()
        subprocess.run([exe, "clean", *map(str, inputs), "--output", str(out), "--quiet",
                        "--threads", str(threads), *extra], check=True)
        wall = time.perf_counter() - t
        kept = {d["id"]: d["text"] for d in load([out / "kept.jsonl"])}
    return wall, kept


def run_datatrove(docs):
    from datatrove.data import Document
    from datatrove.pipeline.filters import C4QualityFilter

    f = C4QualityFilter(min_num_sentences=-1)
    t = time.perf_counter()
    items = [Document(text=d["text"], id=str(d["id"])) for d in docs]
    kept = {d.id: d.text for d in f.run(iter(items))}
    return time.perf_counter() - t, kept


def main():
    ap = argparse.ArgumentParser()
    root = Path(__file__).resolve().parents[2]
    ap.add_argument("--shared", default=str(root.parent / "shared"))
    ap.add_argument("--ghirbal", default=str(root / "target/release/ghirbal"))
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    shared = Path(a.shared)
    news = [shared / "corpora/arabic_news" / f"{n}.jsonl"
            for n in ("saudinewsnet", "ant_multisource", "ant_jawharafm")]
    docs = load(news)
    mb = sum(len(d["text"].encode()) for d in docs) / 1e6
    gold = shared / "corpora/boilerplate_gold"
    results = {}
    for name, fn in [
        ("ghirbal (rules + boilerplate by outlet)",
         lambda: run_ghirbal(a.ghirbal, news, a.threads, ["--group-by", "outlet"])),
        ("ghirbal (rules only)",
         lambda: run_ghirbal(a.ghirbal, news, a.threads, ["--disable", "boilerplate"])),
        ("datatrove C4QualityFilter", lambda: run_datatrove(docs)),
    ]:
        best, kept = min((fn() for _ in range(a.repeat)), key=lambda x: x[0])
        results[name] = best
        q = gold_quality(gold, kept)
        print(json.dumps({"tool": name, "docs": len(docs), "MB": round(mb, 2), "wall_s": round(best, 3),
                          "MB_per_s": round(mb / best, 2), "gold": q, "threads": a.threads,
                          "load": os.getloadavg()[0]}, ensure_ascii=False))
    g = results["ghirbal (rules + boilerplate by outlet)"]
    d = results["datatrove C4QualityFilter"]
    print(json.dumps({"speedup_ghirbal_vs_datatrove": round(d / g, 2)}))


if __name__ == "__main__":
    main()
