"""ghirbal.normalize and ghirbal.Normalizer against ../shared/ARABIC.md."""

from __future__ import annotations

import json
import pickle
import threading

import pytest

import ghirbal

# (input, profile, add, expected), from the cases written out in ARABIC.md.
CASES = [
    # 4. Tatweel.
    ("العـــــربية", "none", ["tatweel"], "العربية"),
    ('بـ"جرائم', "none", ["tatweel"], 'ب"جرائم'),
    # 5. Diacritics, U+0670 included in the key set.
    ("رحمٰن", "none", ["diacritics"], "رحمن"),
    ("أَهْلًا", "none", ["diacritics"], "أهلا"),
    # 6. Alef folding: exactly آ أ إ ٱ, and ى is not an alef.
    ("أحمد إلى آخر ٱلكتاب", "none", ["alef"], "احمد الى اخر الكتاب"),
    # 7-8. Alef maqsura and teh marbuta.
    ("إلى مصطفى", "none", ["alef_maksura"], "إلي مصطفي"),
    ("مدينة جميلة", "none", ["teh_marbuta"], "مدينه جميله"),
    # 11. Digits, Arabic-Indic and Persian.
    ("عام ٢٠١٥ و۱۳۹۴", "none", ["digits"], "عام 2015 و1394"),
    # 12. Punctuation.
    ("لماذا؟ نعم، لا؛ «قال»", "none", ["punct"], 'لماذا? نعم, لا; "قال"'),
    # 13. Whitespace: every space character, runs collapsed, lines trimmed.
    ("  أهلا\u00a0\u2003 وسهلا \r\nسلام  ", "none", ["whitespace"], "أهلا وسهلا\nسلام"),
    # 1. Bidi and invisible controls go; ZWNJ stays in stored text.
    ("\ufeffمرحبا\u200f \u202bعالم\u202c", "stored", [], "مرحبا عالم"),
    ("می\u200cخواهم", "stored", [], "می\u200cخواهم"),
    # The key profile does all of it at once.
    ("أَهْلًا   وسهلاً", "key", [], "اهلا وسهلا"),
    ("«العـــربيّة» مدرسةٌ، إلى ٢٠١٥!", "key", [], '"العربيه" مدرسه, الي 2015!'),
]


@pytest.mark.parametrize(("text", "profile", "add", "expected"), CASES)
def test_arabic_cases(text: str, profile: str, add: list[str], expected: str) -> None:
    assert ghirbal.normalize(text, profile=profile, add=add) == expected
    assert ghirbal.Normalizer(profile, add).normalize(text) == expected


def test_stored_profile_never_changes_spelling() -> None:
    text = "أَهْلًا بِكُمْ فِي مَدْرَسَةٍ إلى"
    assert ghirbal.normalize(text, profile="stored") == text
    assert ghirbal.normalize(text, profile="none") == text


def test_key_differs_from_identity_on_real_text(seed_docs: list[dict[str, str]]) -> None:
    text = seed_docs[0]["text"]
    key = ghirbal.normalize(text)
    assert key != text
    assert "أ" in text and "أ" not in key
    # Idempotent.
    assert ghirbal.normalize(key) == key


def test_remove_a_step_from_the_key_profile() -> None:
    n = ghirbal.Normalizer("key", remove=["teh_marbuta"])
    assert "teh_marbuta" not in n.steps
    assert n.normalize("مدرسة") == "مدرسة"
    assert ghirbal.normalize("مدرسة", remove=["teh_marbuta"]) == "مدرسة"


def test_steps_are_named_by_a_list_or_one_string() -> None:
    text = "أهلاً ـــ ١٢"
    # One string is a step (or a comma-separated list, as on the command line),
    # never its letters.
    assert ghirbal.normalize(text, remove="tatweel") == ghirbal.normalize(text, remove=["tatweel"])
    both = ghirbal.normalize(text, remove=["tatweel", "digits"])
    assert ghirbal.normalize(text, remove="tatweel, digits") == both
    assert "١٢" in both and "ـ" in both
    n = ghirbal.Normalizer("stored", add="tatweel")
    assert n == ghirbal.Normalizer("stored", add=["tatweel"])
    with pytest.raises(ghirbal.ConfigError):
        ghirbal.Normalizer(add="tatwel")


def test_steps_are_public_names_in_order() -> None:
    assert {"controls", "nfkc", "alef", "digits", "whitespace", "casefold"} <= set(ghirbal.STEPS)
    n = ghirbal.Normalizer("none", ["casefold", "alef"])
    assert n.steps == ["alef", "casefold"]
    # Steps run in one canonical order, whatever order they are added in.
    assert ghirbal.Normalizer("none", list(reversed(ghirbal.STEPS))).steps == ghirbal.STEPS
    key = ghirbal.Normalizer("key").steps
    assert key == [s for s in ghirbal.STEPS if s in key]
    assert "nfkc" in key and "nfc" not in key and "hamza" not in key


