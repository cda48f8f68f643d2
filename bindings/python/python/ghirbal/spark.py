"""Deduplication and cleaning of a Spark DataFrame, for corpora that outgrow one
machine.

>>> from ghirbal.spark import dedup_spark          # doctest: +SKIP
>>> out = dedup_spark(df, threshold=0.8)           # df has "id" and "text" columns
>>> out.filter("kept").select(*df.columns)         # the deduplicated corpus

The verdicts are those :func:`ghirbal.dedup` gives on the same rows, however the
frame is partitioned or ordered (which record of a repeated id stays aside):
every decision is made by the function the local engine uses
(``ghirbal._core.Stages``), and Spark only moves rows between the stages,
grouping them by the keys those functions give:

1. analysis, per partition: cleaning, key text, signature; the exact key, the
   survivor-policy key, LSH band keys, anchors and the sketch's bytes;
2. rejects: bad records, and every record of a repeated id but the first in
   the frame's order;
3. exact units: each key text is represented by the policy's choice;
4. candidates: the representatives' LSH buckets and anchor groups;
5. verification of each candidate pair (exact shingle sets by default);
6. assignment (star, or connected components), per connected component of the
   verified pairs (neither mode reaches past a pair); the components are found on the driver from the
   pairs' ids up to :data:`DRIVER_COMPONENTS_MAX_PAIRS` pairs, else in rounds
   of joins;
7. the verdicts, per row; a cluster is named by its smallest id.

Rows cross between Spark and the core as Arrow batches (``mapInArrow``), so
pyspark (3.5 or later) is needed with its SQL extras, pyarrow and pandas
(``pip install 'pyspark[sql]'``).

Under ``clean.boilerplate.in_dedup`` the lines are first counted over the
frame, as the job counts them (per group, in how many distinct articles of the
readable records), and the analysis gets the model the core builds from the
counts.

``audit.json`` (``audit=PATH``) is counted in pieces that merge: each batch of
checked pairs and of clusters is tallied by the core, the tallies are merged in a
tree on the executors, and the driver picks the sample and re-reads the sampled
clusters' records.

The notes :func:`ghirbal.dedup` and :func:`ghirbal.clean` warn (a survivor, id
or group field no record has, survivor values that are no dates) are warned
too, in the same words: the stages that read the rows (the repeated ids set
aside; the boilerplate count) tally what they are drawn from, and the core
makes the texts from the merged tallies on the driver.

:func:`clean_spark` gives the cuts :func:`ghirbal.clean` makes on the same rows:
the corpus-level lines are counted over the frame as above, and each row is
cleaned by the core's clean stage (``ghirbal._core.CleanStages``) with the model
built from the counts. With ``passages=True`` each readable row's passages are
counted over the frame too (each id once, the smallest id holding), and each row
is cleaned with the holders of the passages it carries.

:func:`normalize_spark` gives a column the texts :class:`ghirbal.Normalizer`
gives, each batch normalized by the core without the GIL, Arrow in and out.
"""

from __future__ import annotations

import json
import os
import warnings
from functools import lru_cache, partial
from importlib.util import find_spec
from typing import Any, Callable, Iterable, Iterator, Optional, Union

# mapInArrow needs pyarrow, and pyspark checks for pandas only when it is
# called: say so on import.
if find_spec("pyarrow") is None or find_spec("pandas") is None:
    raise ImportError("ghirbal.spark needs pyspark with its SQL extras: pip install 'pyspark[sql]'")

import pyarrow as pa  # type: ignore[import-untyped]
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T
from pyspark.sql.pandas.types import to_arrow_schema

from ghirbal import (
    DataError,
    PathLike,
    _clean_options,
    _core,
    _dedup_options,
    _overrides,
    _path,
    _refuse_taken,
)

__all__ = ["dedup_spark", "VERDICT_COLUMNS", "clean_spark", "CLEAN_COLUMNS", "normalize_spark"]

#: The columns :func:`dedup_spark` adds.
VERDICT_COLUMNS = ("cluster", "kept", "duplicate_of", "reason", "similarity", "lang", "rejected")

#: The columns :func:`clean_spark` adds.
CLEAN_COLUMNS = ("cuts", "emptied", "rejected")

#: Up to this many joined pairs, their components are found on the driver (the
#: pairs' ids only; a union-find in the core), beyond it in rounds of joins.
DRIVER_COMPONENTS_MAX_PAIRS = 2_000_000

_ORDER = "__ghirbal_order"
_MONO = "__ghirbal_mono"
#: Each row's repeated passages and their holders (``clean_spark(passages=True)``).
_HOLDERS = "__ghirbal_holders"
#: Each row's cleaned text beside the frame's own columns (``clean_spark``):
#: a name of the frame's (``cleaned``) would be ambiguous in the join.
_CLEANED_TEXT = "__ghirbal_cleaned"
#: Bits of ``monotonically_increasing_id`` that number rows within a partition.
_ROW_BITS = 33

Batches = Iterator[pa.RecordBatch]
Stage = Callable[[Iterable[pa.RecordBatch]], Batches]


#: What the workers' stages are built from: the resolved configuration (JSON)
#: and, under ``clean.boilerplate.in_dedup``, the corpus' boilerplate model.
Job = tuple[str, Optional[str]]


@lru_cache(maxsize=4)
def _stages(job: Job) -> _core.Stages:
    # One per job and Python worker: building it compiles the cleaner.
    return _core.Stages(*job)


@lru_cache(maxsize=4)
def _clean_stages(job: Job) -> _core.CleanStages:
    return _core.CleanStages(*job)


def _schema(*fields: tuple[str, T.DataType]) -> T.StructType:
    return T.StructType([T.StructField(n, t, True) for n, t in fields])


