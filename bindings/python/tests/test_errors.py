"""Typed exceptions: every failure is a CorpusError subclass or an OSError one,
with a message naming the place."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import ghirbal
from conftest import SEEDS


def test_hierarchy() -> None:
    assert issubclass(ghirbal.ConfigError, ghirbal.CorpusError)
    assert issubclass(ghirbal.DataError, ghirbal.CorpusError)
    assert issubclass(ghirbal.CorpusError, Exception)
    assert ghirbal.ConfigError.__module__ == "ghirbal"


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"treshold": 0.7}, "unknown field `treshold`"),
        ({"threshold": 1.5}, "threshold must be in (0, 1]"),
        ({"ngram": "five"}, "invalid type"),
        ({"on_error": "ignore"}, "unknown variant `ignore`"),
        ({"survivor": "newest"}, "unknown survivor policy"),
        ({"dedup": {"bands": 4}}, "set both bands and rows"),
        ({"threads": -1}, "invalid value"),
        # Refused before the pool starts, which would take minutes.
        ({"threads": 100_000}, "threads = 100000 is more than 1024"),
        ({"survivor": "earliest:text"}, "a field other than the text"),
    ],
)
def test_config_errors(kwargs: dict[str, object], words: str) -> None:
    with pytest.raises(ghirbal.ConfigError, match="invalid configuration") as e:
        ghirbal.dedup(["نص"], **kwargs)
    assert words in str(e.value)


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        # These said "options are not JSON: expected value at line 1 column 15"
        # and "expected struct BoilerplateConfig".
        ({"threshold": float("nan")}, "threshold=nan is no value a configuration holds"),
        ({"dedup": {"ngram": {3, 4}}}, "dedup={'ngram': {3, 4}} is no value"),
        ({"boilerplate": True}, 'with clean={"boilerplate": {"in_dedup": True}}'),
        ({"passages": True}, "passages=True is a keyword of ghirbal.clean"),
    ],
)
def test_config_errors_name_the_option(
    seed_docs: list[dict[str, str]], kwargs: dict[str, object], words: str
) -> None:
    with pytest.raises(ghirbal.ConfigError, match="invalid configuration") as e:
        ghirbal.dedup(seed_docs, **kwargs)
    assert words in str(e.value)


def test_a_file_job_without_inputs_says_so(tmp_path: Path) -> None:
    # It said "no input files found in  ".
    for job in (ghirbal.dedup_files, ghirbal.clean_files):
        with pytest.raises(ghirbal.ConfigError, match=f"{job.__name__} got no inputs"):
            job([], tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_unknown_key_reads_the_same_from_a_toml_file(tmp_path: Path) -> None:
    toml = tmp_path / "c.toml"
    toml.write_text("treshold = 0.7\n", encoding="utf-8")
    with pytest.raises(ghirbal.ConfigError, match="unknown field `treshold`"):
        ghirbal.dedup(["نص"], config=toml)
    with pytest.raises(ghirbal.ConfigError, match="unknown field `treshold`") as e:
        ghirbal.resolve_config(treshold=0.7)
    assert str(e.value).endswith("(did you mean `dedup.threshold`?)")


def test_normalize_errors() -> None:
    with pytest.raises(ghirbal.ConfigError, match="unknown profile"):
        ghirbal.normalize("نص", profile="strict")
    with pytest.raises(ghirbal.ConfigError, match='unknown normalization step "hamzah"'):
        ghirbal.normalize("نص", add=["hamzah"])
    with pytest.raises(ghirbal.ConfigError, match="unknown normalization step"):
        ghirbal.Normalizer("key", remove=["nope"])
    with pytest.raises(TypeError):
        ghirbal.normalize(5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("doc", "words"),
    [
        ({"id": "a"}, 'docs[1]: missing field "text"'),
        ({"id": "a", "text": 5}, 'docs[1]: field "text" is a number, not a string'),
        ({"id": ["a"], "text": "نص"}, 'docs[1]: field "id" is an array'),
        (3.5, "docs[1]: expected a str or a dict, got float"),
        ("\ud800", "docs[1]: text is not valid Unicode"),
        ({"id": "0", "text": "نص"}, 'docs[1]: duplicate id "0", first seen at docs[0]'),
        # A NaN is a missing value, as in a table; an infinity JSON cannot hold.
        ({"id": "a", "text": float("nan")}, 'docs[1]: field "text" is null, not a string'),
        ({"id": "a", "text": float("inf")}, 'docs[1]: field "text" cannot be read as JSON'),
        (b"bytes", "docs[1]: expected a str or a dict, got bytes"),
        # A lone surrogate (text read with errors="surrogateescape") in a field.
        ({"id": "a\udcff", "text": "نص"}, 'docs[1]: field "id" cannot be read as JSON: not valid Unicode'),
        ({"id": "a", "text": "نص\udcff"}, 'docs[1]: field "text" cannot be read as JSON: not valid Unicode'),
        # Bytes and arrays are no text: their str() would be their repr.
        ({"id": "a", "text": "نص".encode()}, 'docs[1]: field "text" cannot be read as JSON'),
        ({"id": b"a", "text": "نص"}, 'docs[1]: field "id" cannot be read as JSON'),
    ],
)
def test_bad_records_raise_data_error_naming_the_position(doc: object, words: str) -> None:
    with pytest.raises(ghirbal.DataError) as e:
        ghirbal.dedup(["نص أول", doc])
    assert words in str(e.value)


def test_custom_fields(seed_docs: list[dict[str, str]]) -> None:
    docs = [{"key": d["id"], "body": d["text"]} for d in seed_docs]
    r = ghirbal.dedup(docs, id_field="key", text_field="body")
    assert r.ids == [d["id"] for d in seed_docs]
    with pytest.raises(ghirbal.DataError, match='docs\\[0\\]: missing field "body"'):
        ghirbal.dedup(seed_docs, text_field="body")


def test_missing_files(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no-such-dir"):
        ghirbal.dedup_files([tmp_path / "no-such-dir"], tmp_path / "out")
    with pytest.raises(FileNotFoundError, match="missing.toml"):
        ghirbal.dedup(["نص"], config=tmp_path / "missing.toml")
    assert not (tmp_path / "out").exists()


def test_bad_jsonl_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "text": "نص"}\n{"id": "b"\n', encoding="utf-8")
    with pytest.raises(ghirbal.DataError, match=r"bad\.jsonl:2: malformed JSON"):
        ghirbal.dedup_files([bad], tmp_path / "out")
    s = ghirbal.dedup_files([bad, SEEDS], tmp_path / "out", on_error="skip")
    assert s["counts"]["rejected"] == 1 and s["counts"]["input"] == 7


def test_a_lone_string_or_a_frame_is_not_a_list_of_documents() -> None:
    with pytest.raises(TypeError, match="iterable of documents"):
        ghirbal.dedup("نص واحد")

    class FakeFrame:
        columns = ["id", "text"]

        def __iter__(self):  # type: ignore[no-untyped-def]
            return iter(self.columns)

    with pytest.raises(TypeError, match="dedup_frame"):
        ghirbal.dedup(FakeFrame())  # type: ignore[arg-type]


def test_a_dict_is_not_a_list_of_documents(seed_docs: list[dict[str, str]]) -> None:
    # Its keys were taken for the documents: {id: text} deduplicated its ids, and
    # one record gave two documents, "id" and "text".
    by_id = {d["id"]: d["text"] for d in seed_docs}
    for docs in (by_id, seed_docs[0]):
        with pytest.raises(TypeError, match=r"not a dict: pass one record as \[record\]"):
            ghirbal.dedup(docs)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match=r"for k, v in docs.items\(\)"):
            ghirbal.clean(docs)  # type: ignore[arg-type]
    r = ghirbal.dedup([{"id": k, "text": v} for k, v in by_id.items()])
    assert r.ids == list(by_id)


def test_numpy_values_read_as_their_json_would() -> None:
    np = pytest.importorskip("numpy")
    # An array is no text; a numpy bool is a bool (refused as an id, as True is).
    with pytest.raises(ghirbal.DataError, match=r'docs\[1\]: field "text" cannot be read as JSON'):
        ghirbal.dedup(["نص أول", {"id": "a", "text": np.array(["نص", "آخر"])}])
    with pytest.raises(ghirbal.DataError, match=r'docs\[1\]: field "id" is a boolean'):
        ghirbal.dedup(["نص أول", {"id": np.bool_(True), "text": "نص"}])


def test_a_struct_column_with_null_rows_rejects_them(seed_docs: list[dict[str, str]]) -> None:
    pa = pytest.importorskip("pyarrow")
    rows = pa.array(
        [seed_docs[0], None, seed_docs[2]],
        pa.struct([("id", pa.string()), ("text", pa.string())]),
    )
    r = ghirbal.dedup(rows, on_error="skip")
    assert r.reason == ["unique", "rejected", "unique"]
    assert r.rejects == [(1, "expected a str or a dict, got null")]
    with pytest.raises(ghirbal.DataError, match=r"docs\[1\]: expected a str or a dict, got null"):
        ghirbal.dedup(rows)
    cleaned = ghirbal.clean(rows, on_error="skip")
    assert [len(c) for c in cleaned.cuts][1] == 0 and cleaned.rejects[0][0] == 1


def test_a_frame_pyarrow_cannot_convert_is_read_by_rows(seed_docs: list[dict[str, str]]) -> None:
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    # An object column of mixed types: pyarrow refuses the whole column; the
    # frame is then read row by row, and the bad row is named.
    df = pd.DataFrame({"id": ["a", "b", "c"], "text": [seed_docs[0]["text"], 7, seed_docs[2]["text"]]})
    r = ghirbal.dedup(df, on_error="skip")
    assert r.reason == ["unique", "rejected", "unique"]
    assert r.rejects == [(1, 'field "text" is a number, not a string')]
    with pytest.raises(ghirbal.DataError, match=r"docs\[1\]"):
        ghirbal.dedup(df)


def test_one_field_for_id_and_text_reads_as_the_file_job_does(tmp_path: Path) -> None:
    docs = [{"x": "نص أول للاختبار"}, {"x": "نص ثان مختلف تماما"}]
    r = ghirbal.dedup(docs, id_field="x", text_field="x")
    assert r.ids == [d["x"] for d in docs] and r.reason == ["unique", "unique"]
    f = tmp_path / "in.jsonl"
    f.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs), encoding="utf-8")
    s = ghirbal.dedup_files([f], tmp_path / "out", id_field="x", text_field="x")
    assert s["counts"]["kept"] == 2 and s["counts"]["rejected"] == 0


def test_decimal_ids_keep_their_digits() -> None:
    from decimal import Decimal

    # Two ids that one double would make one.
    docs = [
        {"id": Decimal("12345678901234567890.5"), "text": "نص أول للاختبار هنا"},
        {"id": Decimal("12345678901234567890.25"), "text": "نص ثان مختلف تماما"},
        {"id": Decimal("7"), "text": "نص ثالث لا يشبه غيره"},
    ]
    r = ghirbal.dedup(docs)
    assert r.ids == ["12345678901234567890.5", "12345678901234567890.25", "7"]
