"""Deduplication of a Spark DataFrame, for corpora that outgrow one machine.

>>> from ghirbal.spark import dedup_spark          # doctest: +SKIP
>>> out = dedup_spark(df, threshold=0.8)           # df has "id" and "text" columns
>>> out.filter("kept").drop("cluster", "kept", "duplicate_of", "reason", "similarity", "lang", "rejected")

The verdicts are those :func:`ghirbal.dedup` gives on the same documents, however
the frame is partitioned or ordered (the first record of a repeated id aside):
every decision is made by the function the local engine uses
(``ghirbal._core.Stages``), and Spark only moves documents between the stages,
grouping them by the keys those functions give:

1. analysis, per partition: cleaning, key text, signature; the exact key, the
   survivor-policy key, LSH band keys, anchors and the member's bytes;
2. rejects: bad records, and every record of a repeated id but the first in
   input order;
3. exact units: each key text is represented by the policy's choice;
4. candidates: the representatives' LSH buckets and anchor groups;
5. verification of each candidate pair (exact shingle sets by default);
6. star assignment, on the driver, over the representatives in a verified pair
   only (what it holds grows with the duplicates, not with the corpus);
7. the verdicts, per document; a cluster is named by its smallest id.

Not available here: ``dedup.mode = "components"`` and
``clean.boilerplate.in_dedup`` (both need the whole corpus in one place), and
``audit.json``.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any, Callable, Iterable, Iterator, Optional

from pyspark.sql import DataFrame, Row
from pyspark.sql import functions as F
from pyspark.sql import types as T

from ghirbal import DataError, PathLike, _overrides, _path
from ghirbal import _core

__all__ = ["dedup_spark", "VERDICT_COLUMNS"]

#: The columns :func:`dedup_spark` adds.
VERDICT_COLUMNS = ("cluster", "kept", "duplicate_of", "reason", "similarity", "lang", "rejected")

_ORDER = "__ghirbal_order"
#: Rows handed to one call of the core (a few MB of member bytes).
_BATCH = 2048


@lru_cache(maxsize=4)
def _stages(cfg_json: str) -> _core.Stages:
    # One per configuration and Python worker: building it compiles the cleaner.
    return _core.Stages(cfg_json)


def _batches(rows: Iterable[Any], size: int = _BATCH) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for r in rows:
        batch.append(r)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _grouped(rows: Iterable[Row], size: int = 16 * _BATCH) -> Iterator[list[Row]]:
    """Batches of rows sorted by ``key`` that never split a key's group."""
    batch: list[Row] = []
    for r in rows:
        if len(batch) >= size and batch[-1]["key"] != r["key"]:
            yield batch
            batch = []
        batch.append(r)
    if batch:
        yield batch


_ANALYZED = T.StructType(
    [
        T.StructField(_ORDER, T.LongType(), False),
        T.StructField("id", T.StringType(), True),
        T.StructField("rejected", T.StringType(), True),
        T.StructField("error", T.StringType(), True),
        T.StructField("lang", T.StringType(), True),
        T.StructField("exact", T.BinaryType(), True),
        T.StructField("pkey", T.BinaryType(), True),
        T.StructField("shingles", T.LongType(), True),
        T.StructField("bands", T.ArrayType(T.LongType(), False), True),
        T.StructField("anchors", T.ArrayType(T.LongType(), False), True),
        T.StructField("blob", T.BinaryType(), True),
    ]
)


def _analyze(cfg_json: str) -> Callable[[Iterable[tuple[Row, int]]], Iterator[tuple[Any, ...]]]:
    def run(part: Iterable[tuple[Row, int]]) -> Iterator[tuple[Any, ...]]:
        st = _stages(cfg_json)
        for batch in _batches(part):
            orders = [o for _, o in batch]
            docs = [r.asDict(recursive=True) for r, _ in batch]
            for order, (doc_id, rej, lang, exact, pkey, sh, bands, anchors, blob) in zip(
                orders, st.analyze(orders, docs)
            ):
                reason, error = rej if rej is not None else (None, None)
                yield (order, doc_id or None, reason, error, lang, exact, pkey, sh, bands, anchors, blob)

    return run


