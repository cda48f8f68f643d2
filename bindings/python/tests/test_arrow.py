"""Tables that export Arrow (pyarrow, pandas): rows are read as the dicts of their values."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import ghirbal

pa = pytest.importorskip("pyarrow")


def outcome(r: ghirbal.DedupResult) -> list[tuple[Any, ...]]:
    return list(zip(r.ids, r.clusters, r.kept, r.duplicate_of, r.reason, r.similarity, r.lang))


def news_with_earlier_copies(shared: Path) -> list[dict[str, Any]]:
    """800 real articles, and a copy of every tenth one dated earlier (so that
    the survivor policy on ``date`` picks the copy)."""
    path = shared / "corpora" / "arabic_news" / "saudinewsnet.jsonl"
    docs = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    copies = [dict(d, id=d["id"] + "-copy", date="2015-01-01 00:00:00") for d in docs[::10]]
    return docs + copies


def test_a_table_is_read_as_the_dicts_of_its_rows(shared: Path) -> None:
    docs = news_with_earlier_copies(shared)
    by_dicts = ghirbal.dedup(docs, survivor="earliest:date")
    # Each earlier copy survives its original, so the outcome depends on the
    # date column being read.
    kept = dict(zip(by_dicts.ids, by_dicts.kept))
    copies = [i for i in kept if i.endswith("-copy")]
    assert len(copies) == 80
    assert all(kept[c] and not kept[c.removesuffix("-copy")] for c in copies)
    table = pa.Table.from_pylist(docs)
    # Several batches of uneven size: positions run on across them.
    chunked = pa.Table.from_batches(table.to_batches(max_chunksize=97))
    for t in (
        table,
        chunked,
        pa.RecordBatchReader.from_batches(table.schema, chunked.to_batches()),
    ):
        r = ghirbal.dedup(t, survivor="earliest:date")
        assert outcome(r) == outcome(by_dicts)
        assert r.summary["counts"] == by_dicts.summary["counts"]
    # Cleaning, with the corpus-level boilerplate counted per outlet column.
    opts: dict[str, Any] = dict(boilerplate=True, group_by="field:outlet", min_docs=3)
    c_dicts, c_table = ghirbal.clean(docs, **opts), ghirbal.clean(chunked, **opts)
    assert c_table.texts == c_dicts.texts and c_table.cuts == c_dicts.cuts
    assert any(c.rule == "boilerplate" for cs in c_dicts.cuts for c in cs)


def test_a_polars_frame_is_read_as_its_rows(shared: Path) -> None:
    pl = pytest.importorskip("polars")
    docs = news_with_earlier_copies(shared)
    frame = pl.DataFrame(docs)
    assert frame.schema["text"] == pl.String  # Arrow string views
    r = ghirbal.dedup(frame, survivor="earliest:date")
    assert outcome(r) == outcome(ghirbal.dedup(docs, survivor="earliest:date"))


def test_zoned_timestamps_rank_as_the_instants_they_hold(shared: Path) -> None:
    # pandas writes tz-aware datetimes as Arrow timestamps with a named zone.
    pd = pytest.importorskip("pandas")
    docs = news_with_earlier_copies(shared)
    want = outcome(ghirbal.dedup(docs, survivor="earliest:date"))
    frame = pd.DataFrame(docs)
    frame["date"] = pd.to_datetime(frame["date"]).dt.tz_localize("Asia/Riyadh")
    assert str(pa.Table.from_pandas(frame).schema.field("date").type.tz) == "Asia/Riyadh"
    assert outcome(ghirbal.dedup(frame, survivor="earliest:date")) == want
    # The same instants in UTC, and the frame helper.
    frame["date"] = frame["date"].dt.tz_convert("UTC")
    assert outcome(ghirbal.dedup(frame, survivor="earliest:date")) == want
    # (The news' own "lang" column would clash with the detected languages.)
    out = ghirbal.dedup_frame(frame.drop(columns="lang"), survivor="earliest:date")
    assert out["kept"].tolist() == [k for _, _, k, *_ in want]


def test_column_types_read_as_their_python_values(seed_docs: list[dict[str, str]]) -> None:
    text, other = seed_docs[2]["text"], seed_docs[3]["text"]
    rows: list[dict[str, Any]] = [
        {"id": 7, "text": text, "prio": 9, "tags": ["a"]},
        {"id": 8, "text": text, "prio": 2**62, "tags": []},
        {"id": 9, "text": text, "prio": None, "tags": None},
        {"id": 10, "text": other, "prio": -1, "tags": ["b"]},
    ]
    # Integer ids and priorities as int64 (not strings: "9" > "4611..." as text),
    # a null as a missing value; the list column is not read.
    t = pa.Table.from_pylist(rows)
    assert t.schema.field("id").type == pa.int64()
    r = ghirbal.dedup(t, survivor="highest:prio")
    plain = [{k: v for k, v in d.items() if k != "tags"} for d in rows]
    assert outcome(r) == outcome(ghirbal.dedup(plain, survivor="highest:prio"))
    assert r.ids == ["7", "8", "9", "10"] and r.kept == [False, True, False, True]
    # Dictionary-encoded and view strings read as strings.
    enc = t.set_column(1, "text", pa.compute.dictionary_encode(t.column("text")))
    assert outcome(ghirbal.dedup(enc, survivor="highest:prio")) == outcome(r)
    view = t.set_column(1, "text", t.column("text").cast(pa.string_view()))
    assert outcome(ghirbal.dedup(view, survivor="highest:prio")) == outcome(r)
    # Integer ids that a missing value made floats (as pandas does) are the
    # integers, not "7.0", the same as from the frame; the missing one is named
    # by its place.
    floats = t.set_column(0, "id", pa.array([7.0, None, 9.0, 10.0]))
    got = ghirbal.dedup(floats, survivor="highest:prio")
    assert got.ids == ["7", "docs[1]", "9", "10"]
    assert got.ids == ghirbal.dedup(floats.to_pandas(), survivor="highest:prio").ids


def test_bad_rows_are_named_by_position(seed_docs: list[dict[str, str]]) -> None:
    t = pa.table(
        {
            "id": ["a", "b", "c"],
            "text": [seed_docs[0]["text"], None, seed_docs[1]["text"]],
            "score": [1.0, 2.0, float("inf")],
        }
    )
    with pytest.raises(ghirbal.DataError, match=r"docs\[1\]"):
        ghirbal.dedup(t)
    r = ghirbal.dedup(t, on_error="skip", survivor="highest:score")
    assert r.reason == ["unique", "rejected", "rejected"]
    assert [i for i, _ in r.rejects] == [1, 2]
    assert "not a finite number" in r.rejects[1][1]
    # NaN is a missing value (pandas' own), as in a dict: no record is rejected for it.
    nan = t.set_column(2, "score", pa.array([1.0, 2.0, float("nan")]))
    r = ghirbal.dedup(nan, on_error="skip", survivor="highest:score")
    assert [i for i, _ in r.rejects] == [1]
    dicts = [{"id": "a", "text": seed_docs[0]["text"], "score": 1.0}, None, {"id": "c", "text": seed_docs[1]["text"], "score": float("nan")}]
    assert r.reason == ghirbal.dedup(dicts, on_error="skip", survivor="highest:score").reason
    # A column the job reads must hold values a record can: not lists.
    t = t.append_column("tags", pa.array([["x"], [], None]))
    # A fault of the data, not of the configuration.
    with pytest.raises(ghirbal.DataError, match='column "tags" of type List'):
        ghirbal.dedup(t, survivor="highest:tags")
    # The same without rows: an empty batch is exported as no array at all, and
    # its columns are checked all the same (the Spark functions check a
    # frame's schema so, on the driver).
    for empty in (pa.RecordBatch.from_pylist([], schema=t.schema), t.schema.empty_table()):
        with pytest.raises(ghirbal.DataError, match='column "tags" of type List'):
            ghirbal.dedup(empty, survivor="highest:tags")
        assert ghirbal.dedup(empty).ids == []


def test_a_column_of_texts_is_read_as_a_list_of_strings(shared: Path) -> None:
    texts = [d["text"] for d in news_with_earlier_copies(shared)]
    want = outcome(ghirbal.dedup(texts))
    assert sum(k is False for k in ghirbal.dedup(texts).kept) >= 80
    pd = pytest.importorskip("pandas")
    chunked = pa.chunked_array([texts[:333], texts[333:]])
    for column in (pa.array(texts), chunked, chunked.cast(pa.large_string()), pd.Series(texts)):
        assert outcome(ghirbal.dedup(column)) == want, type(column)
    # A row of a struct column is a record, as a row of a table.
    records = pa.array([{"id": f"n{i}", "text": t} for i, t in enumerate(texts)])
    assert outcome(ghirbal.dedup(records)) == outcome(
        ghirbal.dedup(pa.Table.from_struct_array(records))
    )
    # A null is no text; a column of numbers holds no documents.
    r = ghirbal.dedup(pa.array([texts[0], None]), on_error="skip")
    assert r.rejects == [(1, "expected a str or a dict, got null")]
    with pytest.raises(ghirbal.DataError, match="a column of Int64 holds no texts"):
        ghirbal.dedup(pa.array([1, 2]))


def test_a_series_that_cannot_export_is_read_item_by_item() -> None:
    # pandas without pyarrow: its series raise ImportError when asked for Arrow.
    class Series(list):  # type: ignore[type-arg]
        def __arrow_c_stream__(self, requested_schema: object = None) -> object:
            raise ImportError("pyarrow is required")

    assert ghirbal.dedup(Series(["نص", "نص"]), exact_only=True).kept == [True, False]

    class Frame(Series):
        columns = ["id", "text"]

    with pytest.raises(ImportError):
        ghirbal.dedup(Frame(["نص"]))
