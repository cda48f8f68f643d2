"""ghirbal.dedup and ghirbal.dedup_files on real text."""

from __future__ import annotations

import _thread
import json
import pickle
import random
import threading
import time
import warnings
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

import ghirbal
from conftest import SEEDS


def by_id(r: ghirbal.DedupResult) -> dict[str, tuple[Any, ...]]:
    return {
        i: (c, k, d, reason, None if s is None else round(s, 4))
        for i, c, k, d, reason, s in zip(
            r.ids, r.clusters, r.kept, r.duplicate_of, r.reason, r.similarity
        )
    }


def test_seeds_alignment_and_accounting(seed_docs: list[dict[str, str]]) -> None:
    r = ghirbal.dedup(seed_docs)
    n = len(seed_docs)
    assert r.ids == [d["id"] for d in seed_docs]
    for column in (r.clusters, r.kept, r.duplicate_of, r.reason, r.similarity):
        assert len(column) == n
    c = r.summary["counts"]
    assert c["input"] == n == c["kept"] + c["removed"] + c["rejected"]
    assert c["kept"] == sum(r.kept) and c["removed"] == n - sum(r.kept)
    # Every cluster id is a member id, and the smallest one of its cluster.
    for cid in set(r.clusters):
        members = [i for i, c2 in zip(r.ids, r.clusters) if c2 == cid]
        assert cid == min(members)
    # A removed document points at a kept one of its own cluster.
    for i, k, d, c2 in zip(r.ids, r.kept, r.duplicate_of, r.clusters):
        if not k:
            assert d in r.kept_ids and r.clusters[r.ids.index(d)] == c2
    # 000 and 001 carry the same article; 002, 003 and 004 stay apart.
    assert r.clusters[0] == r.clusters[1] == "000_317578cd049caa39"
    assert len({r.clusters[2], r.clusters[3], r.clusters[4]} - {r.clusters[0]}) == 3
    assert r.summary["config"]["dedup"]["threshold"] == 0.8
    assert len(r) == n and len(r.to_records()) == n


def test_character_shingles(seed_docs: list[dict[str, str]]) -> None:
    # A copy of seed 002 with "و" attached to every fourth word: few of its word
    # 3-grams survive, most of its character 6-grams do.
    words = seed_docs[2]["text"].split()
    edited = " ".join("و" + w if i % 4 == 0 else w for i, w in enumerate(words))
    docs = seed_docs + [{"id": "edited", "text": edited}]
    by_words = ghirbal.dedup(docs)
    by_chars = ghirbal.dedup(docs, shingle="chars")
    assert by_words.clusters[-1] != by_words.clusters[2]
    assert by_chars.clusters[-1] == by_chars.clusters[2] == seed_docs[2]["id"]
    assert by_chars.kept[2] != by_chars.kept[-1]
    # The seeds themselves split as with words (000 and 001 are one article).
    assert by_chars.clusters[:5] == by_words.clusters[:5]
    assert by_chars.summary["config"]["dedup"]["shingle"] == "chars"
    with pytest.raises(ghirbal.ConfigError):
        ghirbal.dedup(docs, shingle="letters")


def test_strings_get_their_position_as_id(seed_docs: list[dict[str, str]]) -> None:
    texts = [d["text"] for d in seed_docs]
    r = ghirbal.dedup(texts + [texts[2]])
    assert r.ids == ["0", "1", "2", "3", "4", "5"]
    assert r.clusters[5] == "2" and not r.kept[5]
    assert r.duplicate_of[5] == "2" and r.reason[5] == "exact"