def _duplicate_ids(cfg_json: str) -> Callable[[Iterable[Row]], Iterator[tuple[Any, ...]]]:
    def run(part: Iterable[Row]) -> Iterator[tuple[Any, ...]]:
        st = _stages(cfg_json)
        for r in part:
            reason, error = st.duplicate_id(r["id"], r[_ORDER], r["first"])
            yield (r[_ORDER], reason, error)

    return run


def _pairs(cfg_json: str, anchors: bool) -> Callable[[Iterable[Row]], Iterator[tuple[str, str]]]:
    def run(part: Iterable[Row]) -> Iterator[tuple[str, str]]:
        st = _stages(cfg_json)
        for batch in _grouped(part):
            yield from st.pairs([(r["key"], r["id"], r["shingles"]) for r in batch], anchors)

    return run


def _check(cfg_json: str) -> Callable[[Iterable[Row]], Iterator[tuple[Any, ...]]]:
    def run(part: Iterable[Row]) -> Iterator[tuple[Any, ...]]:
        st = _stages(cfg_json)
        for batch in _batches(part):
            yield from st.check([(bytes(r["ba"]), bytes(r["bb"])) for r in batch])

    return run


def _settle(cfg_json: str) -> Callable[[Iterable[Row]], Iterator[tuple[Any, ...]]]:
    def run(part: Iterable[Row]) -> Iterator[tuple[Any, ...]]:
        st = _stages(cfg_json)
        for batch in _batches(part):
            rows = [
                (
                    r["id"] == r["champion"],
                    None if r["went_to"] is None else (r["went_sim"], r["went_reason"]),
                )
                for r in batch
            ]
            for r, (root, sim, reason) in zip(batch, st.settle(rows)):
                to = (r["id"], r["champion"], r["went_to"])[root]
                yield (r[_ORDER], r["id"], r["exact"], to, sim, reason)

    return run


def _outcome(cfg_json: str) -> Callable[[Iterable[Row]], Iterator[tuple[Any, ...]]]:
    def run(part: Iterable[Row]) -> Iterator[tuple[Any, ...]]:
        st = _stages(cfg_json)
        for batch in _batches(part):
            rows = [
                (r["id"] == r["root"], r["size"], r["exact"] == r["root_exact"], r["sim"], r["why"])
                for r in batch
            ]
            for r, (kept, reason, sim) in zip(batch, st.outcome(rows)):
                yield (
                    r[_ORDER],
                    r["cluster"],
                    kept,
                    None if kept else r["root"],
                    reason,
                    sim,
                    r["lang"],
                )

    return run


