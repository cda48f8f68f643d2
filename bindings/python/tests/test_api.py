"""The package's public surface: what a notebook user sees after ``import ghirbal``."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import ghirbal


def test_tab_completion_lists_the_api_and_nothing_else() -> None:
    names = dir(ghirbal)
    # Every listed name resolves, and everything exported is listed.
    for n in names:
        assert hasattr(ghirbal, n) or n == "spark", n
    assert set(ghirbal.__all__) <= set(names)
    # The module's own imports and helpers are not part of it.
    for private in ("os", "json", "Any", "Optional", "dataclass", "find_spec", "annotations"):
        assert private not in names
    assert not [n for n in names if n.startswith("_") and n != "__version__"]
    if importlib.util.find_spec("pandas") is not None:
        assert {"dedup_frame", "clean_frame"} <= set(ghirbal.__all__)


def test_star_import_gives_the_documented_functions() -> None:
    ns: dict[str, object] = {}
    exec("from ghirbal import *", ns)
    for n in ("dedup", "dedup_files", "clean", "clean_files", "normalize", "Normalizer"):
        assert callable(ns[n])
    assert isinstance(ns["__version__"], str)


def test_results_print_as_counts_not_as_their_lists(shared: Path) -> None:
    # Evaluating a result in a notebook cell prints its repr: counts that agree
    # with summary.json, not every id and text of the corpus.
    lines = (shared / "corpora" / "news_pairs" / "docs.jsonl").read_text(encoding="utf-8")
    docs = [json.loads(line) for line in lines.splitlines()]
    docs.append({"id": "broken", "text": None})
    r = ghirbal.dedup(docs, on_error="skip")
    n = r.summary["counts"]
    by_reason = ", ".join(
        f"{k} {v}"
        for k, v in sorted(n["removed_by_reason"].items(), key=lambda kv: (-kv[1], kv[0]))
    )
    assert repr(r) == (
        f"DedupResult({n['input']} documents: {n['kept']} kept, {n['removed']} removed "
        f"({by_reason}), 1 rejected; {n['duplicate_clusters']} clusters with duplicates)"
    )
    assert n["removed"] > 10 and n["rejected"] == 1
    c = ghirbal.clean(docs, on_error="skip")
    k = c.summary["counts"]
    rules = sorted(k["cuts_by_rule"].items(), key=lambda kv: (-kv[1], kv[0]))
    assert repr(c) == (
        f"CleanResult({len(docs)} documents: {sum(k['cuts_by_rule'].values())} cuts in "
        f"{k['changed']} documents ({', '.join(f'{r} {v}' for r, v in rules)}), "
        f"{k['emptied']} emptied, 1 rejected)"
    )
    assert k["changed"] > 10
