#!/usr/bin/env python3
"""A corpus with many exact copies, to measure what copying an analysis saves.

Takes the first KEEP records of a JSON Lines corpus and inserts COPIES exact
copies of random ones among them (new ids, same text and fields), each placed in
the second half of the file so that it comes batches after its original.

    python3 benches/make_copies.py /tmp/scale200k.jsonl /tmp/copies200k.jsonl
    # 140,000 records + 60,000 copies: 30 % of the output are copies
"""
import json
import random
import sys

KEEP, COPIES, SEED = 140_000, 60_000, 7


def main(src: str, dst: str) -> None:
    random.seed(SEED)
    with open(src, encoding="utf-8") as f:
        lines = [next(f).rstrip("\n") for _ in range(KEEP)]
    docs = [json.loads(line) for line in lines]
    out = list(lines)
    for k in range(COPIES):
        copy = dict(docs[random.randrange(len(docs))])
        copy["id"] = f"copy{k:06d}"
        out.insert(random.randrange(len(out) // 2, len(out) + 1), json.dumps(copy, ensure_ascii=False))
    with open(dst, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:3])
