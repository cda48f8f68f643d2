"""ghirbal.spark.dedup_spark against ghirbal.dedup on real text, in a local Spark.

Spark needs pyspark and a Java runtime: without them these tests skip, except
under CI=true, where they must run.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import warnings
from collections import Counter
from pathlib import Path
from typing import Any, Iterator

import pytest

import ghirbal
from ghirbal import _core

if os.environ.get("CI") != "true":
    pytest.importorskip("pyspark")
    pytest.importorskip("pyarrow")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("no Java runtime for Spark", allow_module_level=True)

from pyspark.sql import DataFrame, SparkSession  # noqa: E402

import ghirbal.spark  # noqa: E402
from ghirbal.spark import CLEAN_COLUMNS, VERDICT_COLUMNS, clean_spark, dedup_spark  # noqa: E402

# py4j leaves its sockets to the garbage collector, pyspark 3.5 checks
# pyarrow's version with distutils, and pyspark 4 warns about pandas 3 (which
# mapInArrow does not use).
pytestmark = [
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
    pytest.mark.filterwarnings("ignore:distutils Version classes:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning"),
]


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkSession]:
    # Workers run this interpreter, where the package is installed.
    os.environ["PYSPARK_PYTHON"] = sys.executable
    s = (
        SparkSession.builder.master("local[2]")
        .appName("ghirbal-tests")
        .config("spark.sql.shuffle.partitions", "4")
        # Small Arrow batches: an LSH bucket or anchor group spans batches.
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "97")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "2g")
        # The test frames are made from Python lists: their rows are in the plan,
        # and pyspark 3.5's adaptive execution writes out the whole plan (nested
        # cached frames included) on each update; without a cap the driver can
        # run out of memory doing so.
        .config("spark.sql.maxPlanStringLength", "65536")
        .getOrCreate()
    )
    s.sparkContext.setLogLevel("ERROR")
    yield s
    s.stop()


@pytest.fixture(scope="module")
def corpus(shared: Path, tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """Real reprints (news_pairs) and a labelled corpus built from real news by
    ../shared/bench/gen_corpus.py: exact copies, edits, added chrome, cuts."""
    out = tmp_path_factory.mktemp("gen") / "gen.jsonl"
    subprocess.run(
        [
            sys.executable,
            str(shared / "bench" / "gen_corpus.py"),
            "--base",
            str(shared / "corpora" / "arabic_news"),
            "--out",
            str(out),
            "--docs",
            "600",
            "--seed",
            "5",
            # Its own near-duplicate filter of the base needs datasketch.
            "--base-dedup-threshold",
            "0",
        ],
        check=True,
        capture_output=True,
    )
    docs = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    news = shared / "corpora" / "news_pairs" / "docs.jsonl"
    docs += [json.loads(line) for line in news.read_text(encoding="utf-8").splitlines()]
    # A date field for the survivor policy: the generator's edit family, a
    # string some documents lack.
    return [
        {"id": d["id"], "text": d["text"], **({"date": d["edit"]} if "edit" in d else {})}
        for d in docs
    ]


Verdicts = list[tuple[Any, ...]]


def local(docs: list[dict[str, Any]], **options: Any) -> Verdicts:
    """(id, *VERDICT_COLUMNS) per document, in input order."""
    r = ghirbal.dedup(docs, **options)
    rejected = dict(r.rejects)
    return [
        (d.get("id"), c, k, dup, why, s, g, rejected.get(n))
        for n, (d, c, k, dup, why, s, g) in enumerate(
            zip(docs, r.clusters, r.kept, r.duplicate_of, r.reason, r.similarity, r.lang)
        )
    ]


def on_spark(
    spark: SparkSession, docs: list[dict[str, Any]], partitions: int, **options: Any
) -> Verdicts:
    """(id, *VERDICT_COLUMNS) per row of the output (in no particular order)."""
    rows = run(spark, dedup_spark, docs, partitions, VERDICT_COLUMNS, **options)
    return [(r["id"], *(r[c] for c in VERDICT_COLUMNS)) for r in rows]


def run(
    spark: SparkSession,
    job: Any,
    docs: list[dict[str, Any]],
    partitions: int,
    columns: tuple[str, ...],
    **options: Any,
) -> list[Any]:
    """The rows ``job`` gives for ``docs`` in a frame (in ``partitions``
    partitions, shuffled, when more than one), which keeps its columns and adds
    ``columns``."""
    df: DataFrame = spark.createDataFrame(docs, "id string, text string, date string")
    out = job(df.repartition(partitions) if partitions > 1 else df, **options)
    rows: list[Any] = out.collect()
    out.unpersist()
    assert list(rows[0].asDict()) == ["id", "text", "date", *columns]
    return rows


def by_id(verdicts: Verdicts) -> dict[str, tuple[Any, ...]]:
    out = {v[0]: v[1:] for v in verdicts}
    assert len(out) == len(verdicts), "ids are unique here"
    return out


def test_the_same_verdicts_as_the_local_engine(
    spark: SparkSession, corpus: list[dict[str, Any]]
) -> None:
    want = local(corpus)
    assert by_id(on_spark(spark, corpus, 1)) == by_id(want)
    # The corpus exercises every rule: otherwise agreement would say little.
    reasons = Counter(v[4] for v in want)
    for r in ("unique", "survivor", "exact", "near_duplicate", "containment"):
        assert reasons[r] >= 20, reasons


def test_partitions_and_input_order_change_nothing(
    spark: SparkSession, corpus: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    shuffled = corpus[:]
    random.Random(11).shuffle(shuffled)
    want = by_id(local(corpus))
    assert by_id(on_spark(spark, shuffled, 7)) == want
    # The components of the joined pairs found in rounds of joins instead.
    monkeypatch.setattr(ghirbal.spark, "DRIVER_COMPONENTS_MAX_PAIRS", 0)
    assert by_id(on_spark(spark, shuffled, 7)) == want


def test_results_keep_about_the_inputs_partitions_whatever_the_shuffles_give(
    spark: SparkSession, corpus: list[dict[str, Any]]
) -> None:
    # Spark's default of 200 shuffle partitions: a cached frame keeps them, and
    # every stage after it ran 200 tasks (a 20-row frame took 17 s, and its
    # result wrote 200 files). The results have the input's partitions (or one
    # per core), and the same verdicts.
    before = spark.conf.get("spark.sql.shuffle.partitions")
    spark.conf.set("spark.sql.shuffle.partitions", "200")
    try:
        docs = corpus[:60]
        df = spark.createDataFrame(docs, "id string, text string, date string").repartition(3)
        most = max(3, spark.sparkContext.defaultParallelism)
        out = clean_spark(df)
        assert out.rdd.getNumPartitions() <= most
        out.unpersist()
        out = dedup_spark(df)
        assert out.rdd.getNumPartitions() <= most
        rows = out.collect()
        out.unpersist()
        got = by_id([(r["id"], *(r[c] for c in VERDICT_COLUMNS)) for r in rows])
        assert got == by_id(local(docs))
    finally:
        spark.conf.set("spark.sql.shuffle.partitions", before)


# The `date` field holds the generator's edit names: strings on purpose (their
# order is compared across engines), which the local job warns about.
@pytest.mark.filterwarnings("ignore:.*survivor field:UserWarning")
@pytest.mark.parametrize(
    "options",
    [
        {"survivor": "earliest:date"},
        {"survivor": "highest:date", "threshold": 0.7},
        {"shingle": "chars"},
        {"containment": False},
        {"exact_only": True},
        {"mode": "components"},
    ],
)
def test_other_settings_agree_too(
    spark: SparkSession, corpus: list[dict[str, Any]], options: dict[str, Any]
) -> None:
    assert by_id(on_spark(spark, corpus, 3, **options)) == by_id(local(corpus, **options))


@pytest.mark.parametrize("options", [{}, {"mode": "components"}, {"exact_only": True}])
def test_the_audit_is_the_one_the_local_job_writes(
    spark: SparkSession, corpus: list[dict[str, Any]], tmp_path: Path, options: dict[str, Any]
) -> None:
    path = tmp_path / "corpus.jsonl"
    path.write_text(
        "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in corpus), encoding="utf-8"
    )
    ghirbal.dedup_files([path], tmp_path / "local", **options)
    want = (tmp_path / "local" / "audit.json").read_text(encoding="utf-8")
    shuffled = corpus[:]
    random.Random(5).shuffle(shuffled)
    df = spark.createDataFrame(shuffled, "id string, text string, date string")
    dedup_spark(df.repartition(5), audit=tmp_path / "audit.json", **options).unpersist()
    assert (tmp_path / "audit.json").read_text(encoding="utf-8") == want
    # The comparison says something: a full sample with exact similarities, and
    # pairs refused for each reason.
    audit = json.loads(want)
    assert len(audit["sample"]) == 20
    assert all(m["exact_jaccard"] is not None for c in audit["sample"] for m in c["members"])
    if not options.get("exact_only"):
        assert set(audit["pairs_by_outcome"]) >= {"near_duplicate", "containment", "dissimilar"}


def test_bad_records_are_rejected_or_raise_as_locally(
    spark: SparkSession, corpus: list[dict[str, Any]]
) -> None:
    docs = corpus[:40]
    docs = [
        *docs[:5],
        {"id": "no-text", "text": None, "date": "x"},
        *docs[5:20],
        dict(docs[3]),
        *docs[20:],
    ]
    # The frame comes in several partitions: row numbers cross them.
    assert (
        spark.createDataFrame(docs, "id string, text string, date string").rdd.getNumPartitions()
        > 1
    )
    want = local(docs, on_error="skip")
    got = on_spark(spark, docs, 1, on_error="skip")
    # The repeated id has two rows: compared as a multiset.
    assert Counter(got) == Counter(want)
    assert sum(v[4] == "rejected" for v in got) == 2
    with pytest.raises(ghirbal.DataError) as local_error:
        ghirbal.dedup(docs)
    with pytest.raises(ghirbal.DataError) as spark_error:
        on_spark(spark, docs, 1)
    # Both name the record by its position: docs[5].
    assert str(spark_error.value) == str(local_error.value)


@pytest.mark.parametrize("group_by", ["corpus", "date"])
# Only the footed copies have a date: the others are pooled in one group, as
# the note both front-ends give says.
@pytest.mark.filterwarnings("ignore:some records have no text or number in the field")
def test_corpus_boilerplate_is_counted_as_the_job_counts_it(
    spark: SparkSession, corpus: list[dict[str, Any]], group_by: str
) -> None:
    """``clean.boilerplate.in_dedup``: the lines counted over the frame, by
    group (the whole corpus, or the generator's edit family), a repeated id's
    record among them: here its footer is the fifth that makes the footer
    boilerplate, and then four footed copies of unique texts are their
    duplicates with similarity 1 (the footer cut)."""
    footer = "\nنشرة الصباح من مكتب القاهرة الإقليمي للتحرير والمتابعة"
    *unique, other = [n for n, v in enumerate(local(corpus)) if v[4] == "unique"][:5]
    copies = [
        {"id": f"f{i}", "text": corpus[n]["text"].rstrip() + footer, "date": "x"}
        for i, n in enumerate(unique)
    ]
    repeated = {"id": corpus[7]["id"], "text": corpus[other]["text"] + footer, "date": "x"}
    docs = [*corpus, *copies, repeated]
    options: dict[str, Any] = {
        "clean": {
            "boilerplate": {
                "in_dedup": True,
                "group_by": group_by,
                "min_docs": 5,
                "min_fraction": 0.0,
            }
        },
        "on_error": "skip",
    }
    want = local(docs, **options)
    for i, n in enumerate(unique):
        pair = (want[n], want[len(corpus) + i])
        assert pair[0][1] == pair[1][1] and {v[5] for v in pair} == {1.0}, pair
    # In the frame's own partitions: the repeated id's first row is the local one.
    assert Counter(on_spark(spark, docs, 1, **options)) == Counter(want)
    # The model cuts something: verdicts differ from those without it.
    assert want != local(docs, on_error="skip")


def test_wrong_settings_are_refused(
    spark: SparkSession, corpus: list[dict[str, Any]], tmp_path: Path
) -> None:
    df = spark.createDataFrame(corpus[:5], "id string, text string, date string")
    with pytest.raises(ghirbal.ConfigError, match="threshold"):
        dedup_spark(df, threshold=2.0)
    with pytest.raises(FileNotFoundError, match="audit"):
        dedup_spark(df, audit=tmp_path / "missing" / "audit.json")
    with pytest.raises(ValueError, match="kept"):
        dedup_spark(df.withColumnRenamed("date", "kept"))
    # Without the model the analysis refuses (dedup_spark counts it first).
    cfg = _core.resolve_config(None, json.dumps({"clean": {"boilerplate": {"in_dedup": True}}}))
    with pytest.raises(ghirbal.ConfigError, match="in_dedup"):
        _core.Stages(cfg).analyze([0], corpus[:1])


@pytest.mark.parametrize(
    "job, options",
    [
        ("dedup", {"survivor": "earliest:meta"}),
        ("dedup", {"id_field": "meta"}),
        ("clean", {"group_by": "field:meta", "min_docs": 2}),
    ],
)
def test_a_column_that_holds_no_field_raises_as_locally(
    spark: SparkSession, corpus: list[dict[str, Any]], job: str, options: dict[str, Any]
) -> None:
    """A struct column the options name (a survivor field, the id, a group)
    raises the DataError ``ghirbal.dedup`` and ``ghirbal.clean`` raise for the
    same rows, on the driver, rather than a worker's traceback wrapped in
    Spark's; a struct column nobody reads is carried through."""
    rows = [(d["id"], d["text"], {"a": n, "b": [n]}) for n, d in enumerate(corpus[:30])]
    df = spark.createDataFrame(rows, "id string, text string, meta struct<a:int,b:array<int>>")
    local = ghirbal.dedup if job == "dedup" else ghirbal.clean
    spark_job = dedup_spark if job == "dedup" else clean_spark
    with pytest.raises(ghirbal.DataError) as local_error:
        local(df.toArrow(), **options)
    with pytest.raises(ghirbal.DataError) as spark_error:
        spark_job(df, **options)
    assert str(spark_error.value) == str(local_error.value)
    assert "meta" in str(spark_error.value)
    out = spark_job(df)
    assert [r["meta"]["b"] == [r["meta"]["a"]] for r in out.collect()] == [True] * len(rows)
    out.unpersist()


@pytest.mark.parametrize("anchors", [False, True])
def test_pairs_of_a_group_do_not_depend_on_its_order(
    corpus: list[dict[str, Any]], anchors: bool
) -> None:
    """Spark collects a group's members in no particular order."""
    cfg_json = _core.resolve_config(None, "{}")
    st = _core.Stages(cfg_json)
    docs = corpus[:400]
    groups: dict[int, list[tuple[str, int]]] = {}
    for doc_id, _, _, _, _, shingles, bands, anchor_list, _ in st.analyze(range(len(docs)), docs):
        for key in anchor_list if anchors else bands:
            groups.setdefault(key, []).append((doc_id, shingles))
    rows = [([m[0] for m in g], [m[1] for m in g]) for g in groups.values() if len(g) > 1]
    whole = sorted(st.pairs(rows, anchors))
    assert len(whole) > 100
    rng = random.Random(7)
    for _ in range(3):
        shuffled = []
        for ids, counts in rows:
            members = list(zip(ids, counts))
            rng.shuffle(members)
            shuffled.append(([m[0] for m in members], [m[1] for m in members]))
        rng.shuffle(shuffled)
        assert sorted(st.pairs(shuffled, anchors)) == whole


def test_runs_by_key_never_split_a_key_across_arrow_batches() -> None:
    import pyarrow as pa

    from ghirbal.spark import _by_key

    keys = sorted(random.Random(3).choices(range(40), k=300))
    rows = [(k, f"d{i}") for i, k in enumerate(keys)]
    for size in (1, 2, 7, 64):
        batches = [
            pa.RecordBatch.from_pydict(
                {
                    "comp": [r[0] for r in rows[i : i + size]],
                    "id": [r[1] for r in rows[i : i + size]],
                }
            )
            for i in range(0, len(rows), size)
        ]
        runs = list(_by_key("comp", iter(batches)))
        assert [(k, i) for d in runs for k, i in zip(d["comp"], d["id"])] == rows, size
        seen = [set(d["comp"]) for d in runs]
        assert all(not (a & b) for n, a in enumerate(seen) for b in seen[n + 1 :]), size


def test_a_batch_without_the_arrow_stream_is_read_as_dicts(corpus: list[dict[str, Any]]) -> None:
    """pyarrow before 14 has no ``__arrow_c_stream__``: the stages then read the
    batch's rows as dicts, with the same analysis."""
    import pyarrow as pa

    from ghirbal.spark import _ORDER, _analyze, _stages

    rows = [dict(r, **{_ORDER: n}) for n, r in enumerate(corpus[:200] + corpus[-100:])]
    batch = pa.RecordBatch.from_pylist(rows)

    class OldBatch:
        def column(self, name: str) -> Any:
            return batch.column(name)

        def to_pylist(self) -> list[dict[str, Any]]:
            return batch.to_pylist()

    cfg = _core.resolve_config(None, json.dumps({"survivor": "earliest:date"}))
    st = _stages((cfg, None))
    new, old = _analyze(st, batch), _analyze(st, OldBatch())  # type: ignore[arg-type]
    assert old == new
    # Rows with and without the survivor's field, read both ways.
    assert {d.get("date") is None for d in rows} == {True, False}


def test_components_of_a_long_chain_and_of_stars(spark: SparkSession) -> None:
    from ghirbal.spark import _components

    # A chain of 12 ids (in shuffled id order), a star of 5, and a lone pair.
    chain = [f"c{i:02d}" for i in random.Random(3).sample(range(12), 12)]
    pairs = [tuple(sorted(p)) for p in zip(chain, chain[1:])]
    pairs += [("s0", f"s{i}") for i in range(1, 5)] + [("p1", "p2")]
    df = spark.createDataFrame(pairs, "a string, b string")
    want = {
        **{c: "c00" for c in chain},
        **{f"s{i}": "s0" for i in range(5)},
        "p1": "p1",
        "p2": "p1",
    }
    # In rounds of joins, and on the driver.
    assert {r["id"]: r["comp"] for r in _components(df).collect()} == want
    assert dict(_core.Stages.components(pairs)) == want


Cleaned = list[tuple[Any, ...]]


def cleaned_locally(docs: list[dict[str, Any]], **options: Any) -> Cleaned:
    """(id, text, cuts, emptied, rejected) per document, as ghirbal.clean gives them."""
    r = ghirbal.clean(docs, **options)
    rejected = dict(r.rejects)
    return [
        (d.get("id"), t, [(c.rule, c.start, c.end, c.text) for c in cs], e, rejected.get(n))
        for n, (d, t, cs, e) in enumerate(zip(docs, r.texts, r.cuts, r.emptied))
    ]


def cleaned_on_spark(
    spark: SparkSession, docs: list[dict[str, Any]], partitions: int, **options: Any
) -> Cleaned:
    rows = run(spark, clean_spark, docs, partitions, CLEAN_COLUMNS, **options)
    return [
        (
            r["id"],
            r["text"],
            [(c["rule"], c["start"], c["end"], c["text"]) for c in r["cuts"]],
            r["emptied"],
            r["rejected"],
        )
        for r in rows
    ]


def with_chrome(corpus: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The corpus with a footer per edit family on some texts, a text that is
    all chrome, a bad record, and a repeated id whose second row carries the
    footer."""
    footer = "\nنشرة الصباح من مكتب القاهرة الإقليمي للتحرير والمتابعة"
    docs = [
        dict(d, text=d["text"].rstrip() + footer) if n % 9 == 0 else d for n, d in enumerate(corpus)
    ]
    return [
        *docs[:30],
        {"id": "no-text", "text": None, "date": "x"},
        {"id": "all-chrome", "text": "اقرأ المزيد", "date": "x"},
        *docs[30:],
        dict(corpus[12], text=corpus[12]["text"] + footer),
    ]


@pytest.mark.parametrize("group_by", ["corpus", "field:date"])
# Some rows have no date: pooled in one group, as the note both sides give says.
@pytest.mark.filterwarnings("ignore:some records have no text or number in the field")
def test_clean_spark_cuts_what_clean_cuts(
    spark: SparkSession, corpus: list[dict[str, Any]], group_by: str
) -> None:
    docs = with_chrome(corpus)
    options: dict[str, Any] = {"group_by": group_by, "on_error": "skip"}
    want = cleaned_locally(docs, **options)
    # The repeated id's first row is the first in the frame's order, here the
    # local one.
    assert Counter(map(repr, cleaned_on_spark(spark, docs, 1, **options))) == Counter(
        map(repr, want)
    )
    # Without the repeated id, any partitioning and order give the same rows.
    unique = docs[:-1]
    want_unique = Counter(map(repr, cleaned_locally(unique, **options)))
    shuffled = unique[:]
    random.Random(3).shuffle(shuffled)
    assert Counter(map(repr, cleaned_on_spark(spark, shuffled, 5, **options))) == want_unique
    # The comparison says something: the corpus-level model cuts the footer,
    # the rules cut chrome, one text is emptied, two records are rejected.
    rules = Counter(c[0] for v in want for c in v[2])
    assert rules["boilerplate"] >= 20 and len(rules) >= 3, rules
    assert "all-chrome" in [v[0] for v in want if v[3]]
    assert sum(v[4] is not None for v in want) == 2


def test_clean_spark_cuts_the_passages_clean_cuts(spark: SparkSession, shared: Path) -> None:
    # Real news where stories are filed under two sections and follow-ups repeat
    # background paragraphs; plus a repeated id whose second row (rejected) would
    # otherwise hold a passage, as its id is the smallest.
    news = shared / "corpora" / "arabic_news"
    docs = [
        json.loads(line)
        for f in ("ant_multisource.jsonl", "ant_jawharafm.jsonl")
        for line in (news / f).read_text(encoding="utf-8").splitlines()
    ]
    rows = [(d["id"], d["text"], d["outlet"]) for d in docs]
    cut = ghirbal.clean(docs, passages=True).cuts
    held = next(c for cs in cut for c in cs if c.rule == "repeated_passage")
    rows.append(("!", held.text, "x"))
    rows.insert(0, ("!", "نص قصير", "x"))
    options: dict[str, Any] = {"group_by": "field:outlet", "passages": True, "on_error": "skip"}
    local = ghirbal.clean([{"id": i, "text": t, "outlet": o} for i, t, o in rows], **options)
    want = {
        (i, t, tuple(tuple(c) for c in cs), e)
        for i, t, cs, e in zip(local.ids, local.texts, local.cuts, local.emptied)
        if t is not None
    }
    passages = sum(c.rule == "repeated_passage" for cs in local.cuts for c in cs)
    assert passages > 100 and local.rejects == [(len(rows) - 1, local.rejects[0][1])]
    df = spark.createDataFrame(rows, "id string, text string, outlet string")
    for frame in (df, df.repartition(4)):
        out = clean_spark(frame, **options)
        got = {
            (r["id"], r["text"], tuple(tuple(c) for c in r["cuts"]), r["emptied"])
            for r in out.collect()
            if r["rejected"] is None
        }
        out.unpersist()
        if frame is df:
            assert got == want
        else:
            # Shuffled, the repeated id's kept row may be either: the rest agrees.
            assert {g for g in got if g[0] != "!"} == {w for w in want if w[0] != "!"}


@pytest.mark.parametrize("text_field", ["text", "cleaned"])
def test_clean_spark_takes_a_frame_with_a_cleaned_column(
    spark: SparkSession, corpus: list[dict[str, Any]], text_field: str
) -> None:
    """A column named ``cleaned`` (an earlier step's text, or a flag beside the
    text) is the user's: it is no name of the job's own, and the cuts are those
    of ``ghirbal.clean`` on the same rows."""
    docs = with_chrome(corpus[:80])[:-1]
    other = "flag" if text_field == "cleaned" else "cleaned"
    rows = [(d["id"], d["text"], "x") for d in docs]
    options: dict[str, Any] = {"on_error": "skip", "text_field": text_field}
    r = ghirbal.clean([{"id": i, text_field: t, other: f} for i, t, f in rows], **options)
    want = Counter(
        (i, t, tuple((c.rule, c.start, c.end) for c in cs))
        for i, t, cs in zip(r.ids, r.texts, r.cuts)
    )
    assert sum(len(cs) for cs in r.cuts) >= 10
    df = spark.createDataFrame(rows, f"id string, {text_field} string, {other} string")
    out = clean_spark(df.repartition(3), **options)
    assert out.columns == ["id", text_field, other, *CLEAN_COLUMNS]
    got = Counter(
        (x["id"], x[text_field], tuple((c["rule"], c["start"], c["end"]) for c in x["cuts"]))
        for x in out.collect()
    )
    out.unpersist()
    assert got == want


def test_a_job_that_stops_leaves_nothing_cached(
    spark: SparkSession, corpus: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """However a call ends (a bad record, Ctrl-C in the middle of the job), the
    frames it cached on the way are dropped: each holds the corpus, and a
    notebook would keep them for the session."""
    jvm = spark.sparkContext._jsc

    def cached() -> int:
        return int(jvm.getPersistentRDDs().size())

    docs = with_chrome(corpus[:60])
    df = spark.createDataFrame(docs, "id string, text string, date string").repartition(3)
    before = cached()
    # The bad record raises once the repeated passages are counted.
    with pytest.raises(ghirbal.DataError, match='"text" is null'):
        clean_spark(df, passages=True)
    assert cached() == before

    def interrupted(*args: Any) -> None:
        raise KeyboardInterrupt

    # Ctrl-C while the components of the joined pairs are found, with the
    # analysis, the exact units and the checked pairs cached.
    monkeypatch.setattr(ghirbal.spark, "DRIVER_COMPONENTS_MAX_PAIRS", 0)
    monkeypatch.setattr(ghirbal.spark, "_components", interrupted)
    with pytest.raises(KeyboardInterrupt):
        dedup_spark(df, on_error="skip")
    assert cached() == before
    # Ctrl-C while the rows are cleaned, the passages counted.
    monkeypatch.setattr(ghirbal.spark, "_sorted_out", interrupted)
    with pytest.raises(KeyboardInterrupt):
        clean_spark(df, passages=True, on_error="skip")
    assert cached() == before


def test_clean_spark_bad_records_and_refusals(
    spark: SparkSession, corpus: list[dict[str, Any]]
) -> None:
    docs = with_chrome(corpus[:60])
    with pytest.raises(ghirbal.DataError) as local_error:
        ghirbal.clean(docs)
    with pytest.raises(ghirbal.DataError) as spark_error:
        cleaned_on_spark(spark, docs, 1)
    # Both name the record by its position: docs[30].
    assert str(spark_error.value) == str(local_error.value)
    df = spark.createDataFrame(corpus[:5], "id string, text string, date string")
    with pytest.raises(ValueError, match="cuts"):
        clean_spark(df.withColumnRenamed("date", "cuts"))
    with pytest.raises(ghirbal.ConfigError, match="min_docs"):
        clean_spark(df, min_docs=1)
    # The clean stage refuses to cut passages without the holders, and holders
    # without passages.
    with pytest.raises(ghirbal.ConfigError, match="holders"):
        _core.CleanStages(
            _core.resolve_config(
                None,
                '{"clean": {"passages": {"enabled": true}, "boilerplate": {"enabled": false}}}',
            )
        ).clean([0], corpus[:1])
    with pytest.raises(ghirbal.ConfigError, match="holders"):
        _core.CleanStages(
            _core.resolve_config(None, '{"clean": {"boilerplate": {"enabled": false}}}')
        ).clean([0], corpus[:1], [None])
    # Without the model the clean stage refuses (clean_spark counts it first).
    cfg = _core.resolve_config(None, "{}")
    with pytest.raises(ghirbal.ConfigError, match="boilerplate model"):
        _core.CleanStages(cfg).clean([0], corpus[:1])


def test_normalize_spark_gives_the_normalizers_texts(spark: SparkSession, shared: Path) -> None:
    # Real news in several outlets' spellings (diacritics, tatweel, Arabic-Indic
    # digits), a null text and an empty one, over partitions and small batches.
    news = shared / "corpora" / "arabic_news" / "ant_multisource.jsonl"
    docs = [json.loads(line) for line in news.read_text(encoding="utf-8").splitlines()]
    rows = [(d["id"], d["text"], d["outlet"]) for d in docs] + [("nul", None, "x"), ("e", "", "x")]
    df = spark.createDataFrame(rows, "id string, text string, outlet string").repartition(3)
    for profile, add, remove in [("key", [], []), ("stored", ["digits"], ["nfkc"])]:
        n = ghirbal.Normalizer(profile, add, remove)
        want = {i: (None if t is None else n.normalize(t), o) for i, t, o in rows}
        out = ghirbal.spark.normalize_spark(df, profile=profile, add=add, remove=remove)
        assert out.columns == ["id", "text", "outlet"]
        got = {r["id"]: (r["text"], r["outlet"]) for r in out.collect()}
        assert got == want, profile
        # It changed something: the comparison is not of texts left as they were.
        assert sum(want[i][0] != t for i, t, _ in rows if t) > 100, profile
    # To a column of its own, the text left as it was.
    out = ghirbal.spark.normalize_spark(df, output="key").collect()
    assert {r["id"]: (r["text"], r["key"]) for r in out} == {
        i: (t, None if t is None else ghirbal.normalize(t, "key")) for i, t, _ in rows
    }
    with pytest.raises(ghirbal.ConfigError):
        ghirbal.spark.normalize_spark(df, profile="nope")
    with pytest.raises(ValueError, match="no column"):
        ghirbal.spark.normalize_spark(df, "body")
    with pytest.raises(ValueError, match="already has"):
        ghirbal.spark.normalize_spark(df, output="outlet")
    with pytest.raises(TypeError, match="not a string"):
        ghirbal.spark.normalize_spark(spark.range(3), "id")


@pytest.fixture(scope="module")
def news(shared: Path, seed_docs: list[dict[str, str]]) -> list[dict[str, Any]]:
    """Real news from three outlets (each date in its outlet's form) and the
    sample articles (no date, no outlet); every tenth date is a relative time
    some pages give instead ("منذ ساعتين", two hours ago; "أمس", yesterday)."""
    folder = shared / "corpora" / "arabic_news"
    docs: list[dict[str, Any]] = []
    for name in ("ant_jawharafm", "ant_multisource", "saudinewsnet"):
        lines = (folder / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()[:70]
        docs += [
            {k: v for k, v in json.loads(line).items() if k in ("id", "text", "date", "outlet")}
            for line in lines
        ]
    for n in range(0, len(docs), 10):
        docs[n]["date"] = "أمس" if n % 20 else "منذ ساعتين"
    return [*docs, *seed_docs]


def warned(job: Any) -> tuple[list[str], Any]:
    """The messages of the UserWarnings ``job()`` raises, and what it returns."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = job()
    return [str(w.message) for w in caught if w.category is UserWarning], out


_NEWS_SCHEMA = "id string, text string, date string, outlet string"


@pytest.mark.parametrize(
    "options, said",
    [
        # A column named otherwise: the longest copy survives.
        ({"survivor": "earliest:Date"}, ['no record has a value in the survivor field "Date"']),
        # Some values no date; a repeated id's row, rejected, is not counted
        # (nor its value among the examples).
        (
            {"survivor": "highest:date", "on_error": "skip"},
            ['21 of 210 values of the survivor field "date"', '"أمس"', '"منذ ساعتين"'],
        ),
        ({"id_field": "ID"}, ['no record has the id field "ID"']),
        (
            {"clean": {"boilerplate": {"in_dedup": True, "group_by": "field:outlte"}}},
            ['no record has the field "outlte"'],
        ),
    ],
)
def test_dedup_spark_warns_what_dedup_warns(
    spark: SparkSession, news: list[dict[str, Any]], options: dict[str, Any], said: list[str]
) -> None:
    """The notes of ghirbal.dedup (a survivor, id or group field no record has,
    survivor values that are no dates) are dedup_spark's UserWarnings, in the
    same words, on the same rows in several partitions."""
    docs = news[:]
    random.Random(2).shuffle(docs)
    if options.get("on_error") == "skip":
        # Last: the repeated id's row that is rejected.
        docs.append(dict(docs[3], date="تاريخ آخر"))
    want, _ = warned(lambda: ghirbal.dedup(docs, **options))
    assert len(want) == 1 and all(s in want[0] for s in said) and "آخر" not in want[0], want
    # In the frame's order (a shuffle would reorder the examples and the
    # repeated id's rows), across partitions.
    df = spark.createDataFrame(docs, _NEWS_SCHEMA)
    assert df.rdd.getNumPartitions() > 1
    got, out = warned(lambda: dedup_spark(df, **options))
    out.unpersist()
    assert got == want


def test_clean_spark_warns_what_clean_warns(
    spark: SparkSession, news: list[dict[str, Any]]
) -> None:
    options = {"id_field": "doc_id", "group_by": "field:outlte"}
    want, _ = warned(lambda: ghirbal.clean(news, **options))
    assert len(want) == 2 and want[0].startswith('no record has the id field "doc_id"'), want
    assert 'no record has the field "outlte"' in want[1]
    df = spark.createDataFrame(news, _NEWS_SCHEMA).repartition(3)
    got, out = warned(lambda: clean_spark(df, **options))
    out.unpersist()
    assert got == want
    # Some records without the field (the seeds have no outlet): pooled, said
    # alike on both sides.
    some = {"group_by": "field:outlet"}
    want, _ = warned(lambda: ghirbal.clean(news, **some))
    assert len(want) == 1 and want[0].startswith(
        'some records have no text or number in the field "outlet"'
    ), want
    got, out = warned(lambda: clean_spark(df, **some))
    out.unpersist()
    assert got == want
    # Fields every record has: no note on either side.
    placed = [d for d in news if isinstance(d.get("outlet"), str)]
    assert 0 < len(placed) < len(news)
    assert warned(lambda: ghirbal.clean(placed, **some))[0] == []
    got, out = warned(lambda: clean_spark(spark.createDataFrame(placed, _NEWS_SCHEMA), **some))
    out.unpersist()
    assert got == []
