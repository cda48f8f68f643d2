"""ghirbal.dedup_frame: pandas in, pandas out (skipped without pandas)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import ghirbal

pd = pytest.importorskip("pandas")


def test_dedup_frame_adds_aligned_columns(seed_docs) -> None:
    df = pd.DataFrame(seed_docs + [dict(seed_docs[2], id="copy")])
    df["date"] = pd.Timestamp("2015-01-01")
    out = ghirbal.dedup_frame(df)
    assert list(out.columns[: len(df.columns)]) == list(df.columns)
    assert list(out["id"]) == list(df["id"])
    r = ghirbal.dedup(df[["id", "text"]].to_dict("records"))
    assert list(out["cluster"]) == r.clusters
    assert list(out["kept"]) == r.kept
    assert out.loc[5, "duplicate_of"] == seed_docs[2]["id"]
    assert out.loc[5, "reason"] == "exact"
    assert "cluster" not in df.columns  # the input frame is left alone


def test_dedup_frame_custom_columns(seed_docs) -> None:
    df = pd.DataFrame({"k": [d["id"] for d in seed_docs], "body": [d["text"] for d in seed_docs]})
    out = ghirbal.dedup_frame(df, id_col="k", text_col="body", threshold=0.9)
    assert len(out) == 5 and out["kept"].sum() >= 4
    # Records straight from a frame (Timestamps included) are accepted by dedup.
    df["date"] = pd.to_datetime(["2015-01-0%d" % (i + 1) for i in range(5)])
    recs = df.rename(columns={"k": "id", "body": "text"}).to_dict("records")
    assert ghirbal.dedup(recs, survivor="earliest:date").ids == list(df["k"])


def test_dedup_frame_reads_the_columns_the_configuration_names(seed_docs) -> None:
    text = seed_docs[2]["text"]
    df = pd.DataFrame(
        {
            "id": ["a", "b", "c"],
            "text": [text] * 3,
            "date": pd.to_datetime(["2015-05-03", "2015-05-01", None]),
            "prio": [1.0, None, 3.0],
        }
    )
    # A missing value (NaT, NaN) is a missing field, which loses.
    assert list(ghirbal.dedup_frame(df, survivor="earliest:date")["kept"]) == [False, True, False]
    assert list(ghirbal.dedup_frame(df, survivor="highest:prio")["kept"]) == [False, False, True]


def test_clean_frame_cleans_the_text_column(seed_docs) -> None:
    df = pd.DataFrame(seed_docs)
    out = ghirbal.clean_frame(df)
    r = ghirbal.clean(seed_docs)
    assert list(out["text"]) == r.texts
    assert list(out["cuts"]) == r.cuts and sum(map(len, r.cuts)) > 0
    assert list(out["emptied"]) == r.emptied
    assert list(df["text"]) == [d["text"] for d in seed_docs]  # the input frame is left alone
    # Repeated passages: the two seed versions of one article share paragraphs.
    out = ghirbal.clean_frame(df, passages=True)
    r = ghirbal.clean(seed_docs, passages=True)
    assert list(out["cuts"]) == r.cuts
    assert any(c.duplicate_of for cs in r.cuts for c in cs)


def test_clean_frame_counts_boilerplate_by_the_group_column(seed_docs) -> None:
    footer = "نشر هذا الموضوع ضمن ملف الأسبوع الخاص بالمنطقة"
    rows = [(d, "a") for d in seed_docs[2:]] + [(seed_docs[0], "b")]
    df = pd.DataFrame(
        [{"id": d["id"], "text": d["text"] + "\n" + footer, "outlet": o} for d, o in rows]
    )
    out = ghirbal.clean_frame(df, group_by="outlet", min_docs=3)
    cut = [any(c.rule == "boilerplate" and footer in c.text for c in cs) for cs in out["cuts"]]
    # Three articles of outlet a carry the footer; outlet b's one copy stays.
    assert cut == [True, True, True, False]


def test_frame_functions_need_the_id_and_text_columns(seed_docs) -> None:
    df = pd.DataFrame(seed_docs)
    with pytest.raises(KeyError, match="'key'"):
        ghirbal.dedup_frame(df, id_col="key")
    with pytest.raises(KeyError, match="'body'"):
        ghirbal.clean_frame(df, text_col="body")


def test_a_frame_without_ids_is_numbered_by_row(seed_docs) -> None:
    # An "id" column there is not taken for the ids when id_col=None.
    texts = [d["text"] for d in seed_docs] + [seed_docs[2]["text"]]
    df = pd.DataFrame({"body": texts, "id": ["x"] * len(texts)})
    out = ghirbal.dedup_frame(df, id_col=None, text_col="body")
    r = ghirbal.dedup(texts)
    assert list(out["cluster"]) == r.clusters and list(out["kept"]) == r.kept
    assert out.loc[5, "duplicate_of"] == "2" and out.loc[5, "reason"] == "exact"
    cleaned = ghirbal.clean_frame(df, id_col=None, text_col="body", passages=True)
    c = ghirbal.clean(texts, passages=True)
    assert list(cleaned["body"]) == c.texts and list(cleaned["cuts"]) == c.cuts
    assert any(cut.duplicate_of == "0" for cs in c.cuts for cut in cs)


def test_integer_ids_come_back_as_integers(seed_docs) -> None:
    texts = [d["text"] for d in seed_docs] + [seed_docs[2]["text"]]
    df = pd.DataFrame({"id": [50, 40, 30, 20, 10, 5], "text": texts})
    out = ghirbal.dedup_frame(df)
    r = ghirbal.dedup(df.to_dict("records"))
    as_int = [None if d is None else int(d) for d in r.duplicate_of]
    assert [None if pd.isna(d) else d for d in out["duplicate_of"]] == as_int
    # The copy (id 5) and its original (id 30) form one cluster, named by the id
    # whose bytes sort first ("30" before "5"), as the job names it.
    assert out.loc[5, "duplicate_of"] == 30 and out.loc[2, "cluster"] == 30
    assert str(out["cluster"].dtype) == "Int64" and str(out["duplicate_of"].dtype) == "Int64"
    joined = out.merge(df, left_on="duplicate_of", right_on="id", suffixes=("", "_original"))
    assert sorted(joined["id_original"]) == sorted(d for d in as_int if d is not None)


def news_frame(shared: Path, name: str = "ant_jawharafm.jsonl") -> Any:
    """The records of a shared news file as a frame (with its ``lang`` column)."""
    return pd.read_json(shared / "corpora" / "arabic_news" / name, lines=True, dtype=False)


def test_a_column_the_result_would_overwrite_is_refused(shared: Path) -> None:
    # The shared news carry a "lang" column ("ar"); the detected language ("ara")
    # used to replace it without a word. Refused as dedup_spark refuses it.
    df = news_frame(shared)
    assert set(df["lang"]) == {"ar"}
    with pytest.raises(ValueError, match=r"already has the columns \['lang'\]; rename"):
        ghirbal.dedup_frame(df)
    out = ghirbal.dedup_frame(df.rename(columns={"lang": "lang_given"}))
    assert set(out["lang_given"]) == {"ar"} and set(out["lang"]) == {"ara"}
    with pytest.raises(ValueError, match=r"\['cuts', 'emptied'\]"):
        ghirbal.clean_frame(df.assign(emptied=False, cuts=0))
    assert list(df.columns)[-1] == "lang"  # the input frame is left alone


def test_ids_of_any_column_type_join_back(seed_docs) -> None:
    # The last row copies seed 2: its duplicate_of is seed 2's id, in the type of
    # the id column, whatever that is.
    np = pytest.importorskip("numpy")
    texts = [d["text"] for d in seed_docs] + [seed_docs[2]["text"]]
    for ids in (
        # 64-bit hashes: uint64 beyond int64 failed after the work.
        np.array([2**64 - 1 - i for i in range(6)], dtype="uint64"),
        np.array([1, 2, 3, 4, 5, 6], dtype="int32"),
        # Integers with a missing one, which pandas holds as floats.
        [10.0, 20.0, 30.0, float("nan"), 50.0, 60.0],
        # Python objects of mixed types, which pyarrow cannot convert.
        np.array([1, "x1", 2**70, "x3", 4.5, "x5"], dtype=object),
    ):
        df = pd.DataFrame({"id": ids, "text": texts})
        out = ghirbal.dedup_frame(df)
        assert out["cluster"].dtype.kind == df["id"].dtype.kind
        kept, gone = (2, 5) if out.loc[2, "kept"] else (5, 2)
        assert not out.loc[gone, "kept"] and out.loc[gone, "reason"] == "exact"
        assert out.loc[gone, "duplicate_of"] == df.loc[kept, "id"] == out.loc[gone, "cluster"]
        removed = out[~out["kept"]]
        joined = removed.merge(df, left_on="duplicate_of", right_on="id", suffixes=("", "_orig"))
        # Each removed row finds the row it duplicates (seed 1 is seed 0 again).
        assert len(joined) == len(removed) == 2
    assert type(out.loc[5, "duplicate_of"]) is int  # the object column's own 2**70


def test_float_ids_of_whole_numbers_read_as_integers(seed_docs) -> None:
    # An integer id column with a missing value is float64 in pandas: its ids are
    # "2", not "2.0", as the same records in a JSON Lines file have them.
    texts = [d["text"] for d in seed_docs[:3]]
    df = pd.DataFrame({"id": [2.0, float("nan"), 2.0], "text": texts})
    with pytest.raises(ghirbal.DataError, match=r'docs\[2\]: duplicate id "2", first seen'):
        ghirbal.dedup_frame(df)
    df = pd.DataFrame({"id": [2.5, float("nan"), 2.5], "text": texts})
    with pytest.raises(ghirbal.DataError, match='duplicate id "2.5"'):
        ghirbal.dedup_frame(df)


def test_mixed_object_columns_read_as_the_records_of_the_frame(seed_docs) -> None:
    # pyarrow refuses these columns; their records are read as to_dict gives them.
    text = seed_docs[2]["text"]
    df = pd.DataFrame(
        {
            "id": ["a", "b", "c"],
            "text": [text] * 3,
            "date": pd.array(["2016-01-03", 5, "2015-12-31"], dtype=object),
        }
    )
    out = ghirbal.dedup_frame(df, survivor="earliest:date")
    r = ghirbal.dedup(df.to_dict("records"), survivor="earliest:date")
    assert list(out["kept"]) == r.kept == [False, False, True]
    assert list(out["duplicate_of"])[:2] == ["c", "c"]


def test_frame_functions_name_the_columns_with_id_col_and_text_col(seed_docs) -> None:
    # id_field= and text_field= used to lose to the defaults of id_col and text_col.
    df = pd.DataFrame({"doc": [d["id"] for d in seed_docs], "body": [d["text"] for d in seed_docs]})
    with pytest.raises(TypeError, match="dedup_frame names the frame's columns with id_col="):
        ghirbal.dedup_frame(df, id_field="doc", text_field="body")
    with pytest.raises(TypeError, match="with text_col=, not text_field="):
        ghirbal.clean_frame(df, id_col="doc", input={"text_field": "body"})
    out = ghirbal.dedup_frame(df, id_col="doc", text_col="body")
    assert list(out["cluster"])[:2] == [seed_docs[0]["id"]] * 2


def test_frame_functions_take_pandas_frames(seed_docs) -> None:
    pa = pytest.importorskip("pyarrow")
    table = pa.Table.from_pylist(seed_docs)
    with pytest.raises(TypeError, match=r"takes a pandas DataFrame, not pyarrow\.lib\.Table"):
        ghirbal.dedup_frame(table)
    pl = pytest.importorskip("polars")
    with pytest.raises(TypeError, match=r"ghirbal\.clean\(df\) reads any table"):
        ghirbal.clean_frame(pl.DataFrame(seed_docs))


def test_an_empty_frame_gives_the_columns_of_a_full_one(seed_docs) -> None:
    df = pd.DataFrame(seed_docs)
    for fn in (ghirbal.dedup_frame, ghirbal.clean_frame):
        full, empty = fn(df), fn(df.iloc[:0])
        assert len(empty) == 0 and empty.dtypes.to_dict() == full.dtypes.to_dict()


def test_a_row_without_an_id_is_not_taken_for_another(seed_docs) -> None:
    # Row 1 has no id: it was "1", the id of row 0 ("duplicate id").
    texts = [seed_docs[2]["text"], seed_docs[3]["text"], seed_docs[2]["text"]]
    df = pd.DataFrame({"id": pd.array([1, None, 7], dtype="Int64"), "text": texts})
    out = ghirbal.dedup_frame(df)
    assert list(out["reason"]) == ["survivor", "unique", "exact"]
    assert out.loc[2, "duplicate_of"] == 1 == out.loc[2, "cluster"]
    # Its id, "docs[1]", is no value of the column: missing where it names it.
    assert out.loc[1, "cluster"] is pd.NA


def test_frames_say_why_a_row_was_rejected(seed_docs) -> None:
    # A repeated id and an empty text under on_error="skip": each row says
    # why, as the Spark jobs' ``rejected`` column does; the others say None.
    df = pd.DataFrame(
        {
            "id": [1, 1, 2, 3],
            "text": [seed_docs[0]["text"], seed_docs[2]["text"], "   ", seed_docs[3]["text"]],
        }
    )
    out = ghirbal.dedup_frame(df, on_error="skip")
    assert list(out["reason"]) == ["unique", "rejected", "rejected", "unique"]
    why = list(out["rejected"])
    assert why[0] is None and why[3] is None
    assert why[1].startswith('duplicate id "1"') and why[2] == "empty text", why
    cleaned = ghirbal.clean_frame(df, on_error="skip")
    assert list(cleaned["rejected"]) == why
    with pytest.raises(ValueError, match="rejected"):
        ghirbal.dedup_frame(out.drop(columns=["cluster", "kept", "duplicate_of", "reason", "similarity", "lang"]))