_BYTES = T.BinaryType()
_LONG = T.LongType()
_STR = T.StringType()
_LONGS = T.ArrayType(_LONG, False)

_ANALYZED = _schema(
    (_ORDER, _LONG),
    ("id", _STR),
    ("rejected", _STR),
    ("error", _STR),
    ("lang", _STR),
    ("exact", _BYTES),
    ("pkey", _BYTES),
    ("shingles", _LONG),
    ("bands", _LONGS),
    ("anchors", _LONGS),
    ("blob", _BYTES),
)
_REPEATED = _schema((_ORDER, _LONG), ("dup_reason", _STR), ("dup_error", _STR))
_PAIRS = _schema(("a", _STR), ("b", _STR))
_JOINED = _schema(
    ("a", _STR),
    ("b", _STR),
    ("link", _STR),
    ("sim", T.DoubleType()),
    ("jaccard", T.DoubleType()),
    ("tally", _STR),
)
_TALLY = _schema(("tally", _STR))
_WENT = _schema(
    ("champion", _STR), ("went_to", _STR), ("went_sim", T.DoubleType()), ("went_reason", _STR)
)
_SETTLED = _schema(
    (_ORDER, _LONG),
    ("id", _STR),
    ("exact", _BYTES),
    ("root", _STR),
    ("sim", T.DoubleType()),
    ("why", _STR),
)
_VERDICTS = _schema(
    (_ORDER, _LONG),
    ("cluster", _STR),
    ("kept", T.BooleanType()),
    ("duplicate_of", _STR),
    ("reason", _STR),
    ("similarity", T.DoubleType()),
    ("lang", _STR),
)


def _batch(schema: T.StructType, columns: list[list[Any]]) -> pa.RecordBatch:
    arrow = to_arrow_schema(schema)
    return pa.RecordBatch.from_arrays(
        [pa.array(c, type=f.type) for c, f in zip(columns, arrow)], schema=arrow
    )


def _per_batch(
    job: Job,
    schema: T.StructType,
    stage: Callable[[Any, pa.RecordBatch], list[list[Any]]],
    make: Callable[[Job], Any] = _stages,
) -> Stage:
    """A ``mapInArrow`` function: ``stage`` turns each batch into the columns of
    ``schema`` with the configuration's stages (``make``: the dedup stages, or
    the clean stage)."""

    def run(batches: Iterable[pa.RecordBatch]) -> Batches:
        st = make(job)
        for b in batches:
            yield _batch(schema, stage(st, b))

    return run


def _records(b: pa.RecordBatch) -> tuple[list[int], Any]:
    """The frame's rows as records and their positions: the batch itself, whose
    columns the core reads in place (pyarrow 14 and later), else dicts of its
    columns."""
    orders: list[int] = b.column(_ORDER).to_pylist()
    if hasattr(b, "__arrow_c_stream__"):
        return orders, b
    rows = b.to_pylist()
    for r in rows:
        del r[_ORDER]
    return orders, rows


def _analyze(st: _core.Stages, b: pa.RecordBatch) -> list[list[Any]]:
    orders, rows = _records(b)
    cols: list[list[Any]] = [orders, *([] for _ in range(10))]
    for doc_id, rej, lang, exact, pkey, shingles, bands, anchors, blob in st.analyze(orders, rows):
        reason, error = rej if rej is not None else (None, None)
        values = (doc_id or None, reason, error, lang, exact, pkey, shingles, bands, anchors, blob)
        for c, v in zip(cols[1:], values):
            c.append(v)
    return cols


def _repeated(st: _core.Stages, b: pa.RecordBatch) -> list[list[Any]]:
    d = b.to_pydict()
    msgs = [st.duplicate_id(i, o, f) for i, o, f in zip(d["id"], d[_ORDER], d["first"])]
    return [d[_ORDER], [m[0] for m in msgs], [m[1] for m in msgs]]


def _group_pairs(st: _core.Stages, b: pa.RecordBatch, anchors: bool) -> list[list[Any]]:
    """Pairs from rows (ids, shingles), one per LSH bucket or anchor group."""
    d = b.to_pydict()
    pairs = st.pairs(list(zip(d["ids"], d["shingles"])), anchors)
    return [[p[0] for p in pairs], [p[1] for p in pairs]]


def _component_link(st: _core.Stages, b: pa.RecordBatch) -> list[list[Any]]:
    d = b.to_pydict()
    links = st.component_link(list(zip(d["bm"], d["bs"])))
    return [d["champion"], d["went_to"], [x[0] for x in links], [x[1] for x in links]]


def _check(st: _core.Stages, b: pa.RecordBatch) -> list[list[Any]]:
    d = b.to_pydict()
    joined, tally = st.check(list(zip(d["ba"], d["bb"])))
    cols = [list(c) for c in zip(*joined)] if joined else [[] for _ in range(5)]
    # One more row, with the audit's tally of the batch's checks.
    return [c + [None] for c in cols] + [[None] * len(joined) + [tally]]


def _tally_clusters(st: _core.Stages, b: pa.RecordBatch) -> list[list[Any]]:
    d = b.to_pydict()
    return [[st.tally_clusters(list(zip(d["cluster"], d["size"], d["weakest"])))]]


_LINE = _schema(("line", _LONG), ("article", _LONG))
_LINES = _schema(
    ("group", _STR), ("article", _LONG), ("lines", T.ArrayType(_LINE, False)), ("tally", _STR)
)


def _lines(st: Any, b: pa.RecordBatch) -> list[list[Any]]:
    orders, rows = _records(b)
    found, tally = st.boilerplate_lines(orders, rows)
    out = [x for x in found if x is not None]
    lines = [[{"line": h, "article": a} for h, a in x[2]] for x in out]
    # One more row, with the notes' tally of the batch's groups.
    cols = [[x[0] for x in out], [x[1] for x in out], lines]
    return [c + [None] for c in cols] + [[None] * len(out) + [tally]]