def dedup_spark(
    df: DataFrame,
    *,
    config: Optional[PathLike] = None,
    **options: Any,
) -> DataFrame:
    """Finds exact and near-duplicate documents among the rows of ``df``.

    Each row is read like a JSON Lines record (``id_field`` and ``text_field``,
    default ``id`` and ``text``; other columns serve ``survivor="earliest:date"``
    and the like). ``config`` and ``options`` are those of :func:`ghirbal.dedup`.

    Returns ``df`` in its order with the columns of :data:`VERDICT_COLUMNS`
    added: ``cluster`` (smallest member id), ``kept``, ``duplicate_of``,
    ``reason``, ``similarity``, ``lang``, and ``rejected`` (why a bad record was
    rejected, under ``on_error="skip"``; else ``None``). Under the default
    ``on_error="fail"`` the first bad record in input order raises
    :class:`ghirbal.DataError`.
    """
    clash = [c for c in (*VERDICT_COLUMNS, _ORDER) if c in df.columns]
    if clash:
        raise ValueError(f"df already has the columns {clash}; rename them first")
    cfg = json.loads(_core.resolve_config(_path(config), _overrides(options)))
    cfg_json = json.dumps(cfg)
    _stages(cfg_json)  # configuration errors here, not in a worker
    spark = df.sparkSession

    numbered = df.rdd.zipWithIndex()
    analyzed = spark.createDataFrame(
        numbered.mapPartitions(_analyze(cfg_json)), _ANALYZED
    ).persist()

    # Repeated ids: the first in input order stays.
    read = analyzed.filter(F.col("rejected").isNull())
    firsts = read.groupBy("id").agg(F.min(_ORDER).alias("first"))
    repeats = read.join(firsts, "id").filter(F.col(_ORDER) != F.col("first"))
    dup_schema = "order long, dup_reason string, dup_error string"
    dups = spark.createDataFrame(
        repeats.select("id", _ORDER, "first").rdd.mapPartitions(_duplicate_ids(cfg_json)),
        dup_schema,
    ).withColumnRenamed("order", _ORDER)
    analyzed = (
        analyzed.join(dups, _ORDER, "left")
        .withColumn("rejected", F.coalesce("rejected", "dup_reason"))
        .withColumn("error", F.coalesce("error", "dup_error"))
        .drop("dup_reason", "dup_error")
        .persist()
    )
    if cfg["on_error"] == "fail":
        first_bad = analyzed.filter(F.col("rejected").isNotNull()).orderBy(_ORDER).first()
        if first_bad is not None:
            analyzed.unpersist()
            raise DataError(first_bad["error"])

    good = analyzed.filter(F.col("rejected").isNull())
    units = good.groupBy("exact").agg(F.min_by("id", "pkey").alias("champion"))
    good = good.join(units, "exact").persist()
    reps = good.filter(F.col("id") == F.col("champion")).select(
        "id", "pkey", "shingles", "bands", "anchors", "blob"
    )

    # Candidates: LSH buckets, and pairs in SHARED_ANCHORS anchor groups.
    def pairs(column: str, anchors: bool) -> DataFrame:
        rows = (
            reps.select(F.explode(column).alias("key"), "id", "shingles")
            .repartition("key")
            .sortWithinPartitions("key", "id")
        )
        return spark.createDataFrame(
            rows.rdd.mapPartitions(_pairs(cfg_json, anchors)), "a string, b string"
        )

    anchored = (
        pairs("anchors", True)
        .groupBy("a", "b")
        .count()
        .filter(F.col("count") >= _core.Stages.SHARED_ANCHORS)
        .select("a", "b")
    )
    candidates = pairs("bands", False).union(anchored).distinct()

    blobs = reps.select("id", "blob")
    checked = (
        candidates.join(blobs.withColumnRenamed("id", "a").withColumnRenamed("blob", "ba"), "a")
        .join(blobs.withColumnRenamed("id", "b").withColumnRenamed("blob", "bb"), "b")
        .select("ba", "bb")
    )
    edges = checked.rdd.mapPartitions(_check(cfg_json)).collect()

    # Star assignment over the representatives in a joined pair.
    st = _stages(cfg_json)
    in_pairs = sorted({e[0] for e in edges} | {e[1] for e in edges})
    if in_pairs:
        ids = spark.createDataFrame([(i,) for i in in_pairs], "id string")
        keys = [(r["id"], bytes(r["pkey"])) for r in reps.join(ids, "id").select("id", "pkey").collect()]
        went = st.assign(keys, edges)
    else:
        went = []
    went_df = spark.createDataFrame(
        went, "champion string, went_to string, went_sim double, went_reason string"
    )

    settled = spark.createDataFrame(
        good.join(went_df, "champion", "left").rdd.mapPartitions(_settle(cfg_json)),
        f"{_ORDER} long, id string, exact binary, root string, sim double, why string",
    )
    clusters = settled.groupBy("root").agg(
        F.count(F.lit(1)).alias("size"), F.min("id").alias("cluster")
    )
    root_keys = good.select(F.col("id").alias("root"), F.col("exact").alias("root_exact"))
    langs = good.select(_ORDER, "lang")
    verdict_rows = (
        settled.join(clusters, "root").join(root_keys, "root").join(langs, _ORDER)
    ).rdd.mapPartitions(_outcome(cfg_json))
    verdicts = spark.createDataFrame(
        verdict_rows,
        f"{_ORDER} long, cluster string, kept boolean, duplicate_of string, reason string, "
        "similarity double, lang string",
    )
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
    outcomes = verdicts.withColumn("rejected", F.lit(None).cast("string")).unionByName(rejects)

    with_order = spark.createDataFrame(
        numbered.map(lambda x: (*x[0], x[1])),
        T.StructType([*df.schema.fields, T.StructField(_ORDER, T.LongType(), False)]),
    )
    out = with_order.join(outcomes, _ORDER, "left").orderBy(_ORDER).drop(_ORDER)
    return out.select(*df.columns, *VERDICT_COLUMNS)
