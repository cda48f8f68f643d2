# Stubs of the compiled module (checked with `python -m mypy.stubtest ghirbal._core`).
from os import PathLike
from typing import Any, Callable, Optional, Sequence, Union, final, overload

__all__ = [
    "__version__",
    "STEPS",
    "CorpusError",
    "ConfigError",
    "DataError",
    "Normalizer",
    "normalize",
    "dedup",
    "dedup_files",
    "clean",
    "clean_files",
    "resolve_config",
    "record_fields",
    "Stages",
    "CleanStages",
    "_cli_main",
]

__version__: str
STEPS: list[str]

# What the boilerplate count takes of one record: (group, article, (line hash,
# its article) per distinct line).
_DocumentLines = tuple[str, int, list[tuple[int, int]]]

class CorpusError(Exception): ...
class ConfigError(CorpusError): ...
class DataError(CorpusError): ...

def normalize(
    text: str,
    profile: str = "key",
    add: Union[str, Sequence[str], None] = ...,
    remove: Union[str, Sequence[str], None] = ...,
) -> str: ...

@final
class Normalizer:
    def __new__(
        cls,
        profile: str = "key",
        add: Union[str, Sequence[str], None] = ...,
        remove: Union[str, Sequence[str], None] = ...,
    ) -> Normalizer: ...
    def normalize(self, text: str) -> str: ...
    @overload
    def normalize_batch(self, texts: Sequence[str]) -> list[str]: ...
    @overload
    def normalize_batch(self, texts: Any) -> list[Optional[str]]: ...
    def normalize_arrow(self, texts: Any) -> Any: ...
    @property
    def steps(self) -> list[str]: ...
    @property
    def profile(self) -> str: ...
    @property
    def add(self) -> list[str]: ...
    @property
    def remove(self) -> list[str]: ...
    def __reduce__(self) -> tuple[Any, tuple[str, list[str], list[str]]]: ...
    def __eq__(self, value: object, /) -> bool: ...
    def __hash__(self) -> int: ...

def resolve_config(
    config_path: Optional[Union[str, PathLike[str]]], overrides_json: str
) -> str: ...
def record_fields(
    config_path: Optional[Union[str, PathLike[str]]], overrides_json: str
) -> list[str]: ...
def dedup(
    docs: Any,  # an iterable of str and dicts, or a table with __arrow_c_stream__
    config_path: Optional[Union[str, PathLike[str]]],
    overrides_json: str,
    progress: Optional[Callable[[str, int], object]] = None,
) -> tuple[
    list[str],
    list[Optional[str]],
    list[bool],
    list[Optional[str]],
    list[str],
    list[Optional[float]],
    list[Optional[str]],
    list[tuple[int, str]],
    str,
    str,
]: ...