_NEED = _schema(("group", _STR), ("docs", _LONG), ("need", _LONG))


def _need(st: Any, b: pa.RecordBatch) -> list[list[Any]]:
    d = b.to_pydict()
    return [d["group"], d["docs"], [st.boilerplate_need(n) for n in d["docs"]]]


def _boilerplate(
    cfg_json: str, numbered: DataFrame, make: Callable[[Job], Any] = _stages
) -> tuple[str, str]:
    """The corpus' boilerplate model, counted as the job counts it: per group,
    in how many distinct articles among the readable records each line occurs
    (their lines and article keys as ``make``'s stages take them), and the
    notes' tally of the records' groups. Only the groups with boilerplate
    lines, and those lines, reach the driver."""
    job: Job = (cfg_json, None)
    lines = numbered.mapInArrow(_per_batch(job, _LINES, _lines, make), _LINES).persist()
    try:
        groups = _boilerplate_groups(job, lines, make)
    finally:
        lines.unpersist()
    model: str = make(job).boilerplate_model(
        [(r["group"], r["docs"], r["distinct"], r["lines"]) for r in groups if r["tally"] is None]
    )
    tally = _core.Stages.merge_notes([r["tally"] for r in groups if r["tally"] is not None])
    return model, tally


def _boilerplate_groups(job: Job, lines: DataFrame, make: Callable[[Job], Any]) -> list[Any]:
    """The groups with boilerplate lines among the rows of ``lines`` (each
    record's group, article and lines): their articles, their distinct lines,
    and those in enough of the articles; beside them, in the same job, the
    rows of ``lines`` with a notes' tally (``tally`` set, the rest ``None``)."""
    tallies = lines.filter(F.col("tally").isNotNull()).select(
        F.lit(None).cast("string").alias("group"),
        F.lit(None).cast("long").alias("docs"),
        F.lit(None).cast("long").alias("distinct"),
        F.lit(None).cast(_LONGS).alias("lines"),
        "tally",
    )
    lines = lines.filter(F.col("tally").isNull())
    need = (
        lines.select("group", "article")
        .distinct()
        .groupBy("group")
        .agg(F.count(F.lit(1)).alias("docs"))
        .mapInArrow(_per_batch(job, _NEED, _need, make), _NEED)
    )
    # Each line once per article (a line's article is its own, see
    # ``corpus_core::clean::boilerplate::article_keys``).
    counted = (
        lines.select("group", F.explode("lines").alias("l"))
        .select("group", F.col("l.line").alias("line"), F.col("l.article").alias("article"))
        .distinct()
        .groupBy("group", "line")
        .count()
    )
    groups = (
        counted.join(need, "group")
        .groupBy("group")
        .agg(
            F.first("docs").alias("docs"),
            F.count(F.lit(1)).alias("distinct"),
            F.collect_list(F.when(F.col("count") >= F.col("need"), F.col("line"))).alias("lines"),
        )
        .filter(F.size("lines") > 0)
        .withColumn("tally", F.lit(None).cast("string"))
    )
    return groups.unionByName(tallies).collect()


def _merge(a: str, b: str) -> str:
    return _core.Stages.merge_tallies([a, b])


def _merge_notes(a: str, b: str) -> str:
    return _core.Stages.merge_notes([a, b])


def _merged(tallies: DataFrame, merge: Callable[[str, str], str] = _merge_notes) -> str:
    """The one-column frame of tallies (the audit's with ``_merge``, else the
    notes') merged into one, in a tree of merges on the executors: a large
    corpus has many."""
    empty = _core.Stages.merge_tallies([]) if merge is _merge else _core.Stages.merge_notes([])
    merged: str = tallies.rdd.map(lambda r: r[0]).treeAggregate(empty, merge, merge)
    return merged


def _write_audit(
    job: Job,
    path: str,
    checked: DataFrame,
    verdicts: DataFrame,
    numbered: DataFrame,
    columns: list[str],
) -> None:
    """``audit.json`` at ``path`` (on the driver): the tallies of every check and
    every cluster, merged by the core in a tree on the executors, then the
    sampled clusters' members."""
    clusters = verdicts.groupBy("cluster").agg(
        F.count(F.lit(1)).alias("size"), F.min("similarity").alias("weakest")
    )
    tallies = [
        _merged(checked.filter(F.col("tally").isNotNull()).select("tally"), _merge),
        _merged(clusters.mapInArrow(_per_batch(job, _TALLY, _tally_clusters), _TALLY), _merge),
    ]
    sampled = _core.Stages.audit_sample(tallies)
    rows = (
        verdicts.filter(F.col("cluster").isin(sampled))
        .select(_ORDER, "cluster", "kept", "reason", "similarity")
        .join(numbered, _ORDER)
        .collect()
    )
    _stages(job).audit(
        path,
        tallies,
        [r[_ORDER] for r in rows],
        [{c: r[c] for c in columns} for r in rows],
        [(r["cluster"], r["kept"], r["reason"], r["similarity"]) for r in rows],
    )


def _settle(st: _core.Stages, b: pa.RecordBatch) -> list[list[Any]]:
    d = b.to_pydict()
    went = [
        None if to is None else (sim, why)
        for to, sim, why in zip(d["went_to"], d["went_sim"], d["went_reason"])
    ]
    champ = [i == c for i, c in zip(d["id"], d["champion"])]
    out = st.settle(list(zip(champ, went)))
    # Root 0: the document, 1: its champion, 2: where the champion went.
    roots = [
        (i, c, to)[r] for (r, _, _), i, c, to in zip(out, d["id"], d["champion"], d["went_to"])
    ]
    return [d[_ORDER], d["id"], d["exact"], roots, [o[1] for o in out], [o[2] for o in out]]


