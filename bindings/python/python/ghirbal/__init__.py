"""ghirbal (غربال, "sieve"): Arabic-first cleaning, normalization and
deduplication of text corpora.

>>> import ghirbal
>>> ghirbal.normalize("أَهْلًا   وسهلاً")
'اهلا وسهلا'
>>> r = ghirbal.dedup(["نص أول", "نص أول", "نص ثان"], exact_only=True)
>>> r.kept
[True, False, True]

Every function takes the job configuration as keyword arguments: a section
(``dedup={"threshold": 0.7}``), a top-level key (``threads=2``) or a field of
exactly one section (``threshold=0.7`` is ``dedup.threshold``). ``config=`` names
a TOML file (the same keys as the CLI's ``--config``) that the keyword arguments
override. Unknown keys raise :class:`ConfigError`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from importlib.util import find_spec
from typing import Any, Iterable, Mapping, Optional, Sequence, Union

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
    "ConfigError",
    "CorpusError",
    "DataError",
    "DedupResult",
    "Normalizer",
    "__version__",
    "dedup",
    "dedup_files",
    "normalize",
    "resolve_config",
]

PathLike = Union[str, "os.PathLike[str]"]
Doc = Union[str, Mapping[str, Any]]


def _overrides(options: Mapping[str, Any]) -> str:
    # None means "not given": the file's or the default value stays.
    return json.dumps({k: v for k, v in options.items() if v is not None})


def _path(p: Optional[PathLike]) -> Optional[str]:
    return None if p is None else os.fspath(p)


def resolve_config(config: Optional[PathLike] = None, **options: Any) -> dict[str, Any]:
    """The fully resolved configuration (as in ``summary.json``) for ``config``
    (a TOML file) and keyword ``options``."""
    cfg: dict[str, Any] = json.loads(_core.resolve_config(_path(config), _overrides(options)))
    return cfg


@dataclass(frozen=True)
class DedupResult:
    """The outcome of :func:`dedup`: one entry per input document, in input order.

    ``clusters[i]`` is the canonical cluster id (the smallest member id) and
    ``duplicate_of[i]`` the id of the kept document that ``docs[i]`` duplicates.
    ``reason[i]`` is ``unique``, ``survivor``, ``exact``, ``near_duplicate``,
    ``containment`` or ``rejected`` (bad record under ``on_error="skip"``; then
    ``clusters[i]`` and ``similarity[i]`` are ``None`` and ``rejects`` says why).
    """

    ids: list[str]
    clusters: list[Optional[str]]
    kept: list[bool]
    duplicate_of: list[Optional[str]]
    reason: list[str]
    similarity: list[Optional[float]]
    rejects: list[tuple[int, str]]
    summary: dict[str, Any] = field(repr=False)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def kept_ids(self) -> list[str]:
        """Ids of the kept documents, in input order."""
        return [i for i, k in zip(self.ids, self.kept) if k]

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per document, with the fields of ``clusters.jsonl``."""
        return [
            {
                "id": i,
                "cluster": c,
                "kept": k,
                "duplicate_of": d,
                "reason": r,
                "similarity": s,
            }
            for i, c, k, d, r, s in zip(
                self.ids,
                self.clusters,
                self.kept,
                self.duplicate_of,
                self.reason,
                self.similarity,
            )
        ]


def dedup(
    docs: Iterable[Doc],
    *,
    config: Optional[PathLike] = None,
    threshold: Optional[float] = None,
    ngram: Optional[int] = None,
    num_perm: Optional[int] = None,
    exact_only: Optional[bool] = None,
    containment: Optional[bool] = None,
    survivor: Optional[str] = None,
    threads: Optional[int] = None,
    on_error: Optional[str] = None,
    id_field: Optional[str] = None,
    text_field: Optional[str] = None,
    **options: Any,
) -> DedupResult:
    """Finds exact and near-duplicate documents among ``docs``.

    ``docs`` holds strings (their id is their position, as a string) or dicts
    with the ``id_field`` and ``text_field`` keys (default ``id`` and ``text``;
    a dict without an id gets its position). A dict is read exactly like a
    JSON Lines record, so its other fields serve ``survivor="earliest:date"``.
    Bad records raise :class:`DataError` naming ``docs[i]``, or with
    ``on_error="skip"`` become ``rejected`` entries. The work runs without the
    GIL; the result does not depend on the order of ``docs``.
    """
    if isinstance(docs, (str, bytes)) or hasattr(docs, "columns"):
        # Iterating these would give characters or column names, not documents.
        raise TypeError(
            "docs must be an iterable of documents (str or dict); "
            "for a DataFrame use ghirbal.dedup_frame or df.to_dict('records')"
        )
    opts = dict(
        options,
        threshold=threshold,
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
    ids, clusters, kept, dup, reason, sim, rejects, summary = _core.dedup(
        docs, _path(config), _overrides(opts)
    )
    return DedupResult(ids, clusters, kept, dup, reason, sim, rejects, json.loads(summary))


def dedup_files(
    inputs: Union[PathLike, Sequence[PathLike]],
    output: PathLike,
    *,
    config: Optional[PathLike] = None,
    overwrite: Optional[bool] = None,
    **options: Any,
) -> dict[str, Any]:
    """Runs ``ghirbal dedup INPUTS --output OUTPUT``: folders of ``.txt`` files and
    JSON Lines files (``.gz``/``.zst``/``.bz2`` too) in, the output folder of
    SCHEMA.md out (written atomically). Returns ``summary.json`` as a dict."""
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    paths = [os.fspath(p) for p in inputs]
    summary = _core.dedup_files(
        paths,
        os.fspath(output),
        _path(config),
        _overrides(dict(options, overwrite=overwrite)),
    )
    result: dict[str, Any] = json.loads(summary)
    return result


if find_spec("pandas") is not None:

    def dedup_frame(df: Any, id_col: str = "id", text_col: str = "text", **options: Any) -> Any:
        """:func:`dedup` on a pandas DataFrame: returns a copy of ``df`` with the
        columns ``cluster``, ``kept``, ``duplicate_of``, ``reason`` and
        ``similarity`` added. ``options`` are those of :func:`dedup`."""
        docs = [{"id": i, "text": t} for i, t in zip(df[id_col].tolist(), df[text_col].tolist())]
        r = dedup(docs, **options)
        out = df.copy()
        out["cluster"] = r.clusters
        out["kept"] = r.kept
        out["duplicate_of"] = r.duplicate_of
        out["reason"] = r.reason
        out["similarity"] = r.similarity
        return out

    __all__ += ["dedup_frame"]