@final
class Stages:
    """corpus-core's dedup stages for the Spark driver (``ghirbal.spark``)."""

    SHARED_ANCHORS: int
    def __new__(cls, config_json: str, boilerplate: Optional[str] = None) -> Stages: ...
    @property
    def wants_boilerplate(self) -> bool: ...
    def boilerplate_lines(
        self, orders: Sequence[int], docs: Any
    ) -> tuple[list[Optional[_DocumentLines]], str]: ...
    def boilerplate_need(self, docs: int) -> int: ...
    def boilerplate_model(self, groups: Sequence[tuple[str, int, int, Sequence[int]]]) -> str: ...
    def tally_notes(self, rows: Sequence[tuple[int, str, Optional[bytes]]]) -> str: ...
    @staticmethod
    def merge_notes(tallies: Sequence[str]) -> str: ...
    def notes(self, tallies: Sequence[str]) -> list[str]: ...
    def analyze(
        self, orders: Sequence[int], docs: Any
    ) -> list[
        tuple[
            str,
            Optional[tuple[str, str]],
            Optional[str],
            Optional[bytes],
            Optional[bytes],
            Optional[int],
            list[int],
            list[int],
            Optional[bytes],
        ]
    ]: ...
    def duplicate_id(self, id: str, order: int, first: int) -> tuple[str, str]: ...
    def pairs(
        self, groups: Sequence[tuple[Sequence[str], Sequence[int]]], anchors: bool
    ) -> list[tuple[str, str]]: ...
    def check(
        self, pairs: Sequence[tuple[bytes, bytes]]
    ) -> tuple[list[tuple[str, str, str, float, float]], str]: ...
    @staticmethod
    def tally_clusters(rows: Sequence[tuple[str, int, float]]) -> str: ...
    @staticmethod
    def merge_tallies(tallies: Sequence[str]) -> str: ...
    @staticmethod
    def audit_sample(tallies: Sequence[str]) -> list[str]: ...
    def audit(
        self,
        path: Union[str, PathLike[str]],
        tallies: Sequence[str],
        orders: Sequence[int],
        docs: Any,
        verdicts: Sequence[tuple[str, bool, str, float]],
    ) -> None: ...
    def assign(
        self,
        keys: Sequence[tuple[str, bytes]],
        pairs: Sequence[tuple[str, str, str, float, float]],
    ) -> list[tuple[str, str, Optional[float], Optional[str]]]: ...
    def component_link(self, pairs: Sequence[tuple[bytes, bytes]]) -> list[tuple[float, str]]: ...
    @staticmethod
    def components(pairs: Sequence[tuple[str, str]]) -> list[tuple[str, str]]: ...
    def settle(
        self, rows: Sequence[tuple[bool, Optional[tuple[float, str]]]]
    ) -> list[tuple[int, float, str]]: ...
    def outcome(
        self, rows: Sequence[tuple[bool, int, bool, float, str]]
    ) -> list[tuple[bool, str, float]]: ...

def dedup_files(
    inputs: Sequence[Union[str, PathLike[str]]],
    output: Union[str, PathLike[str]],
    config_path: Optional[Union[str, PathLike[str]]],
    overrides_json: str,
    progress: Optional[Callable[[str, int], object]] = None,
) -> str: ...
def clean(
    docs: Any,  # an iterable of str and dicts, or a table with __arrow_c_stream__
    config_path: Optional[Union[str, PathLike[str]]],
    overrides_json: str,
    progress: Optional[Callable[[str, int], object]] = None,
) -> tuple[
    list[str],
    list[Optional[str]],
    list[list[tuple[str, int, int, str, Optional[str]]]],
    list[bool],
    list[tuple[int, str]],
    str,
]: ...
def clean_files(
    inputs: Sequence[Union[str, PathLike[str]]],
    output: Union[str, PathLike[str]],
    config_path: Optional[Union[str, PathLike[str]]],
    overrides_json: str,
    progress: Optional[Callable[[str, int], object]] = None,
) -> str: ...
def _cli_main(argv: Sequence[str]) -> int: ...

@final
class CleanStages:
    """corpus-core's clean stage for the Spark driver (``ghirbal.spark.clean_spark``)."""

    def __new__(cls, config_json: str, boilerplate: Optional[str] = None) -> CleanStages: ...
    @property
    def wants_boilerplate(self) -> bool: ...
    def boilerplate_lines(
        self, orders: Sequence[int], docs: Any
    ) -> tuple[list[Optional[_DocumentLines]], str]: ...
    def boilerplate_need(self, docs: int) -> int: ...
    def boilerplate_model(self, groups: Sequence[tuple[str, int, int, Sequence[int]]]) -> str: ...
    def tally_notes(self, rows: Sequence[tuple[int, str, Optional[bytes]]]) -> str: ...
    def notes(self, tallies: Sequence[str]) -> list[str]: ...
    @property
    def wants_passages(self) -> bool: ...
    def passages(
        self, orders: Sequence[int], docs: Any
    ) -> list[Optional[tuple[str, list[int]]]]: ...
    def clean(
        self,
        orders: Sequence[int],
        docs: Any,
        holders: Optional[Sequence[Optional[Sequence[tuple[int, str]]]]] = None,
    ) -> list[
        tuple[
            str,
            Optional[str],
            list[tuple[str, int, int, str, Optional[str]]],
            bool,
            Optional[tuple[str, str]],
        ]
    ]: ...