def _outcome(st: _core.Stages, b: pa.RecordBatch) -> list[list[Any]]:
    d = b.to_pydict()
    out = st.outcome(
        list(
            zip(
                [i == r for i, r in zip(d["id"], d["root"])],
                d["size"],
                [e == r for e, r in zip(d["exact"], d["root_exact"])],
                d["sim"],
                d["why"],
            )
        )
    )
    kept = [o[0] for o in out]
    return [
        d[_ORDER],
        d["cluster"],
        kept,
        [None if k else r for k, r in zip(kept, d["root"])],
        [o[1] for o in out],
        [o[2] for o in out],
        d["lang"],
    ]


def _by_key(key: str, batches: Iterable[pa.RecordBatch]) -> Iterator[dict[str, list[Any]]]:
    """Columns of rows sorted by ``key``, in runs that never split a key's rows
    (which may span Arrow batches)."""
    held: Optional[dict[str, list[Any]]] = None
    for b in batches:
        d = b.to_pydict()
        if held is not None:
            d = {c: held[c] + v for c, v in d.items()}
        keys = d[key]
        if not keys:
            continue
        # Hold back the last key's rows: the next batch may have more.
        cut = len(keys)
        while cut > 0 and keys[cut - 1] == keys[-1]:
            cut -= 1
        held = {c: v[cut:] for c, v in d.items()}
        if cut:
            yield {c: v[:cut] for c, v in d.items()}
    if held is not None and held[key]:
        yield held


def _assign(job: Job) -> Stage:
    """Star assignment of each component, from rows sorted by ``comp``: kind 0
    carries a representative's policy key, kind 1 a joined pair."""

    def run(batches: Iterable[pa.RecordBatch]) -> Batches:
        st = _stages(job)
        for d in _by_key("comp", batches):
            out: list[tuple[str, str, Optional[float], Optional[str]]] = []
            rows = list(
                zip(
                    d["comp"],
                    d["kind"],
                    d["a"],
                    d["pkey"],
                    d["b"],
                    d["link"],
                    d["sim"],
                    d["jaccard"],
                )
            )
            start = 0
            while start < len(rows):
                end = start
                while end < len(rows) and rows[end][0] == rows[start][0]:
                    end += 1
                group = rows[start:end]
                keys = [(r[2], r[3]) for r in group if r[1] == 0]
                pairs = [(r[2], r[4], r[5], r[6], r[7]) for r in group if r[1] == 1]
                out += st.assign(keys, pairs)
                start = end
            yield _batch(_WENT, [list(c) for c in zip(*out)] if out else [[] for _ in range(4)])

    return run


def _components(pairs: DataFrame) -> DataFrame:
    """Connected components of the pairs ``(a, b)``: ``(id, comp)``, ``comp`` the
    smallest id of the component. Each round a label spreads one pair further
    and then jumps to its own label's label, so chains take a few rounds."""
    both = pairs.union(pairs.select(F.col("b").alias("a"), F.col("a").alias("b")))
    labels = both.groupBy("a").agg(F.least(F.min("b"), F.first("a")).alias("comp"))
    labels = labels.toDF("id", "comp").localCheckpoint()
    while True:
        spread = (
            both.join(labels.toDF("a", "from"), "a")
            .groupBy("b")
            .agg(F.min("from").alias("near"))
            .toDF("id", "near")
        )
        near = labels.join(spread, "id", "left").select(
            "id", F.least("comp", F.coalesce("near", "comp")).alias("comp")
        )
        # Every label is the id of a member of the same component.
        new = (
            near.join(near.toDF("comp", "jump"), "comp", "left")
            .select("id", F.least("comp", F.coalesce("jump", "comp")).alias("comp"))
            .localCheckpoint()
        )
        changed = (
            new.join(labels.toDF("id", "old"), "id").filter(F.col("comp") != F.col("old")).count()
        )
        labels = new
        if changed == 0:
            return labels


def _sorted_out(
    job: Job,
    cfg: dict[str, Any],
    raw: DataFrame,
    width: Optional[int],
    make: Callable[[Job], Any] = _stages,
) -> tuple[DataFrame, str]:
    """``raw`` (rows with ``id``, and ``rejected`` and ``error`` for a bad
    record) with every record of a repeated id but the first in the frame's
    order rejected too, cached with ``width`` partitions (:func:`_width`), and
    the notes' tally of its readable rows (``make``'s ``tally_notes``).
    Under ``on_error="fail"``, raises the first bad record's error."""
    # Cached, and filled before the repeated-id steps read it three times:
    # concurrent stages would each compute it.
    raw = raw.persist()
    try:
        out, tally = _repeats_rejected(job, raw, width, make)
    finally:
        raw.unpersist()
    if cfg["on_error"] == "fail":
        bad = out.filter(F.col("rejected").isNotNull())
        first_bad = bad.orderBy(_ORDER).select("error").first()
        if first_bad is not None:
            out.unpersist()
            raise DataError(first_bad["error"])
    return out, tally


_NOTE_ROW = _schema((_ORDER, _LONG), ("id", _STR), ("pkey", _BYTES))


def _tally_notes(st: Any, b: pa.RecordBatch) -> list[list[Any]]:
    d = b.to_pydict()
    return [[st.tally_notes(list(zip(d[_ORDER], d["id"], d["pkey"])))]]


