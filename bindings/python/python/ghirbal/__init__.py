"""ghirbal (غربال, "sieve"): Arabic-first cleaning, normalization and
deduplication of text corpora.

>>> import ghirbal
>>> ghirbal.normalize("أَهْلًا   وسهلاً")
'اهلا وسهلا'
>>> r = ghirbal.dedup(["نص أول", "نص أول", "نص ثان"], exact_only=True)
>>> r.kept
[True, False, True]
>>> c = ghirbal.clean(["نص الخبر الأول وهو طويل بما يكفي ليكون فقرة كاملة من فقرات المقال.\\n// انتهى //"])
>>> c.cuts[0][0].rule, c.texts[0].endswith("انتهى //")
('signoff', False)

Every function takes the job configuration as keyword arguments: a section
(``dedup={"threshold": 0.7}``), a top-level key (``threads=2``) or a field of
exactly one section (``threshold=0.7`` is ``dedup.threshold``). ``config=`` names
a TOML file (the same keys as the CLI's ``--config``) that the keyword arguments
override. Unknown keys raise :class:`ConfigError`.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass, field
from importlib.util import find_spec
from typing import (
    Any,
    Callable,
    Iterable,
    Mapping,
    NamedTuple,
    Optional,
    Protocol,
    Sequence,
    TypeVar,
    Union,
)

from ghirbal import _core
from ghirbal._core import (
    STEPS,
    ConfigError,
    CorpusError,
    DataError,
    Normalizer,
    __version__,
    normalize,
)

__all__ = [
    "STEPS",
    "ArrowTable",
    "ConfigError",
    "CleanResult",
    "CorpusError",
    "Cut",
    "DataError",
    "DedupResult",
    "Normalizer",
    "__version__",
    "clean",
    "clean_files",
    "dedup",
    "dedup_files",
    "normalize",
    "resolve_config",
]

PathLike = Union[str, "os.PathLike[str]"]
Doc = Union[str, Mapping[str, Any]]
#: ``progress=`` of every job: ``True`` for a line on ``sys.stderr``, or a
#: callable given ``(step, records)`` as the job goes: ``"count"`` (a pass that
#: counts what repeats), ``"read"`` (records read, or analyzed in memory),
#: ``"cluster"``, ``"write"``.
Progress = Union[bool, Callable[[str, int], object], None]


class _Line:
    """``progress=True``: one line on ``sys.stderr``, written over as the job
    goes (records and their rate, then the step), ended when it ends."""

    _SAID = {
        "count": "records counted for repeats",
        "read": "records read",
        "cluster": "records read, clustering",
        "write": "records read, writing the outputs",
    }

    #: Seconds between two updates of the line within a step.
    EVERY = 0.2

    def __init__(self) -> None:
        self.start = time.monotonic()
        self.pass_start = self.start
        self.step = ""
        self.records = 0
        self.shown_at = 0.0
        self.shown = False
        self.width = 0  # of the line last drawn, which a shorter one must cover

    def __call__(self, step: str, records: int) -> None:
        now = time.monotonic()
        if records < self.records or (self.step == "count" and step == "read"):
            self.pass_start = now  # another pass over the input, from its start
        self.records = records
        throttled = step == self.step and now - self.shown_at < self.EVERY
        self.step = step
        if not throttled:
            self._draw(now)

    #: Seconds into a pass before its rate is shown: its first report comes a
    #: batch in, and a rate over a few milliseconds would be absurd.
    SETTLE = 0.5

    def _draw(self, now: float) -> None:
        self.shown_at = now
        elapsed = now - self.pass_start
        said = self._SAID.get(self.step, self.step)
        rate_said = ""
        if self.step in ("count", "read") and elapsed >= self.SETTLE:
            rate_said = f" ({self.records / elapsed:,.0f}/s)"
        line = f"ghirbal: {now - self.start:.0f} s, {self.records:,} {said}{rate_said}"
        # Written over the last line: spaces cover what a longer one left.
        sys.stderr.write(f"\r{line}{' ' * max(self.width - len(line), 0)}")
        self.width = len(line)
        sys.stderr.flush()
        self.shown = True

    def end(self) -> None:
        """Draws the last step (it may have come within ``EVERY`` of the one
        before) and ends the line."""
        if self.shown:
            self._draw(time.monotonic())
            sys.stderr.write("\n")
            sys.stderr.flush()


_T = TypeVar("_T")


def _run(job: Callable[..., _T], progress: Progress, *args: Any) -> _T:
    """Calls a job of ``_core`` with ``args`` and ``progress`` (see
    :data:`Progress`). The job stops on Ctrl-C (KeyboardInterrupt) or an
    exception of the callable, which is raised."""
    line = _Line() if progress is True else None
    report = line if line is not None else (progress or None)
    try:
        return job(*args, report)
    finally:
        if line is not None:
            line.end()


def _run_files(job: Callable[..., str], progress: Progress, *args: Any) -> dict[str, Any]:
    """:func:`_run` for a file job: its summary."""
    result: dict[str, Any] = json.loads(_run(job, progress, *args))
    return result


class ArrowTable(Protocol):
    """A table that exports Arrow: a pyarrow ``Table`` or ``RecordBatch``, a
    pandas (2.2 and later, with pyarrow) or polars ``DataFrame``."""

    def __arrow_c_stream__(self, requested_schema: object = None) -> object: ...


Docs = Union[Iterable[Doc], ArrowTable]


def _check_docs(docs: Any, frame_fn: str) -> None:
    if hasattr(docs, "__arrow_c_stream__") or hasattr(docs, "__arrow_c_array__"):
        return
    if isinstance(docs, Mapping):
        # Iterating one would give its keys: ids taken for texts, or "id" and "text".
        raise TypeError(
            "docs must be an iterable of documents (str or dict), not a dict: pass one "
            "record as [record], and {id: text} as "
            '[{"id": k, "text": v} for k, v in docs.items()]'
        )
    if isinstance(docs, (str, bytes)) or hasattr(docs, "columns"):
        # Iterating these would give characters or column names, not documents.
        raise TypeError(
            "docs must be an iterable of documents (str or dict) or a table that exports "
            f"Arrow; for a DataFrame use ghirbal.{frame_fn} (pandas 2.2 or later, with pyarrow)"
        )


def _refuse_taken(columns: Iterable[str], added: Iterable[str]) -> None:
    """Raises ``ValueError`` when a frame's ``columns`` already hold a name among
    the columns a frame function adds: the user's data would be overwritten
    without a word."""
    taken = set(columns)
    clash = [c for c in added if c in taken]
    if clash:
        raise ValueError(f"df already has the columns {clash}; rename them first")


def _overrides(options: Mapping[str, Any]) -> str:
    # None means "not given": the file's or the default value stays.
    given = {k: v for k, v in options.items() if v is not None}
    try:
        return json.dumps(given, allow_nan=False)
    except (TypeError, ValueError):
        for k, v in given.items():
            try:
                json.dumps(v, allow_nan=False)
            except (TypeError, ValueError) as e:
                # Named here: the core would only see text that is not JSON.
                raise ConfigError(
                    f"invalid configuration: {k}={v!r} is no value a configuration holds "
                    f"(strings, finite numbers, booleans, lists and dicts of them): {e}"
                ) from None
        raise


def _dedup_options(options: Mapping[str, Any]) -> Mapping[str, Any]:
    """``options`` of a dedup job, checked for the switches of :func:`clean`,
    which the configuration would take for whole sections of ``clean``
    ("expected struct BoilerplateConfig")."""
    hints = {
        "boilerplate": "a dedup job cuts corpus-level boilerplate first with "
        'clean={"boilerplate": {"in_dedup": True}} (ghirbal dedup --boilerplate)',
        "passages": "repeated passages are cut by clean, not by dedup",
    }
    for name, hint in hints.items():
        value = options.get(name)
        if value is not None and not isinstance(value, Mapping):
            raise ConfigError(
                f"invalid configuration: {name}={value!r} is a keyword of ghirbal.clean; {hint}"
            )
    return options


def _input_paths(inputs: Union[PathLike, Sequence[PathLike]], fn: str) -> list[str]:
    """The input paths of the file job ``fn``: one path, or a list of them."""
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    paths = [os.fspath(p) for p in inputs]
    if not paths:
        raise ConfigError(
            f"invalid configuration: {fn} got no inputs (a file or a folder, or a list of them)"
        )
    return paths


def _path(p: Optional[PathLike]) -> Optional[str]:
    return None if p is None else os.fspath(p)


def resolve_config(config: Optional[PathLike] = None, **options: Any) -> dict[str, Any]:
    """The fully resolved configuration (as in ``summary.json``) for ``config``
    (a TOML file) and keyword ``options``."""
    cfg: dict[str, Any] = json.loads(_core.resolve_config(_path(config), _overrides(options)))
    return cfg


def _by_count(counts: Mapping[str, int]) -> str:
    """``a 3, b 1``: the counts, largest first (then by name)."""
    return ", ".join(f"{k} {n}" for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


@dataclass(frozen=True, repr=False)
class DedupResult:
    """The outcome of :func:`dedup`: one entry per input document, in input order.

    ``clusters[i]`` is the canonical cluster id (the smallest member id, by
    bytes: ``"10"`` before ``"9"``) and
    ``duplicate_of[i]`` the id of the kept document that ``docs[i]`` duplicates.
    ``reason[i]`` is ``unique``, ``survivor``, ``exact``, ``near_duplicate``,
    ``containment`` or ``rejected`` (bad record under ``on_error="skip"``; then
    ``clusters[i]`` and ``similarity[i]`` are ``None``, ``rejects`` says why, and
    ``ids[i]`` is the id the record carries, ``""`` when none could be read).
    ``lang[i]`` is the detected language (ISO 639-3, as in ``clusters.jsonl``;
    ``None`` for a rejected record). ``summary`` and ``audit`` are what the job
    writes to ``summary.json`` and ``audit.json`` for the same records (the
    audit: checked pairs by similarity, cluster sizes, and sampled clusters with
    each member's estimated and exact similarity to its survivor; see
    docs/dedup.md).
    """

    ids: list[str]
    clusters: list[Optional[str]]
    kept: list[bool]
    duplicate_of: list[Optional[str]]
    reason: list[str]
    similarity: list[Optional[float]]
    lang: list[Optional[str]]
    rejects: list[tuple[int, str]]
    summary: dict[str, Any] = field(repr=False)
    audit: dict[str, Any] = field(repr=False)

    def __len__(self) -> int:
        return len(self.ids)

    def __repr__(self) -> str:
        # The summary's counts, not the lists: a notebook shows the result of a
        # 200,000-document run at a glance instead of printing every id.
        n = self.summary["counts"]
        by_reason = n["removed_by_reason"]
        return (
            f"DedupResult({n['input']} documents: {n['kept']} kept, {n['removed']} removed"
            f"{f' ({_by_count(by_reason)})' if by_reason else ''}, {n['rejected']} rejected; "
            f"{n['duplicate_clusters']} clusters with duplicates)"
        )

    @property
    def kept_ids(self) -> list[str]:
        """Ids of the kept documents, in input order."""
        return [i for i, k in zip(self.ids, self.kept) if k]

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per document, with the verdict fields of ``clusters.jsonl``
        (``id``, ``cluster``, ``kept``, ``duplicate_of``, ``reason``,
        ``similarity`` and ``lang``; a run in memory has no ``source`` line and
        its ``similarity`` is not rounded to the file's four decimals)."""
        return [
            {
                "id": i,
                "cluster": c,
                "kept": k,
                "duplicate_of": d,
                "reason": r,
                "similarity": s,
                "lang": g,
            }
            for i, c, k, d, r, s, g in zip(
                self.ids,
                self.clusters,
                self.kept,
                self.duplicate_of,
                self.reason,
                self.similarity,
                self.lang,
            )
        ]