@pytest.mark.parametrize(
    ("vectors", "step"),
    [
        ("pyarabic.strip_tatweel", "tatweel"),
        ("camel.normalize_alef_maksura_ar", "alef_maksura"),
        ("camel.normalize_teh_marbuta_ar", "teh_marbuta"),
    ],
)
def test_golden_vectors(shared, vectors: str, step: str) -> None:
    n = ghirbal.Normalizer("none", [step])
    lines = (shared / "arabic-vectors" / f"{vectors}.jsonl").read_text(encoding="utf-8")
    cases = [json.loads(line) for line in lines.split("\n") if line]
    assert len(cases) > 500
    bad = [c for c in cases if n.normalize(c["input"]) != c["output"]]
    assert bad == []
    assert n.normalize_batch([c["input"] for c in cases]) == [c["output"] for c in cases]


def test_normalizer_pickles_and_compares() -> None:
    n = ghirbal.Normalizer("key", add=[], remove=["casefold", "digits"])
    m = pickle.loads(pickle.dumps(n))
    assert m == n and hash(m) == hash(n)
    assert m.remove == ["casefold", "digits"] and m.profile == "key"
    assert m.normalize("ABC ٣") == "ABC ٣"
    assert n != ghirbal.Normalizer("key")
    assert repr(n) == 'Normalizer(profile="key", add=[], remove=["casefold", "digits"])'


def test_normalizer_is_shareable_across_threads(seed_docs: list[dict[str, str]]) -> None:
    n = ghirbal.Normalizer()
    texts = [d["text"] for d in seed_docs] * 20
    expected = [ghirbal.normalize(t) for t in texts]
    results: list[list[str]] = []
    threads = [
        threading.Thread(target=lambda: results.append(n.normalize_batch(texts))) for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert results == [expected] * 4


def test_a_column_that_exports_arrow_is_normalized_in_place(shared) -> None:
    pa = pytest.importorskip("pyarrow")
    pd = pytest.importorskip("pandas")
    path = shared / "corpora" / "arabic_news" / "saudinewsnet.jsonl"
    texts = [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines()]
    n = ghirbal.Normalizer("key")
    want = n.normalize_batch(texts)
    assert want != texts
    column = pa.chunked_array([texts[:300], [None], texts[300:]])
    assert n.normalize_batch(column) == want[:300] + [None] + want[300:]
    assert n.normalize_batch(pd.Series(texts)) == want
    # A list reads as the column does: a None stays None; another item is a
    # TypeError naming it (it named no item, and None was one).
    assert n.normalize_batch([*texts[:300], None, *texts[300:]]) == want[:300] + [None] + want[300:]
    with pytest.raises(TypeError, match=r"texts\[2\] is bytes, not a str"):
        n.normalize_batch([texts[0], None, texts[1].encode()])
    with pytest.raises(TypeError, match="not one str"):
        n.normalize_batch(texts[0])
    # The texts' type, not the configuration, is wrong: a TypeError, as for a list.
    with pytest.raises(TypeError, match="a column of Int64 holds no texts"):
        n.normalize_batch(pa.array([1]))


def test_normalize_arrow_gives_an_arrow_array_of_the_same_texts(shared) -> None:
    pa = pytest.importorskip("pyarrow")
    pd = pytest.importorskip("pandas")
    path = shared / "corpora" / "arabic_news" / "ant_multisource.jsonl"
    texts = [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines()]
    n = ghirbal.Normalizer("key", add=["hamza"])
    want = n.normalize_batch(texts)
    assert sum(w != t for w, t in zip(want, texts)) > 700
    # Every string layout, in chunks (pieces run across their ends), nulls among them.
    for kind in (pa.string(), pa.large_string(), pa.string_view()):
        column = pa.chunked_array(
            [pa.array(texts[:500], kind), pa.array([None, *texts[500:]], kind)]
        )
        got = n.normalize_arrow(column)
        assert isinstance(got, pa.Array) and got.type == pa.string(), kind
        assert got.to_pylist() == want[:500] + [None] + want[500:], kind
    dictionary = pa.array([None, "أَهْلاً", "أَهْلاً"]).dictionary_encode()
    assert n.normalize_arrow(dictionary).to_pylist() == [None, "اهلا", "اهلا"]
    assert n.normalize_arrow(pa.nulls(3, pa.string())).to_pylist() == [None] * 3
    assert n.normalize_arrow(pd.Series(texts)).to_pylist() == want
    assert len(n.normalize_arrow(pa.array([], pa.string()))) == 0
    with pytest.raises(TypeError, match="a column of Int64 holds no texts"):
        n.normalize_arrow(pa.array([1]))
    with pytest.raises(TypeError, match="normalize_batch takes a list"):
        n.normalize_arrow(texts)