def _repeats_rejected(
    job: Job, raw: DataFrame, width: Optional[int], make: Callable[[Job], Any]
) -> tuple[DataFrame, str]:
    """:func:`_sorted_out` of the cached ``raw``, cached and filled."""
    raw.count()
    read = raw.filter(F.col("rejected").isNull())
    firsts = read.groupBy("id").agg(F.min(_ORDER).alias("first"))
    repeats = read.join(firsts, "id").filter(F.col(_ORDER) != F.col("first"))
    dups = repeats.select("id", _ORDER, "first").mapInArrow(
        _per_batch(job, _REPEATED, _repeated), _REPEATED
    )
    out = (
        raw.join(dups, _ORDER, "left")
        .withColumn("rejected", F.coalesce("rejected", "dup_reason"))
        .withColumn("error", F.coalesce("error", "dup_error"))
        .drop("dup_reason", "dup_error")
    )
    out = _cache(out, width)
    # The readable rows (each id once) tallied for the notes: the job that
    # fills the cache, in place of a count.
    pkey = F.col("pkey") if "pkey" in raw.columns else F.lit(None).cast("binary")
    readable = out.filter(F.col("rejected").isNull()).select(_ORDER, "id", pkey.alias("pkey"))
    try:
        tally = _merged(readable.mapInArrow(_per_batch(job, _TALLY, _tally_notes, make), _TALLY))
    except BaseException:
        out.unpersist()
        raise
    return out, tally


def _width(df: DataFrame) -> Optional[int]:
    """How many partitions a cached frame derived from ``df`` keeps: as many as
    ``df`` has (or as the cluster has cores, if more), never more than the
    shuffles give. ``None`` when Spark cannot say (Spark Connect)."""
    try:
        spark = df.sparkSession
        shuffle = int(spark.conf.get("spark.sql.shuffle.partitions") or 200)
        cores = spark.sparkContext.defaultParallelism
        return max(1, min(shuffle, max(df.rdd.getNumPartitions(), cores)))
    except Exception:  # noqa: BLE001 (no RDDs or context in Spark Connect)
        return None


def _cache(frame: DataFrame, width: Optional[int]) -> DataFrame:
    """``frame``, cached with ``width`` partitions (see :func:`_width`). Spark
    runs a cached plan with its shuffles' partitions as they are (adaptive
    execution does not coalesce them), so every later stage had 200 tasks, and
    a 20-row frame took 17 s to deduplicate."""
    return (frame.coalesce(width) if width else frame).persist()


def _check_columns(df: DataFrame, stages: Any) -> None:
    """Raises here, on the driver, the :class:`ghirbal.DataError` each worker
    would raise for a column the job reads that holds no record field (a
    struct, a list): the stages read an empty batch of the frame's schema."""
    empty = pa.RecordBatch.from_pylist([], schema=to_arrow_schema(df.schema))
    stages.boilerplate_lines([], empty)


def _numbered(df: DataFrame) -> DataFrame:
    """``df`` with each row's position in it (``docs[N]`` in messages), cached so
    that every stage sees the same numbers."""
    mono = df.withColumn(_MONO, F.monotonically_increasing_id()).persist()
    try:
        return _numbered_from(df, mono)
    finally:
        mono.unpersist()


def _numbered_from(df: DataFrame, mono: DataFrame) -> DataFrame:
    """:func:`_numbered` from ``df`` with its cached ``_MONO`` ids."""
    part = F.col(_MONO).bitwiseAND(-(1 << _ROW_BITS))
    counts = sorted(
        (r["p"], r["n"])
        for r in mono.groupBy(part.alias("p")).agg(F.count(F.lit(1)).alias("n")).collect()
    )
    offsets: list[Any] = []
    total = 0
    for p, n in counts:
        offsets += [F.lit(p).cast("long"), F.lit(total).cast("long")]
        total += n
    start = F.create_map(*offsets)[part] if offsets else F.lit(0)
    order = (start + F.col(_MONO).bitwiseAND((1 << _ROW_BITS) - 1)).alias(_ORDER)
    numbered = mono.select(*df.columns, order).persist()
    try:
        numbered.count()
    except BaseException:
        numbered.unpersist()
        raise
    return numbered


def dedup_spark(
    df: DataFrame,
    *,
    config: Optional[PathLike] = None,
    audit: Optional[PathLike] = None,
    **options: Any,
) -> DataFrame:
    """Finds exact and near-duplicate documents among the rows of ``df``.

    Each row is read like a JSON Lines record (``id_field`` and ``text_field``,
    default ``id`` and ``text``; other columns serve ``survivor="earliest:date"``
    and the like). ``config`` and ``options`` are those of :func:`ghirbal.dedup`.

    Runs the job and returns the rows of ``df`` (cached; in no particular
    order, as any join) with the columns of :data:`VERDICT_COLUMNS` added: ``cluster`` (smallest member id),
    ``kept``, ``duplicate_of``, ``reason``, ``similarity``, ``lang``, and
    ``rejected`` (why a bad record was rejected, under ``on_error="skip"``;
    else ``None``). Under the default ``on_error="fail"`` the first bad record
    raises :class:`ghirbal.DataError`, which names it by its row number in
    ``df`` (``docs[N]``).

    Warns (:class:`UserWarning`) what :func:`ghirbal.dedup` warns on the same
    rows: a survivor, id or group field no record has, survivor values that
    are neither dates nor numbers.

    With ``audit``, also writes ``audit.json`` there, on the driver: the one
    ``ghirbal dedup`` writes for the same rows (the checked pairs around the
    thresholds, the cluster sizes, and a sample of clusters with each member's
    similarity to its survivor).
    """
    _refuse_taken(df.columns, (*VERDICT_COLUMNS, _ORDER, _MONO))
    cfg_json = _core.resolve_config(_path(config), _overrides(_dedup_options(options)))
    audit_path = _path(audit)
    if audit_path is not None and not os.path.isdir(os.path.dirname(audit_path) or "."):
        # Said now rather than once the job has run.
        raise FileNotFoundError(f"audit: no folder {os.path.dirname(audit_path)!r}")
    # Configuration errors here, not in a worker.
    stages = _stages((cfg_json, None))
    _check_columns(df, stages)
    held: list[DataFrame] = []
    try:
        out, tallies = _dedup(df, cfg_json, stages.wants_boilerplate, audit_path, held.append)
    finally:
        for cached in held:
            cached.unpersist()
    _warn(stages.notes(tallies))
    return out