def test_a_record_without_an_id_is_named_by_its_place(seed_docs: list[dict[str, str]]) -> None:
    # Its position alone was its id: "0" here, which is the next record's own id
    # (a "duplicate id" error, or under on_error="skip" a good record thrown away).
    texts = [d["text"] for d in seed_docs]
    docs: list[dict[str, Any]] = [
        {"text": texts[0]},
        {"id": "0", "text": texts[2]},
        {"id": None, "text": texts[3]},
        {"id": float("nan"), "text": texts[4]},
        {"id": pd_missing(), "text": texts[2]},
    ]
    r = ghirbal.dedup(docs)
    assert r.ids == ["docs[0]", "0", "docs[2]", "docs[3]", "docs[4]"]
    assert r.duplicate_of[4] == "0" and r.reason[4] == "exact"
    assert ghirbal.clean(docs).ids == r.ids
    # A string's id is its position, as before.
    assert ghirbal.dedup([texts[0], {"text": texts[2]}]).ids == ["0", "docs[1]"]


def test_a_string_is_read_as_the_record_of_its_text(seed_docs: list[dict[str, str]]) -> None:
    # Blank strings used to be accepted, and came out as exact duplicates of each
    # other, while the same texts in dicts or files were rejected.
    texts = [d["text"] for d in seed_docs]
    docs = ["", texts[0], " \n\t", texts[2], texts[3]]
    records = [{"id": str(i), "text": t} for i, t in enumerate(docs)]
    with pytest.raises(ghirbal.DataError, match=r"docs\[0\]: empty text"):
        ghirbal.dedup(docs)
    with pytest.raises(ghirbal.DataError, match=r"docs\[0\]: empty text"):
        ghirbal.clean(docs)
    r = ghirbal.dedup(docs, on_error="skip")
    assert r.rejects == [(0, "empty text"), (2, "empty text")]
    assert by_id(r) == by_id(ghirbal.dedup(records, on_error="skip"))
    c = ghirbal.clean(docs, on_error="skip")
    assert c.rejects == r.rejects and c.texts[0] is None and c.ids == r.ids
    # The size limit of a record holds for a string too.
    limit = len(texts[2].encode()) - 1
    r = ghirbal.dedup(texts, on_error="skip", max_doc_bytes=limit)
    assert r.rejects == ghirbal.dedup(seed_docs, on_error="skip", max_doc_bytes=limit).rejects
    assert any(i == 2 for i, _ in r.rejects)


def test_any_iterable_of_str_or_dict(seed_docs: list[dict[str, str]]) -> None:
    gen = (d if i % 2 else d["text"] for i, d in enumerate(seed_docs))
    r = ghirbal.dedup(gen)
    assert r.ids == ["0", seed_docs[1]["id"], "2", seed_docs[3]["id"], "4"]


def test_result_does_not_depend_on_input_order(seed_docs: list[dict[str, str]]) -> None:
    forward = by_id(ghirbal.dedup(seed_docs))
    for seed in range(3):
        docs = seed_docs[:]
        random.Random(seed).shuffle(docs)
        assert by_id(ghirbal.dedup(docs)) == forward
    assert by_id(ghirbal.dedup(seed_docs[::-1], threads=1)) == forward


def test_memory_and_file_jobs_agree_on_shared_news(shared: Path, tmp_path: Path) -> None:
    path = shared / "corpora" / "arabic_news" / "saudinewsnet.jsonl"
    docs = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    r = ghirbal.dedup(docs)
    summary = ghirbal.dedup_files([path], tmp_path / "out")
    lines = (tmp_path / "out" / "clusters.jsonl").read_text(encoding="utf-8").splitlines()
    from_files = {
        v["id"]: (v["cluster"], v["kept"], v["duplicate_of"], v["reason"], v["similarity"])
        for v in map(json.loads, lines)
    }
    assert by_id(r) == from_files
    # The same language labels as the file job, document by document and counted.
    langs = {v["id"]: v["lang"] for v in map(json.loads, lines)}
    assert dict(zip(r.ids, r.lang)) == langs
    assert r.summary["languages"] == summary["languages"]
    assert summary["counts"]["input"] == len(docs) == len(r)
    for key in ("kept", "removed", "rejected", "removed_by_reason"):
        assert summary["counts"][key] == r.summary["counts"][key]
    # Order independence on 800 real articles.
    shuffled = docs[:]
    random.Random(7).shuffle(shuffled)
    assert by_id(ghirbal.dedup(shuffled)) == by_id(r)