def dedup(
    docs: Docs,
    *,
    config: Optional[PathLike] = None,
    threshold: Optional[float] = None,
    shingle: Optional[str] = None,
    ngram: Optional[int] = None,
    num_perm: Optional[int] = None,
    exact_only: Optional[bool] = None,
    containment: Optional[bool] = None,
    survivor: Optional[str] = None,
    threads: Optional[int] = None,
    on_error: Optional[str] = None,
    id_field: Optional[str] = None,
    text_field: Optional[str] = None,
    progress: Progress = None,
    **options: Any,
) -> DedupResult:
    """Finds exact and near-duplicate documents among ``docs``.

    ``docs`` holds strings (each read as the record of that text alone: its id
    is its position, as a string, and a blank one is rejected as ``empty text``,
    as in a file) or dicts with the ``id_field`` and ``text_field`` keys
    (default ``id`` and ``text``). A dict whose id is missing, ``None`` or NaN
    is named ``docs[i]``, its place, as a file's record without an id is named
    ``file:line``: its position alone could be another record's id. Of a dict, the fields the
    configuration reads are taken as a JSON Lines record holds them: the id, the
    text, and the fields ``survivor="earliest:date"`` and a boilerplate
    ``group_by`` name; numbers of any type (numpy's, ``Decimal``) are numbers,
    an integer id keeps every digit, a NaN or pandas' ``NA`` and ``NaT`` is a
    missing value, and the other fields are not looked at (a pandas
    ``to_dict("records")`` list reads as its frame does).
    ``docs`` may also be a table that exports Arrow (:class:`ArrowTable`: a
    pyarrow table or batch, a pandas or polars frame): row ``i`` is read as the
    dict of its values, from the columns the configuration reads, in place (a
    null is a missing value); or a column of texts that does (a pyarrow array, a
    pandas or polars series), read as a list of strings. A lone string or a dict
    raises ``TypeError`` (iterating it would give its letters or keys), and so
    does a frame that does not export Arrow (pandas before 2.2, or without
    pyarrow: iterating it would give its column names; see :func:`dedup_frame`). Bad records raise
    :class:`DataError` naming ``docs[i]``, or with ``on_error="skip"`` become
    ``rejected`` entries. The work runs without the GIL; the result does not
    depend on the order of ``docs``.

    ``shingle="chars"`` compares character n-grams (``ngram`` characters,
    default 6) instead of word n-grams (default 3 words).

    ``survivor="earliest:FIELD"`` (``"highest:FIELD"``) keeps, in each cluster,
    the document whose field holds the smallest (largest) value: dates compare
    as instants in any of
    the forms news feeds write (ISO, RFC 2822, ``29/05/2016``, ``الجمعة 9 ديسمبر
    2016``, ``12 آذار 2018``, Arabic-Indic digits), then numbers, then other
    strings. ``summary["survivor_values"]`` counts how the field was read, and a
    :class:`UserWarning` says when no record has it or some values are neither
    dates nor numbers.

    ``progress`` as for :func:`dedup_files` (the documents analyzed so far, then
    ``"cluster"``); Ctrl-C stops the work and raises KeyboardInterrupt.
    """
    _check_docs(docs, "dedup_frame")
    opts = dict(
        options,
        threshold=threshold,
        shingle=shingle,
        ngram=ngram,
        num_perm=num_perm,
        exact_only=exact_only,
        containment=containment,
        survivor=survivor,
        threads=threads,
        on_error=on_error,
        id_field=id_field,
        text_field=text_field,
    )
    ids, clusters, kept, dup, reason, sim, lang, rejects, summary, audit = _run(
        _core.dedup, progress, docs, _path(config), _overrides(_dedup_options(opts))
    )
    return DedupResult(
        ids, clusters, kept, dup, reason, sim, lang, rejects, json.loads(summary), json.loads(audit)
    )