def _warn(notes: list[str]) -> None:
    """A :class:`UserWarning` per note, as :func:`ghirbal.dedup` and
    :func:`ghirbal.clean` give them, pointing at the caller's line."""
    for note in notes:
        warnings.warn(note, UserWarning, stacklevel=3)


def _dedup(
    df: DataFrame,
    cfg_json: str,
    wants_boilerplate: bool,
    audit_path: Optional[str],
    hold: Callable[[DataFrame], None],
) -> tuple[DataFrame, list[str]]:
    """The job of :func:`dedup_spark`: its result, cached and computed, and the
    notes' tallies of its records (and of their groups). Each frame cached on
    the way is given to ``hold`` as soon as it is, so that the caller drops it
    however the job ends (a worker's error, Ctrl-C)."""
    cfg = json.loads(cfg_json)
    numbered = _numbered(df)
    hold(numbered)
    width = _width(numbered)
    model, tallies = None, []
    if wants_boilerplate:
        model, groups = _boilerplate(cfg_json, numbered)
        tallies.append(groups)
    job: Job = (cfg_json, model)
    raw = numbered.mapInArrow(_per_batch(job, _ANALYZED, _analyze), _ANALYZED)
    analyzed, records = _sorted_out(job, cfg, raw, width)
    hold(analyzed)
    tallies.append(records)

    good = analyzed.filter(F.col("rejected").isNull())
    units = good.groupBy("exact").agg(F.min_by("id", "pkey").alias("champion"))
    good = _cache(good.join(units, "exact"), width)
    hold(good)
    good.count()
    reps = good.filter(F.col("id") == F.col("champion"))

    # Candidates: pairs in an LSH bucket, and pairs in SHARED_ANCHORS anchor groups.
    # Each group is one row (a group of one has no pairs).
    def pairs(column: str, anchors: bool) -> DataFrame:
        groups = (
            reps.select(F.explode(column).alias("key"), F.struct("id", "shingles").alias("m"))
            .groupBy("key")
            .agg(F.collect_list("m").alias("m"))
            .filter(F.size("m") > 1)
            .select(F.col("m.id").alias("ids"), F.col("m.shingles").alias("shingles"))
        )
        stage = partial(_group_pairs, anchors=anchors)
        return groups.mapInArrow(_per_batch(job, _PAIRS, stage), _PAIRS)

    anchored = (
        pairs("anchors", True)
        .groupBy("a", "b")
        .count()
        .filter(F.col("count") >= _core.Stages.SHARED_ANCHORS)
        .select("a", "b")
    )
    candidates = pairs("bands", False).union(anchored).distinct()
    blobs = reps.select("id", "blob")
    checked = _cache(
        candidates.join(blobs.toDF("a", "ba"), "a")
        .join(blobs.toDF("b", "bb"), "b")
        .select("ba", "bb")
        .mapInArrow(_per_batch(job, _JOINED, _check), _JOINED),
        width,
    )
    hold(checked)
    joined = checked.filter(F.col("tally").isNull()).drop("tally")

    # Star assignment, per connected component of the joined pairs: the star
    # never reaches past a pair, so a component is enough.
    spark = df.sparkSession
    ab = joined.select("a", "b")
    # One pass: a pair more than the limit says the driver is not the place.
    few = ab.limit(DRIVER_COMPONENTS_MAX_PAIRS + 1).collect()
    if len(few) <= DRIVER_COMPONENTS_MAX_PAIRS:
        found = _core.Stages.components([(r["a"], r["b"]) for r in few])
        comp = spark.createDataFrame(found, "id string, comp string")
    else:
        comp = _components(ab)
    keys = reps.join(comp, "id").select(
        "comp",
        F.lit(0).alias("kind"),
        F.col("id").alias("a"),
        F.col("pkey"),
        *(
            F.lit(None).cast(t).alias(c)
            for c, t in (
                ("b", "string"),
                ("link", "string"),
                ("sim", "double"),
                ("jaccard", "double"),
            )
        ),
    )
    edges = joined.join(comp.toDF("a", "comp"), "a").select(
        "comp",
        F.lit(1).alias("kind"),
        "a",
        F.lit(None).cast("binary").alias("pkey"),
        "b",
        "link",
        "sim",
        "jaccard",
    )
    went_df = (
        keys.unionByName(edges)
        .repartition("comp")
        .sortWithinPartitions("comp")
        .mapInArrow(_assign(job), _WENT)
    )
    if cfg["dedup"]["mode"] == "components":
        # Each member's similarity to its component's survivor.
        went_df = (
            went_df.select("champion", "went_to")
            .join(blobs.toDF("champion", "bm"), "champion")
            .join(blobs.toDF("went_to", "bs"), "went_to")
            .mapInArrow(_per_batch(job, _WENT, _component_link), _WENT)
        )

    settled = (
        good.join(went_df, "champion", "left")
        .select(_ORDER, "id", "exact", "champion", "went_to", "went_sim", "went_reason")
        .mapInArrow(_per_batch(job, _SETTLED, _settle), _SETTLED)
    )
    clusters = settled.groupBy("root").agg(
        F.count(F.lit(1)).alias("size"), F.min("id").alias("cluster")
    )
    root_keys = good.select(F.col("id").alias("root"), F.col("exact").alias("root_exact"))
    verdicts = (
        settled.join(clusters, "root")
        .join(root_keys, "root")
        .join(good.select(_ORDER, "lang"), _ORDER)
        .mapInArrow(_per_batch(job, _VERDICTS, _outcome), _VERDICTS)
        .withColumn("rejected", F.lit(None).cast("string"))
    )
    if audit_path is not None:
        # Read again for the audit's cluster tally and sample.
        verdicts = _cache(verdicts, width)
        hold(verdicts)
    rejects = analyzed.filter(F.col("rejected").isNotNull()).select(
        _ORDER,
        F.lit(None).cast("string").alias("cluster"),
        F.lit(False).alias("kept"),
        F.lit(None).cast("string").alias("duplicate_of"),
        F.lit("rejected").alias("reason"),
        F.lit(None).cast("double").alias("similarity"),
        F.lit(None).cast("string").alias("lang"),
        "rejected",
    )
    out = numbered.join(verdicts.unionByName(rejects), _ORDER)
    out = _cache(out.select(*df.columns, *VERDICT_COLUMNS), width)
    try:
        # The result is computed here, so that the stages' caches can go.
        out.count()
        if audit_path is not None:
            _write_audit(job, audit_path, checked, verdicts, numbered, df.columns)
    except BaseException:
        out.unpersist()
        raise
    return out, tallies


