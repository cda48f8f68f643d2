#!/usr/bin/env python3
"""Writes the texts of a JSON Lines file as a folder of `.txt` files, one document
each (as a crawl saves articles), `VARIANTS` files per record: the text, then the
text with a line `1`, `2`, ... added. For timing `ghirbal dedup` on many small
files against the same documents in one file:

  cat ../shared/corpora/arabic_news/*.jsonl ../shared/corpora/news_pairs/docs.jsonl > news.jsonl
  python3 benches/scripts/as_text_files.py news.jsonl /tmp/txt 5
  benches/ab_builds.sh 3 /tmp/txt OLD NEW
"""

from __future__ import annotations

import json
import os
import sys

path, folder = sys.argv[1], sys.argv[2]
variants = int(sys.argv[3]) if len(sys.argv) > 3 else 5
os.makedirs(folder, exist_ok=True)
n = 0
with open(path, encoding="utf-8") as f:
    for line in f:
        if not line.strip():
            continue
        text = json.loads(line)["text"]
        for k in range(variants):
            with open(os.path.join(folder, f"{n:06d}.txt"), "w", encoding="utf-8") as out:
                out.write(text + (f"\n{k}" if k else ""))
            n += 1
print(f"{n} files in {folder}")