def dedup_files(
    inputs: Union[PathLike, Sequence[PathLike]],
    output: PathLike,
    *,
    config: Optional[PathLike] = None,
    overwrite: Optional[bool] = None,
    progress: Progress = None,
    **options: Any,
) -> dict[str, Any]:
    """Runs ``ghirbal dedup INPUTS --output OUTPUT``: ``.txt``, JSON Lines
    (``.gz``/``.zst``/``.bz2`` too) and Parquet files, or folders of them, in; the
    output folder of SCHEMA.md out (written atomically). The kept records go to
    ``kept.jsonl``, or ``kept.parquet`` when every input is Parquet;
    ``format="parquet"`` writes a table for pandas or pyarrow from any inputs (a
    column per field), ``format="jsonl"`` JSON Lines. Returns ``summary.json`` as
    a dict.

    ``progress=True`` shows the records read and the step on ``sys.stderr``; a
    callable gets ``(step, records)`` every few thousand records and at each step
    (``"count"``, ``"read"``, ``"cluster"``, ``"write"``). Ctrl-C (or an exception
    the callable raises) stops the job within a few thousand records and is
    raised here; no output is written, and the same call reads again only the
    input files the stopped one had not read to their end (their checkpoints
    are kept)."""
    return _run_files(
        _core.dedup_files,
        progress,
        _input_paths(inputs, "dedup_files"),
        os.fspath(output),
        _path(config),
        _overrides(_dedup_options(dict(options, overwrite=overwrite))),
    )