_CUT = _schema(
    ("rule", _STR), ("start", _LONG), ("end", _LONG), ("text", _STR), ("duplicate_of", _STR)
)
_CLEANED = _schema(
    (_ORDER, _LONG),
    ("id", _STR),
    ("rejected", _STR),
    ("error", _STR),
    ("cleaned", _STR),
    ("cuts", T.ArrayType(_CUT, False)),
    ("emptied", T.BooleanType()),
)


def _clean(st: _core.CleanStages, b: pa.RecordBatch) -> list[list[Any]]:
    holders = None
    names = b.schema.names
    if _HOLDERS in names:
        # Each row's (hash, holder) pairs go to the core beside the record.
        held = b.column(names.index(_HOLDERS)).to_pylist()
        holders = [None if hs is None else [(h["h"], h["holder"]) for h in hs] for hs in held]
        keep = [i for i, n in enumerate(names) if n != _HOLDERS]
        b = pa.RecordBatch.from_arrays([b.column(i) for i in keep], names=[names[i] for i in keep])
    orders, rows = _records(b)
    cols: list[list[Any]] = [orders, *([] for _ in range(6))]
    for doc_id, text, cuts, emptied, rej in st.clean(orders, rows, holders):
        reason, error = rej if rej is not None else (None, None)
        cut_rows = [
            {"rule": r, "start": a, "end": z, "text": t, "duplicate_of": d}
            for r, a, z, t, d in cuts
        ]
        for c, v in zip(cols[1:], (doc_id or None, reason, error, text, cut_rows, emptied)):
            c.append(v)
    return cols


_PASSAGES = _schema((_ORDER, _LONG), ("id", _STR), ("hashes", _LONGS))
_HELD = T.ArrayType(_schema(("h", _LONG), ("holder", _STR)), False)


def _passages(st: _core.CleanStages, b: pa.RecordBatch) -> list[list[Any]]:
    orders, rows = _records(b)
    found = [(o, *p) for o, p in zip(orders, st.passages(orders, rows)) if p is not None]
    return [[f[0] for f in found], [f[1] for f in found], [f[2] for f in found]]


def _passage_holders(job: Job, numbered: DataFrame, hold: Callable[[DataFrame], None]) -> DataFrame:
    """Per row (``_ORDER``), the repeated passages it carries with their holders
    (``_HOLDERS``), counted as the job counts them: over the readable records,
    each id once (its first row; the others are rejected as repeats), a passage
    repeated when it has two copies or more, held by the smallest id. The
    cached frame it is computed from goes to ``hold`` (see :func:`_dedup`)."""
    found = numbered.mapInArrow(
        _per_batch(job, _PASSAGES, _passages, _clean_stages), _PASSAGES
    ).persist()
    hold(found)
    # Filled now: the two branches below would each compute it otherwise.
    found.count()
    firsts = found.groupBy("id").agg(F.min(_ORDER).alias(_ORDER))
    copies = found.join(firsts, ["id", _ORDER]).select(_ORDER, "id", F.explode("hashes").alias("h"))
    holders = (
        copies.groupBy("h")
        .agg(F.min("id").alias("holder"), F.count(F.lit(1)).alias("n"))
        .filter(F.col("n") > 1)
        .select("h", "holder")
    )
    per_row = (
        copies.select(_ORDER, "h")
        .distinct()
        .join(holders, "h")
        .groupBy(_ORDER)
        .agg(F.collect_list(F.struct("h", "holder")).cast(_HELD).alias(_HOLDERS))
    )
    return per_row