def test_json_lines_news_give_a_parquet_table_of_the_kept_records(
    shared: Path, tmp_path: Path
) -> None:
    # The notebook path: JSON Lines in, a table out for pandas or pyarrow. Its rows
    # are the records kept.jsonl holds for the same run, its columns the fields in
    # the records' order, and `ghirbal` a struct.
    pq = pytest.importorskip("pyarrow.parquet")
    path = shared / "corpora" / "arabic_news" / "ant_multisource.jsonl"
    s = ghirbal.dedup_files([path], tmp_path / "pq", format="parquet")
    ghirbal.dedup_files([path], tmp_path / "jsonl")
    assert not (tmp_path / "pq" / "kept.jsonl").exists()
    table = pq.read_table(tmp_path / "pq" / "kept.parquet")
    lines = (tmp_path / "jsonl" / "kept.jsonl").read_text(encoding="utf-8").splitlines()
    kept = [json.loads(line) for line in lines]
    assert table.num_rows == s["counts"]["kept"] == len(kept) < s["counts"]["input"]
    assert table.to_pylist() == kept
    assert table.column_names == list(kept[0])
    assert str(table.schema.field("ghirbal").type) == (
        "struct<cluster: string not null, cluster_size: uint64 not null>"
    )


def test_file_jobs_report_progress_and_stop_on_ctrl_c(
    shared: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Real news from three outlets (three input files). A callable sees the
    # records read, then the steps; progress=True draws a line on stderr.
    news = shared / "corpora" / "arabic_news"
    steps: list[tuple[str, int]] = []
    s = ghirbal.dedup_files(news, tmp_path / "a", progress=lambda st, n: steps.append((st, n)))
    reads = [n for st, n in steps if st == "read"]
    assert reads == sorted(reads) and reads[-1] == s["counts"]["input"] == 2000
    assert steps[len(reads) :] == [("cluster", 2000), ("write", 2000)]
    steps.clear()
    c = ghirbal.clean_files(news, tmp_path / "c", progress=lambda st, n: steps.append((st, n)))
    # The boilerplate model's counting pass, then the cleaning pass.
    n = c["counts"]["input"]
    assert steps[0] == ("count", n) and steps[-1] == ("read", n)
    assert {st for st, _ in steps[1:]} == {"read"}
    ghirbal.dedup_files(news, tmp_path / "b", progress=True)
    err = capsys.readouterr().err
    assert "2,000 records read, writing the outputs" in err and err.endswith("\n")
    ghirbal.clean_files(news, tmp_path / "d", progress=True)
    last = capsys.readouterr().err.split("\r")[-1]
    assert last.startswith("ghirbal: ") and "2,000 records read" in last, last

    # Ctrl-C (here from the callable, as a terminal would send it) stops the
    # job at its next step: KeyboardInterrupt, no output. Every file was read,
    # so the same call then reads none again, and writes what a whole run does.
    def interrupt(step: str, n: int) -> None:
        if step == "cluster":
            _thread.interrupt_main()

    with pytest.raises(KeyboardInterrupt):
        ghirbal.dedup_files(news, tmp_path / "i", progress=interrupt)
    assert not (tmp_path / "i").exists()
    again = ghirbal.dedup_files(news, tmp_path / "i")
    assert again["resume"]["skipped_shards"] == again["resume"]["shards"] == 3
    for name in ("clusters.jsonl", "kept.jsonl"):
        assert (tmp_path / "i" / name).read_bytes() == (tmp_path / "a" / name).read_bytes()

    # An exception of the callable stops the job the same way and is raised.
    def fail(step: str, n: int) -> None:
        raise ValueError(f"stop at {step}")

    with pytest.raises(ValueError, match="stop at count"):  # the boilerplate count
        ghirbal.clean_files(news, tmp_path / "f", progress=fail)
    assert not (tmp_path / "f").exists()


def test_memory_jobs_report_progress_and_stop_on_ctrl_c(shared: Path) -> None:
    # The in-memory jobs hear the documents analyzed (every 16,384, and the
    # last), then clustering; Ctrl-C or the callable's exception stops them.
    path = shared / "corpora" / "arabic_news" / "saudinewsnet.jsonl"
    docs = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    # 20,000 records (two steps of reading): each article 25 times, under new ids.
    docs = [dict(d, id=f"{d['id']}-{i}") for i, d in enumerate(docs * 25)]
    steps: list[tuple[str, int]] = []
    r = ghirbal.dedup(docs, progress=lambda st, n: steps.append((st, n)))
    assert steps == [("read", 16384), ("read", 20000), ("cluster", 20000)]
    # 24 of the 25 copies of each article go; the rest is the 800 articles' verdict.
    assert r.summary["counts"]["kept"] == ghirbal.dedup(docs[:800]).summary["counts"]["kept"]
    steps.clear()
    ghirbal.clean(docs[:800], progress=lambda st, n: steps.append((st, n)))
    assert steps == [("read", 800)]

    def interrupt(step: str, n: int) -> None:
        if step == "read" and n < len(docs):
            _thread.interrupt_main()

    with pytest.raises(KeyboardInterrupt):
        ghirbal.dedup(docs, progress=interrupt)

    def fail(step: str, n: int) -> None:
        raise RuntimeError(f"{step} {n}")

    with pytest.raises(RuntimeError, match="read 800"):
        ghirbal.clean(docs[:800], progress=fail)


def test_ctrl_c_while_dicts_are_read_is_not_a_bad_record(
    seed_docs: list[dict[str, str]],
) -> None:
    # A value JSON cannot hold, in a field the job reads (here the survivor's),
    # goes through json.dumps, whose `default` calls str(): a Ctrl-C that arrives
    # there is the user's, not the record's. It used to make every such record
    # "rejected".
    class Interrupting:
        def __str__(self) -> str:
            _thread.interrupt_main()
            return "2016-12-08"

    docs = [dict(d, date=Interrupting()) for d in seed_docs]
    with pytest.raises(KeyboardInterrupt):
        ghirbal.dedup(docs, on_error="skip", survivor="earliest:date")


def test_survivor_field_of_a_dict_is_used(seed_docs: list[dict[str, str]]) -> None:
    text = seed_docs[2]["text"]
    docs = [
        {"id": "a", "text": text, "date": "2015-05-02"},
        {"id": "b", "text": text, "date": "2015-05-01"},
    ]
    assert ghirbal.dedup(docs, survivor="earliest:date").kept == [False, True]
    assert ghirbal.dedup(docs, survivor="highest:date").kept == [True, False]


def test_a_survivor_field_not_read_as_dates_warns(shared: Path, tmp_path: Path) -> None:
    # Real news with a misspelt field, and saudinewsnet's `author` (bylines, two
    # of them dates): the policy then decides little, and the user is told.
    lines = (shared / "corpora/arabic_news/saudinewsnet.jsonl").read_text(encoding="utf-8")
    docs = [json.loads(line) for line in lines.splitlines()]
    with pytest.warns(UserWarning, match='no record has a value in the survivor field "dat"'):
        ghirbal.dedup(docs, survivor="earliest:dat")
    with pytest.warns(UserWarning, match=r"798 of 800 values of the survivor field \"author\""):
        r = ghirbal.dedup(docs, survivor="earliest:author")
    values = r.summary["survivor_values"]
    assert (values["dates"], values["strings"], values["missing"]) == (2, 798, 0)
    # The file job says the same; a field read as dates everywhere says nothing.
    with pytest.warns(UserWarning, match="798 of 800"):
        ghirbal.dedup_files(
            [shared / "corpora/arabic_news/saudinewsnet.jsonl"],
            tmp_path / "o",
            survivor="earliest:author",
        )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = ghirbal.dedup(docs, survivor="earliest:date")
    assert r.summary["survivor_values"]["dates"] == 800
    # Each warning names the caller's line, not ghirbal's own, through one
    # helper (dedup) or two (dedup_files).
    for call in (
        lambda: ghirbal.dedup(docs, survivor="earliest:dat"),
        lambda: ghirbal.dedup_files(
            [shared / "corpora/arabic_news/saudinewsnet.jsonl"],
            tmp_path / "o2",
            survivor="earliest:dat",
            overwrite=True,
        ),
    ):
        with pytest.warns(UserWarning) as caught:
            call()
        assert [Path(w.filename).name for w in caught] == [Path(__file__).name], [
            (w.filename, w.lineno) for w in caught
        ]


class Tag(str):
    """A str subclass: such a dict goes through ``json.dumps``."""


def test_dicts_are_read_as_the_json_records_of_their_fields(
    seed_docs: list[dict[str, str]], tmp_path: Path
) -> None:
    # Plain values are read directly, anything else through json.dumps; either way
    # as the JSON Lines record json.dumps writes. Priorities compare as numbers
    # (2**70 > 10 > 9; as strings "9" would win).
    text, other = seed_docs[2]["text"], seed_docs[3]["text"]
    docs: list[dict[str, Any]] = [
        {"id": 7, "text": text, "prio": 9},
        {"id": 1e16, "text": text, "prio": 10},
        {"id": "b", "text": text, "prio": 2**70},
        {"id": Tag("c"), "text": other, "prio": 1.5, "when": datetime(2015, 5, 1)},
        {"id": "d", "text": other, "prio": None, "ok": True},
    ]
    r = ghirbal.dedup(docs, survivor="highest:prio")
    assert r.ids[:2] == ["7", "1e+16"]
    assert r.kept == [False, False, True, True, False]
    path = tmp_path / "docs.jsonl"
    path.write_text(
        "".join(json.dumps(d, ensure_ascii=False, default=str) + "\n" for d in docs),
        encoding="utf-8",
    )
    ghirbal.dedup_files([path], tmp_path / "out", survivor="highest:prio")
    lines = (tmp_path / "out" / "clusters.jsonl").read_text(encoding="utf-8").splitlines()
    from_file = {
        v["id"]: (v["cluster"], v["kept"], v["duplicate_of"], v["reason"], v["similarity"])
        for v in map(json.loads, lines)
    }
    assert by_id(r) == from_file


def test_numpy_integers_and_decimals_are_numbers(seed_docs: list[dict[str, str]]) -> None:
    # json.dumps writes them as strings, and "9" used to outrank "10".
    np = pytest.importorskip("numpy")
    text = seed_docs[2]["text"]
    for nine, ten in [
        (np.int64(9), np.int64(10)),
        (np.uint8(9), np.int32(10)),
        (Decimal("9.5"), Decimal("10")),
        (np.float32(9), Fraction(10)),
    ]:
        docs = [{"id": "a", "text": text, "views": nine}, {"id": "b", "text": text, "views": ten}]
        r = ghirbal.dedup(docs, survivor="highest:views")
        assert r.kept_ids == ["b"], (nine, ten)
        assert r.summary["survivor_values"]["numbers"] == 2
    # A numpy integer id reads as the same integer; a missing value of pandas
    # (NA, NaT) as a missing field, as a NaN is.
    docs = [
        {"id": np.uint64(2**64 - 1), "text": text, "views": pd_missing()},
        {"id": np.int16(-3), "text": seed_docs[3]["text"], "views": Decimal("NaN")},
    ]
    with pytest.warns(UserWarning, match='no record has a value in the survivor field "views"'):
        r = ghirbal.dedup(docs, survivor="highest:views")
    assert r.ids == [str(2**64 - 1), "-3"]
    assert r.summary["survivor_values"]["missing"] == 2


def pd_missing() -> Any:
    """pandas' NA where pandas is installed, else a NaN."""
    try:
        import pandas as pd
    except ImportError:
        return float("nan")
    return pd.NA


def test_integer_ids_beyond_64_bits_keep_every_digit(seed_docs: list[dict[str, str]]) -> None:
    # As doubles, 2**70 and 2**70 + 1 were one id ("1.1805916207174113e+21").
    docs = [{"id": 2**70 + i, "text": d["text"]} for i, d in enumerate(seed_docs)]
    r = ghirbal.dedup(docs)
    assert r.ids == [str(2**70 + i) for i in range(len(docs))]
    assert r.reason.count("rejected") == 0


def test_dicts_are_read_for_the_fields_the_job_reads_only(
    seed_docs: list[dict[str, str]],
) -> None:
    # Records as pandas' to_dict("records") gives them: an empty cell is a float
    # NaN, and other columns hold what JSON cannot (here a NaN and a set). Only
    # the id, the text and the survivor field are read, and a NaN there is a
    # missing value, as in a table. (An unread NaN used to reject the record.)
    docs: list[dict[str, Any]] = [
        dict(d, score=float("nan") if i % 2 else 1.0, tags={"أخبار"}, date="2016-12-0" + str(i + 1))
        for i, d in enumerate(seed_docs)
    ]
    docs[0]["date"] = float("nan")
    plain = [{"id": d["id"], "text": d["text"], "date": d["date"]} for d in docs]
    plain[0]["date"] = None
    r = ghirbal.dedup(docs, survivor="earliest:date")
    assert r.reason.count("rejected") == 0
    assert by_id(r) == by_id(ghirbal.dedup(plain, survivor="earliest:date"))
    assert r.summary["survivor_values"]["missing"] == 1
    assert r.summary["survivor_values"]["dates"] == len(docs) - 1
    c = ghirbal.clean(docs)
    assert c.texts == ghirbal.clean(plain).texts
    # A field the job reads that JSON cannot hold still makes the record bad.
    bad = [dict(docs[1], date=float("inf"))]
    with pytest.raises(ghirbal.DataError, match=r'docs\[0\]: field "date" cannot be read'):
        ghirbal.dedup(bad, survivor="earliest:date")


def test_exact_only_and_options_reach_the_summary(seed_docs: list[dict[str, str]]) -> None:
    r = ghirbal.dedup(seed_docs, exact_only=True, ngram=3, dedup={"num_perm": 64})
    d = r.summary["config"]["dedup"]
    assert (d["exact_only"], d["ngram"], d["num_perm"]) == (True, 3, 64)
    assert all(r.kept)  # no two seeds are byte-for-byte equal after normalization
    assert r.summary["lsh"] is None


def test_on_error_skip_keeps_alignment(seed_docs: list[dict[str, str]]) -> None:
    docs: list[Any] = [*seed_docs, {"id": "x"}, 42, seed_docs[0]]
    r = ghirbal.dedup(docs, on_error="skip")
    assert len(r) == 8
    assert r.reason[5:] == ["rejected"] * 3
    assert r.clusters[5:] == [None] * 3 and r.kept[5:] == [False] * 3
    assert r.lang[:5] == ["ara"] * 5 and r.lang[5:] == [None] * 3
    assert [i for i, _ in r.rejects] == [5, 6, 7]
    assert 'missing field "text"' in r.rejects[0][1]
    assert "got int" in r.rejects[1][1]
    assert "duplicate id" in r.rejects[2][1]
    c = r.summary["counts"]
    assert (c["input"], c["rejected"]) == (8, 3)
    assert c["input"] == c["kept"] + c["removed"] + c["rejected"]


def test_a_rejected_record_keeps_its_id(seed_docs: list[dict[str, str]]) -> None:
    # Its id was read before its text was found bad: r.ids held "" instead.
    docs: list[Any] = [
        {"id": "blank", "text": "   "},
        {"id": 17, "text": None},
        {"id": "number", "text": 5},
        {"id": "no-text"},
        {"id": ["not", "an", "id"], "text": seed_docs[0]["text"]},
        42,
        *seed_docs,
    ]
    ids = ["blank", "17", "number", "no-text", "", "", *(d["id"] for d in seed_docs)]
    r = ghirbal.dedup(docs, on_error="skip")
    assert r.reason[:6] == ["rejected"] * 6
    assert r.ids == ids and [x["id"] for x in r.to_records()] == ids
    assert ghirbal.clean(docs, on_error="skip").ids == ids


def test_result_pickles(seed_docs: list[dict[str, str]]) -> None:
    r = ghirbal.dedup(seed_docs)
    assert pickle.loads(pickle.dumps(r)) == r


def test_dedup_files_writes_the_contract(tmp_path: Path) -> None:
    out = tmp_path / "out"
    summary = ghirbal.dedup_files(SEEDS, out)
    for name in ("kept.jsonl", "clusters.jsonl", "rejects.jsonl", "summary.json"):
        assert (out / name).is_file()
    assert json.loads((out / "summary.json").read_text(encoding="utf-8")) == summary
    c = summary["counts"]
    assert c["input"] == 5 == c["kept"] + c["removed"] + c["rejected"]
    # Existing output is refused, then replaced on request.
    with pytest.raises(FileExistsError):
        ghirbal.dedup_files([SEEDS], out)
    assert ghirbal.dedup_files([str(SEEDS)], out, overwrite=True)["counts"] == c
    # A folder that is no earlier output (here, one holding an input) is never replaced.
    data = tmp_path / "data"
    data.mkdir()
    (data / "in.jsonl").write_text('{"id": "a", "text": "نص"}\n', encoding="utf-8")
    with pytest.raises(FileExistsError, match="not replaced"):
        ghirbal.clean_files([data / "in.jsonl"], data, overwrite=True)
    assert (data / "in.jsonl").is_file()


def _run_beside_main_thread(docs: list[str]) -> tuple[float, float, int]:
    """Runs dedup in a thread while this one ticks every millisecond; returns
    (elapsed, worst gap between ticks, ticks)."""
    done = threading.Event()
    error: list[BaseException] = []

    def work() -> None:
        try:
            ghirbal.dedup(docs, threads=1)
        except BaseException as e:  # pragma: no cover - reported below
            error.append(e)
        finally:
            done.set()

    t0 = time.perf_counter()
    worker = threading.Thread(target=work)
    worker.start()
    ticks, last, worst_gap = 0, time.perf_counter(), 0.0
    while not done.is_set():
        time.sleep(0.001)
        now = time.perf_counter()
        worst_gap = max(worst_gap, now - last)
        last = now
        ticks += 1
    worker.join(timeout=120)
    assert not error
    return time.perf_counter() - t0, worst_gap, ticks


def test_dedup_releases_the_gil(seed_docs: list[dict[str, str]]) -> None:
    # Distinct windows of real text; grown until the run is long enough to tell
    # (debug and release builds differ by an order of magnitude).
    words = " ".join(d["text"] for d in seed_docs).split()
    rng = random.Random(1)
    for n in (400, 2000, 10000):
        docs = []
        for i in range(n):
            start = rng.randrange(len(words) - 300)
            docs.append(" ".join(words[start : start + 300]) + f" {i}")
        elapsed, worst_gap, ticks = _run_beside_main_thread(docs)
        if elapsed > 0.3:
            break
    assert elapsed > 0.3, f"run too short to tell ({elapsed:.3f}s)"
    # Holding the GIL through the work would stall this loop for the whole run.
    assert worst_gap < elapsed / 2, (worst_gap, elapsed, ticks)
    assert ticks > 20


def test_the_progress_line_covers_a_longer_one_and_waits_for_a_rate(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    clock = [100.0]
    monkeypatch.setattr(ghirbal.time, "monotonic", lambda: clock[0])
    line = ghirbal._Line()
    clock[0] += 3.0
    line("count", 255_000)  # a long line: the counting pass, with its rate
    clock[0] += 0.01
    line("read", 2_048)  # the next pass's first report: too early for a rate
    clock[0] += 1.0
    line("read", 74_104)
    line.end()
    # What a terminal shows: each write over the one before, from the line's start.
    shown = ""
    for piece in capsys.readouterr().err.rstrip("\n").split("\r")[1:]:
        shown = piece + shown[len(piece) :]
        assert "(204,800/s)" not in shown, shown
    assert shown.rstrip() == "ghirbal: 4 s, 74,104 records read (74,104/s)", shown