class Cut(NamedTuple):
    """One span cut by :func:`clean`: ``text`` is ``original[start:end]``
    (offsets in code points, i.e. Python string indices). For a repeated
    passage (rule ``"repeated_passage"``), ``duplicate_of`` is the id of the
    document that keeps it."""

    rule: str
    start: int
    end: int
    text: str
    duplicate_of: Optional[str] = None


@dataclass(frozen=True, repr=False)
class CleanResult:
    """The outcome of :func:`clean`: one entry per input document, in input order.

    ``texts[i]`` is the document without its cuts (``None`` for a record rejected
    under ``on_error="skip"``; ``rejects`` says why, and ``ids[i]`` is its id as
    in :class:`DedupResult`), ``cuts[i]`` the removed
    spans in text order, ``emptied[i]`` true when nothing was left (the file job
    lists those in ``emptied.jsonl``). ``summary`` is ``summary.json``.
    """

    ids: list[str]
    texts: list[Optional[str]]
    cuts: list[list[Cut]]
    emptied: list[bool]
    rejects: list[tuple[int, str]]
    summary: dict[str, Any] = field(repr=False)

    def __len__(self) -> int:
        return len(self.ids)

    def __repr__(self) -> str:
        # The summary's counts, not the texts (see DedupResult.__repr__).
        n = self.summary["counts"]
        rules = n["cuts_by_rule"]
        return (
            f"CleanResult({n['input']} documents: {sum(rules.values())} cuts in "
            f"{n['changed']} documents{f' ({_by_count(rules)})' if rules else ''}, "
            f"{n['emptied']} emptied, {n['rejected']} rejected)"
        )

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per cut, with the fields of ``removed.jsonl``."""
        return [
            {"id": i, "rule": c.rule, "start": c.start, "end": c.end, "text": c.text}
            | ({} if c.duplicate_of is None else {"duplicate_of": c.duplicate_of})
            for i, cs in zip(self.ids, self.cuts)
            for c in cs
        ]


#: The keywords of :func:`clean` (and of the functions whose options are its
#: own) that set a key of the ``clean`` section: the key's path in it.
_CLEAN_SHORTCUTS: dict[str, tuple[str, ...]] = {
    "disable": ("disable",),
    "output_profile": ("output_profile",),
    "boilerplate": ("boilerplate", "enabled"),
    "group_by": ("boilerplate", "group_by"),
    "min_docs": ("boilerplate", "min_docs"),
    "min_fraction": ("boilerplate", "min_fraction"),
    "passages": ("passages", "enabled"),
    "passage_min_chars": ("passages", "min_chars"),
}


def _clean_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """``options`` with the shortcut keywords given (not ``None``) moved into the
    ``clean`` section, on top of a ``clean={...}`` given as well."""
    out = {k: v for k, v in options.items() if k not in _CLEAN_SHORTCUTS}
    clean = dict(out.get("clean") or {})
    for name, path in _CLEAN_SHORTCUTS.items():
        value = options.get(name)
        if value is None:
            continue
        if name == "disable":
            # One name, or several separated by commas, as on the command line.
            value = [n.strip() for n in value.split(",")] if isinstance(value, str) else list(value)
        if len(path) == 1:
            clean[path[0]] = value
        else:
            clean[path[0]] = dict(clean.get(path[0]) or {}, **{path[1]: value})
    if clean:
        out["clean"] = clean
    return out


def clean(
    docs: Docs,
    *,
    config: Optional[PathLike] = None,
    disable: Union[str, Sequence[str], None] = None,
    boilerplate: Optional[bool] = None,
    group_by: Optional[str] = None,
    min_docs: Optional[int] = None,
    min_fraction: Optional[float] = None,
    output_profile: Optional[str] = None,
    passages: Optional[bool] = None,
    passage_min_chars: Optional[int] = None,
    threads: Optional[int] = None,
    on_error: Optional[str] = None,
    id_field: Optional[str] = None,
    text_field: Optional[str] = None,
    progress: Progress = None,
    **options: Any,
) -> CleanResult:
    """Cuts page chrome and boilerplate out of ``docs``, like ``ghirbal clean``.

    ``docs`` is read as in :func:`dedup` (strings, dicts read like JSON Lines
    records, or Arrow data). ``disable`` names rules to switch off (a list, or
    one string, comma-separated as on the command line; ``"boilerplate"``
    switches off the corpus-level stage, also ``boilerplate=False``); ``group_by``
    (``"corpus"``, ``"field:outlet"``, ``"host:url"``), ``min_docs`` and
    ``min_fraction`` tune the corpus-level stage, whose line counts are taken
    over ``docs``. ``output_profile="key"`` normalizes the cleaned texts.
    ``passages=True`` keeps each paragraph repeated across ``docs`` (a line of at
    least ``passage_min_chars`` characters, 100 by default) in the document with
    the smallest id and cuts its other copies (rule ``"repeated_passage"``, with
    :attr:`Cut.duplicate_of`). The work runs without the GIL; ``progress`` as for
    :func:`dedup`, and Ctrl-C stops it.
    """
    _check_docs(docs, "clean_frame")
    opts = _clean_options(
        dict(
            options,
            threads=threads,
            on_error=on_error,
            id_field=id_field,
            text_field=text_field,
            disable=disable,
            boilerplate=boilerplate,
            group_by=group_by,
            min_docs=min_docs,
            min_fraction=min_fraction,
            output_profile=output_profile,
            passages=passages,
            passage_min_chars=passage_min_chars,
        )
    )
    ids, texts, cuts, emptied, rejects, summary = _run(
        _core.clean, progress, docs, _path(config), _overrides(opts)
    )
    return CleanResult(
        ids,
        texts,
        [[Cut(*c) for c in cs] for cs in cuts],
        emptied,
        rejects,
        json.loads(summary),
    )


def clean_files(
    inputs: Union[PathLike, Sequence[PathLike]],
    output: PathLike,
    *,
    config: Optional[PathLike] = None,
    overwrite: Optional[bool] = None,
    progress: Progress = None,
    **options: Any,
) -> dict[str, Any]:
    """Runs ``ghirbal clean INPUTS --output OUTPUT``: writes ``kept.jsonl``
    (``kept.parquet`` when every input is Parquet; ``format="jsonl"`` or
    ``"parquet"`` decides, and other inputs' records are converted, a column per
    field), ``removed.jsonl``, ``emptied.jsonl``, ``rejects.jsonl``
    and ``summary.json`` (atomically). Options as in :func:`clean`; ``progress``
    as for :func:`dedup_files`, and Ctrl-C stops it the same way. Returns
    ``summary.json`` as a dict."""
    paths = _input_paths(inputs, "clean_files")
    opts = _clean_options(dict(options, overwrite=overwrite))
    return _run_files(
        _core.clean_files, progress, paths, os.fspath(output), _path(config), _overrides(opts)
    )


#: The columns :func:`dedup_frame` adds.
_FRAME_VERDICTS = ("cluster", "kept", "duplicate_of", "reason", "similarity", "lang", "rejected")

#: The columns :func:`clean_frame` adds (it also replaces the text column).
_FRAME_CLEAN = ("cuts", "emptied", "rejected")

if find_spec("pandas") is not None:

    def _frame_options(
        fn: str,
        df: Any,
        id_col: Optional[str],
        text_col: str,
        options: Mapping[str, Any],
        added: Sequence[str],
    ) -> dict[str, Any]:
        """Checks the arguments of the frame function ``fn`` (which adds the
        columns ``added``) and returns ``options`` with the record fields of the
        frame's columns."""
        import pandas as pd  # type: ignore[import-untyped]

        if not isinstance(df, pd.DataFrame):
            # A polars frame has no copy() nor column assignment; dedup() reads it.
            raise TypeError(
                f"{fn} takes a pandas DataFrame, not {type(df).__module__}.{type(df).__name__}; "
                f"ghirbal.{fn.split('_')[0]}(df) reads any table that exports Arrow "
                "(a polars frame too), in row order"
            )
        given = dict(options.get("input") or {}, **options)
        for key, col in (("id_field", "id_col"), ("text_field", "text_col")):
            if given.get(key) is not None:
                raise TypeError(f"{fn} names the frame's columns with {col}=, not {key}=")
        _refuse_taken(df.columns, added)
        for c in (id_col, text_col):
            if c is not None and c not in df.columns:
                raise KeyError(f"the frame has no column {c!r}")
        fields = (
            {"text_field": text_col}
            if id_col is None
            else {"id_field": id_col, "text_field": text_col}
        )
        return dict(options, **fields)

    def _frame_records(
        df: Any, id_col: Optional[str], config: Optional[PathLike], resolved: Mapping[str, Any]
    ) -> Any:
        """The records of ``df`` for a job of the configuration ``config`` and
        ``resolved`` (the options as the job resolves them): the columns it
        reads (the id, the text, the fields of a survivor policy and of a
        boilerplate ``group_by``) as an Arrow table, or as ``df.to_dict("records")``
        gives them when pyarrow cannot convert a column (an object column of
        mixed types). Without an id column the ids are the row numbers; float
        ids that are all whole numbers (integers pandas turned into floats for a
        missing value) are read as integers."""
        import pandas as pd
        import pyarrow as pa  # type: ignore[import-untyped]

        read = _core.record_fields(_path(config), _overrides(resolved))
        id_field, wanted = read[0], read[1:] if id_col is None else read
        rows = df[[c for c in dict.fromkeys(wanted) if c in df.columns]]
        if id_col is None:
            rows = rows.assign(**{id_field: range(len(rows))})
        elif pd.api.types.is_float_dtype(rows[id_col]):
            ids = rows[id_col].dropna()
            if ((ids % 1 == 0) & (ids.abs() < 2**63)).all():
                rows = rows.assign(**{id_col: rows[id_col].astype("Int64")})
        try:
            return pa.Table.from_pandas(rows, preserve_index=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            return rows.to_dict("records")

    def _as_ids(df: Any, id_col: Optional[str], read: list[str], ids: list[Optional[str]]) -> Any:
        """``ids`` (the ids of the result, as ``read``: the id each row was read
        with) as values of the frame's id column, each the value of the row with
        that id, in the column's type (integers nullable), so that the result
        joins back on it; an id no row has (the row numbers of
        ``id_col=None``, the ``docs[i]`` of a row without an id) stays as it is,
        or is missing in a column that cannot hold it."""
        import pandas as pd

        if id_col is None:
            return pd.array(ids, dtype=object)
        column = df[id_col]
        value_of: dict[str, Any] = {}
        for text, value in zip(read, column):
            value_of.setdefault(text, value)
        values = [None if i is None else value_of.get(i) for i in ids]
        dtype = column.dtype
        if dtype.kind in "iu":
            sign = "Int" if dtype.kind == "i" else "UInt"
            dtype = f"{sign}{dtype.itemsize * 8}"
        elif dtype.kind == "b":
            dtype = "boolean"
        return pd.array(values, dtype=dtype)

    def _rejected(df: Any, rejects: list[tuple[int, str]]) -> Any:
        """Why each row was rejected (``None`` for the others), as a column of
        ``df``: the ``rejected`` column the Spark jobs add."""
        why: list[Optional[str]] = [None] * len(df)
        for i, reason in rejects:
            why[i] = reason
        return _column(df, why, "object")

    def _column(df: Any, values: Any, dtype: Any) -> Any:
        """``values`` as a column of ``df`` of ``dtype``, an empty frame's too
        (``str``: pandas' default for strings, ``object`` before pandas 3)."""
        import pandas as pd

        return pd.Series(values, index=df.index, dtype=dtype)

    def dedup_frame(
        df: Any,
        id_col: Optional[str] = "id",
        text_col: str = "text",
        *,
        config: Optional[PathLike] = None,
        progress: Progress = None,
        **options: Any,
    ) -> Any:
        """:func:`dedup` on a pandas DataFrame: returns a copy of ``df`` with the
        columns ``cluster``, ``kept``, ``duplicate_of``, ``reason``,
        ``similarity``, ``lang`` and ``rejected`` (why a bad row was rejected
        under ``on_error="skip"``, else ``None``, as in
        :func:`ghirbal.spark.dedup_spark`) added. ``config`` and ``options`` are those
        of :func:`dedup`; the columns are named by ``id_col`` and ``text_col``
        (``id_field=`` and ``text_field=`` raise ``TypeError``).

        Each row is a record of the columns the configuration reads: ``id_col``,
        ``text_col``, and the field named by ``survivor="earliest:FIELD"`` or
        ``"highest:FIELD"`` and by a boilerplate ``group_by``, handed over through
        Arrow (pandas 2.2 or later, with pyarrow), or read as
        ``df.to_dict("records")`` gives them where pyarrow cannot convert a column
        (an object column of mixed types). A missing value there (``None``,
        ``NaN``, ``NA``, ``NaT``) is a missing field; a row without an id is
        ``docs[i]`` (``i`` its row number), as in :func:`dedup`. ``cluster`` and
        ``duplicate_of`` hold values of the id column, in its type (integers
        nullable: they join back on it; a float column of whole numbers is read as
        integers, ``2.0`` as ``"2"``), missing where they name a row without an
        id. ``id_col=None``: the frame has no ids, and its rows are numbered from
        0 (``cluster`` and ``duplicate_of`` then name row numbers, as strings).

        A frame that already has one of the columns added raises ``ValueError``
        (as :func:`ghirbal.spark.dedup_spark` does): rename it first."""
        options = _frame_options("dedup_frame", df, id_col, text_col, options, _FRAME_VERDICTS)
        rows = _frame_records(df, id_col, config, options)
        r = dedup(rows, config=config, progress=progress, **options)
        out = df.copy()
        columns = (
            _as_ids(df, id_col, r.ids, r.clusters),
            _column(df, r.kept, "bool"),
            _as_ids(df, id_col, r.ids, r.duplicate_of),
            _column(df, r.reason, str),
            _column(df, r.similarity, "float64"),
            _column(df, r.lang, str),
            _rejected(df, r.rejects),
        )
        for name, column in zip(_FRAME_VERDICTS, columns):
            out[name] = column
        return out

    def clean_frame(
        df: Any,
        id_col: Optional[str] = "id",
        text_col: str = "text",
        *,
        config: Optional[PathLike] = None,
        progress: Progress = None,
        **options: Any,
    ) -> Any:
        """:func:`clean` on a pandas DataFrame: returns a copy of ``df`` whose
        ``text_col`` holds the cleaned texts (``None`` for a row rejected under
        ``on_error="skip"``), with the columns ``cuts`` (the :class:`Cut` list of
        each row), ``emptied`` and ``rejected`` (why a bad row was rejected, else
        ``None``) added. ``config`` and ``options`` are those of
        :func:`clean`; the rows are read as in :func:`dedup_frame` (a
        ``group_by`` field goes with each row). A frame that already has a
        ``cuts``, ``emptied`` or ``rejected`` column raises ``ValueError``: rename
        it first."""
        options = _frame_options("clean_frame", df, id_col, text_col, options, _FRAME_CLEAN)
        # The configuration clean() resolves, for the group_by field.
        rows = _frame_records(df, id_col, config, _clean_options(options))
        r = clean(rows, config=config, progress=progress, **options)
        out = df.copy()
        out[text_col] = _column(df, r.texts, str)
        columns = (
            _column(df, r.cuts, "object"),
            _column(df, r.emptied, "bool"),
            _rejected(df, r.rejects),
        )
        for name, column in zip(_FRAME_CLEAN, columns):
            out[name] = column
        return out

    __all__ += ["dedup_frame", "clean_frame"]


def __dir__() -> list[str]:
    # Tab completion in a notebook lists the API (and the Spark submodule),
    # not this module's imports and type aliases.
    return sorted({*__all__, "spark"})