def clean_spark(
    df: DataFrame,
    *,
    config: Optional[PathLike] = None,
    **options: Any,
) -> DataFrame:
    """Cuts page chrome and boilerplate out of the rows of ``df``: the cuts of
    :func:`ghirbal.clean` on the same rows, however the frame is partitioned.
    With ``passages=True`` the repeated passages are counted over the frame as
    the job counts them, and each cut of one names its holder in the cut's
    ``duplicate_of``.

    Rows are read like JSON Lines records (``id_field`` and ``text_field``,
    default ``id`` and ``text``); the options are those of :func:`ghirbal.clean`.
    The corpus-level boilerplate lines are counted over the frame first, as the
    job counts them (per group, in how many distinct articles of the readable
    records a line occurs), and each row is cleaned with the model the core
    builds from the counts.

    Runs the job and returns the rows of ``df`` (cached; in no particular order,
    as any join) with the text column holding the cleaned text (``None`` for a
    rejected row) and the columns of :data:`CLEAN_COLUMNS` added: ``cuts`` (the
    removed spans in text order: ``rule``, ``start``, ``end`` in code points of
    the original text, the removed ``text``, and for a repeated passage the
    ``duplicate_of`` id that keeps it), ``emptied`` (cleaning left no
    text) and ``rejected`` (why a bad record, or a repeated id after its first
    row, was rejected under ``on_error="skip"``; else ``None``). Under the
    default ``on_error="fail"`` the first bad record raises
    :class:`ghirbal.DataError`, which names its row (``docs[N]``). Warns
    (:class:`UserWarning`) what :func:`ghirbal.clean` warns on the same rows: an
    id or group field no record has.
    """
    _refuse_taken(df.columns, (*CLEAN_COLUMNS, _ORDER, _MONO, _HOLDERS, _CLEANED_TEXT))
    opts = _clean_options(options)
    cfg_json = _core.resolve_config(_path(config), _overrides(opts))
    # Configuration errors here, not in a worker.
    stages = _clean_stages((cfg_json, None))
    _check_columns(df, stages)
    held: list[DataFrame] = []
    try:
        out, tallies = _clean_job(df, cfg_json, stages, held.append)
    finally:
        for cached in held:
            cached.unpersist()
    _warn(stages.notes(tallies))
    return out


def _clean_job(
    df: DataFrame, cfg_json: str, stages: _core.CleanStages, hold: Callable[[DataFrame], None]
) -> tuple[DataFrame, list[str]]:
    """The job of :func:`clean_spark`: its result, cached and computed, and the
    notes' tallies (each frame cached on the way goes to ``hold``, as in
    :func:`_dedup`)."""
    cfg = json.loads(cfg_json)
    numbered = _numbered(df)
    hold(numbered)
    width = _width(numbered)
    wants_boilerplate = stages.wants_boilerplate
    model, tallies = None, []
    if wants_boilerplate:
        model, groups = _boilerplate(cfg_json, numbered, _clean_stages)
        tallies.append(groups)
    job: Job = (cfg_json, model)
    rows = numbered
    if stages.wants_passages:
        rows = numbered.join(_passage_holders(job, numbered, hold), _ORDER, "left")
    raw = rows.mapInArrow(_per_batch(job, _CLEANED, _clean, _clean_stages), _CLEANED)
    cleaned, records = _sorted_out(job, cfg, raw, width, _clean_stages)
    hold(cleaned)
    tallies.append(records)
    ok = F.col("rejected").isNull()
    text = cfg["input"]["text_field"]
    results = cleaned.select(
        _ORDER,
        F.when(ok, F.col("cleaned")).alias(_CLEANED_TEXT),
        F.when(ok, F.col("cuts")).otherwise(F.array().cast(T.ArrayType(_CUT, False))).alias("cuts"),
        F.when(ok, F.col("emptied")).otherwise(F.lit(False)).alias("emptied"),
        "rejected",
    )
    columns = [F.col(_CLEANED_TEXT).alias(c) if c == text else F.col(c) for c in df.columns]
    out = _cache(numbered.join(results, _ORDER).select(*columns, *CLEAN_COLUMNS), width)
    try:
        out.count()
    except BaseException:
        out.unpersist()
        raise
    return out, tallies


def _normalized(
    normalizer: _core.Normalizer, column: str, output: str, batches: Iterable[pa.RecordBatch]
) -> Batches:
    for b in batches:
        texts = b.column(column)
        done = normalizer.normalize_arrow(texts)
        if pa.types.is_large_string(texts.type):
            done = done.cast(texts.type)
        names = list(b.schema.names)
        arrays = list(b.columns)
        if output in names:
            arrays[names.index(output)] = done
        else:
            names.append(output)
            arrays.append(done)
        yield pa.RecordBatch.from_arrays(arrays, names=names)


def normalize_spark(
    df: DataFrame,
    column: str = "text",
    *,
    profile: str = "key",
    add: Union[str, Iterable[str]] = (),
    remove: Union[str, Iterable[str]] = (),
    output: Optional[str] = None,
) -> DataFrame:
    """The rows of ``df`` with the string column ``column`` normalized as
    :class:`ghirbal.Normalizer(profile, add, remove) <ghirbal.Normalizer>`
    normalizes each text (a null stays null), however the frame is partitioned.

    The result goes to ``column`` itself, or with ``output`` to a column of that
    name added at the end (it must not exist yet). The steps are checked on the
    driver (:class:`ghirbal.ConfigError`); each Arrow batch is normalized by the
    core on the executors, in place of the rows' Python strings. Lazy, as any
    ``mapInArrow``.
    """
    # One string is a step name (or a comma-separated list), not its letters.
    steps = [x if isinstance(x, str) else list(x) for x in (add, remove)]
    normalizer = _core.Normalizer(profile, *steps)
    field = next((f for f in df.schema.fields if f.name == column), None)
    if field is None:
        raise ValueError(f"df has no column {column!r}")
    if not isinstance(field.dataType, T.StringType):
        raise TypeError(f"column {column!r} is {field.dataType.simpleString()}, not a string")
    target = column if output is None else output
    if target != column and target in df.columns:
        raise ValueError(f"df already has a column {target!r}")
    out = T.StructField(target, T.StringType(), nullable=field.nullable)
    fields = [out if f.name == target else f for f in df.schema.fields]
    if target != column:
        fields.append(out)
    run = partial(_normalized, normalizer, column, target)
    return df.mapInArrow(run, T.StructType(fields))
