"""ghirbal.clean and ghirbal.clean_files on real text."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import ghirbal
from conftest import SEEDS


def read_jsonl(p: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in p.read_text(encoding="utf-8").splitlines() if line]


def test_seeds_same_cuts_as_the_file_job(seed_docs: list[dict[str, str]], tmp_path: Path) -> None:
    r = ghirbal.clean(seed_docs)
    out = tmp_path / "out"
    summary = ghirbal.clean_files(SEEDS, out)
    assert r.ids == [d["id"] for d in seed_docs]
    assert r.to_records() == read_jsonl(out / "removed.jsonl")
    kept = {k["id"]: k["text"] for k in read_jsonl(out / "kept.jsonl")}
    assert dict(zip(r.ids, r.texts)) == kept
    assert r.summary["counts"] == summary["counts"]
    c = r.summary["counts"]
    assert c["input"] == 5 == c["kept"] + c["emptied"] + c["rejected"]
    # The seeds carry comments, read-more, embeds and page chrome.
    rules = {cut.rule for cuts in r.cuts for cut in cuts}
    assert {"comments", "read_more", "embed_attribution", "embed_link", "edge_nav"} <= rules
    for doc, text, cuts in zip(seed_docs, r.texts, r.cuts):
        original = doc["text"]
        rebuilt, pos = [], 0
        for cut in cuts:
            # Offsets are Python string indices into the original text.
            assert original[cut.start : cut.end] == cut.text
            rebuilt.append(original[pos : cut.start])
            pos = cut.end
        rebuilt.append(original[pos:])
        assert "".join(rebuilt) == text


def test_options_switch_rules_and_normalize(seed_docs: list[dict[str, str]]) -> None:
    base = ghirbal.clean(seed_docs)
    off = ghirbal.clean(seed_docs, disable=["comments", "read_more"])
    assert any(c.rule == "comments" for cs in base.cuts for c in cs)
    assert not any(c.rule in ("comments", "read_more") for cs in off.cuts for c in cs)
    assert off.summary["config"]["clean"]["disable"] == ["comments", "read_more"]
    assert ghirbal.clean(seed_docs, boilerplate=False).summary["boilerplate_groups"] == []
    key = ghirbal.clean(seed_docs, output_profile="key")
    assert key.texts == [ghirbal.normalize(t or "") for t in base.texts]
    with pytest.raises(ghirbal.ConfigError, match="unknown cleaning rule"):
        ghirbal.clean(seed_docs, disable=["no_such_rule"])


def test_bad_records_are_rejected_or_raise(seed_docs: list[dict[str, str]]) -> None:
    docs: list[Any] = [seed_docs[0], {"id": "x", "text": 5}, seed_docs[0]["text"], "// انتهى //"]
    r = ghirbal.clean(docs, on_error="skip")
    assert r.texts[1] is None and r.rejects[0][0] == 1
    assert r.emptied == [False, False, False, True]
    assert r.texts[3] == ""
    c = r.summary["counts"]
    assert (c["input"], c["kept"], c["emptied"], c["rejected"]) == (4, 2, 1, 1)
    with pytest.raises(ghirbal.DataError, match=r"docs\[1\]"):
        ghirbal.clean(docs)
    with pytest.raises(TypeError):
        ghirbal.clean("one string")


def test_shared_news_grouped_by_outlet_matches_the_file_job(shared: Path, tmp_path: Path) -> None:
    path = shared / "corpora" / "arabic_news" / "ant_multisource.jsonl"
    docs = read_jsonl(path)
    r = ghirbal.clean(docs, group_by="field:outlet")
    out = tmp_path / "out"
    s = ghirbal.clean_files(path, out, group_by="field:outlet")
    assert r.summary["counts"] == s["counts"]
    assert r.to_records() == read_jsonl(out / "removed.jsonl")
    assert r.summary["config"]["clean"]["boilerplate"]["group_by"] == "field:outlet"
    assert "notes" not in r.summary and "notes" not in s


def test_a_misspelt_group_or_id_field_warns(shared: Path, tmp_path: Path) -> None:
    """A field no record has is a warning (the CLI's note), not silence: every
    record would quietly be one group, or every id its file:line."""
    path = shared / "corpora" / "arabic_news" / "ant_multisource.jsonl"
    docs = read_jsonl(path)[:300]
    group = r'no record has the field "outlte" that --group-by names'
    with pytest.warns(UserWarning, match=group):
        r = ghirbal.clean(docs, group_by="field:outlte")
    assert len(r.summary["notes"]) == 1
    with pytest.warns(UserWarning) as caught:
        s = ghirbal.clean_files(path, tmp_path / "o", group_by="field:outlte", id_field="ID")
    said = [str(w.message) for w in caught]
    assert said == s["notes"] and len(said) == 2, said
    assert said[0].startswith('no record has the id field "ID"') and "outlte" in said[1]
    with pytest.warns(UserWarning, match=r'no record has the id field "ID"'):
        ghirbal.dedup_files(path, tmp_path / "d", id_field="ID")


def test_repeated_passages_are_kept_once_with_their_holder(shared: Path, tmp_path: Path) -> None:
    # Jawhara FM and the multi-source file: the same stories filed under two
    # sections, and reprints sharing paragraphs.
    news = shared / "corpora" / "arabic_news"
    docs = read_jsonl(news / "ant_multisource.jsonl") + read_jsonl(news / "ant_jawharafm.jsonl")
    r = ghirbal.clean(docs, group_by="field:outlet", passages=True)
    out = tmp_path / "out"
    inputs = [news / "ant_multisource.jsonl", news / "ant_jawharafm.jsonl"]
    s = ghirbal.clean_files(inputs, out, group_by="field:outlet", passages=True)
    assert r.to_records() == read_jsonl(out / "removed.jsonl")
    assert r.summary["passages"] == s["passages"] and s["passages"]["repeated"] > 50
    assert s["config"]["clean"]["passages"] == {"enabled": True, "min_chars": 100}
    texts = dict(zip(r.ids, r.texts))
    cut = [(i, c) for i, cs in zip(r.ids, r.cuts) for c in cs if c.rule == "repeated_passage"]
    assert len(cut) == s["counts"]["cuts_by_rule"]["repeated_passage"]
    for i, c in cut:
        # The holder has the smallest id and keeps the passage (key fold aside).
        assert c.duplicate_of is not None and c.duplicate_of <= i
        held = texts[c.duplicate_of] or ""
        key = ghirbal.normalize(c.text.strip(), "key")
        assert key in [ghirbal.normalize(line, "key") for line in held.splitlines()]
    # Other rules' cuts have no holder; a stricter minimum cuts fewer passages.
    assert all(
        (c.duplicate_of is None) == (c.rule != "repeated_passage") for cs in r.cuts for c in cs
    )
    fewer = ghirbal.clean(docs, group_by="field:outlet", passages=True, passage_min_chars=300)
    assert 0 < fewer.summary["passages"]["repeated"] < r.summary["passages"]["repeated"]
    with pytest.raises(ghirbal.ConfigError, match="min_chars"):
        ghirbal.clean(docs[:3], passages=True, passage_min_chars=3)


def test_dedup_can_cut_corpus_boilerplate_first() -> None:
    # An outlet's long self-description under most articles hides a duplicate
    # unless the corpus-level stage runs before dedup.
    footer = (
        "صحيفة المدينة الإلكترونية صحيفة يومية مستقلة تصدر من مدينة جدة وتهتم بالشأن المحلي "
        "والعربي والدولي وتقدم لقرائها تغطية شاملة لأهم الأحداث السياسية والاقتصادية والرياضية "
        "والثقافية على مدار الساعة عبر فريق من المحررين والمراسلين المنتشرين في مختلف المناطق"
    )
    article = (
        "أعلنت وزارة النقل اليوم بدء العمل في مشروع الطريق الساحلي الجديد الذي يربط بين المدن "
        "الشمالية والجنوبية. وقال المتحدث باسم الوزارة إن المشروع سيكتمل خلال ثلاث سنوات."
    )
    others = [
        "افتتح أمير المنطقة معرض الكتاب السنوي بمشاركة أكثر من خمسمئة دار نشر من عشرين دولة.",
        "سجلت أسعار النفط ارتفاعا ملحوظا في تعاملات الأسبوع بعد قرار المنتجين خفض الإنتاج.",
        "تأهل المنتخب الوطني إلى الدور النهائي من البطولة بعد فوزه على منافسه بهدفين مقابل هدف.",
    ]
    docs = [f"{article}\n{footer}", article] + [f"{t}\n{footer}" for t in others]
    assert ghirbal.dedup(docs).kept == [True] * 5
    r = ghirbal.dedup(docs, clean={"boilerplate": {"in_dedup": True}})
    assert sum(r.kept) == 4 and r.clusters[0] == r.clusters[1]
    assert r.summary["config"]["clean"]["boilerplate"]["in_dedup"] is True


def test_parquet_inputs_give_parquet_rows_with_the_cleaned_text(
    shared: Path, tmp_path: Path
) -> None:
    # Real news as Parquet: the job writes kept.parquet, whose rows are the
    # input's columns with the text Python's clean() gives for the same records.
    pq = pytest.importorskip("pyarrow.parquet")
    import pyarrow as pa

    docs = read_jsonl(shared / "corpora" / "arabic_news" / "ant_multisource.jsonl")
    docs[7]["text"] = "// انتهى //"  # cut whole: emptied, left out
    path = tmp_path / "news.parquet"
    pq.write_table(pa.Table.from_pylist(docs), path, row_group_size=300)
    r = ghirbal.clean(docs, group_by="field:outlet")
    s = ghirbal.clean_files(path, tmp_path / "out", group_by="field:outlet")
    assert s["counts"] == r.summary["counts"] and s["counts"]["emptied"] == 1
    assert not (tmp_path / "out" / "kept.jsonl").exists()
    kept = pq.read_table(tmp_path / "out" / "kept.parquet")
    assert kept.schema == pa.Table.from_pylist(docs).schema
    want = [dict(d, text=t) for d, t, e in zip(docs, r.texts, r.emptied) if not e]
    assert kept.to_pylist() == want
    assert sum(d["text"] != w["text"] for d, w in zip(docs, want)) > 100
    # The same from the command line; JSON Lines when asked.
    from test_cli import run

    out = tmp_path / "cli"
    p = run("clean", str(path), "-o", str(out), "--group-by", "field:outlet", "-q")
    assert p.returncode == 0, p.stderr
    assert pq.read_table(out / "kept.parquet").equals(kept)
    p = run(
        "clean",
        str(path),
        "-o",
        str(tmp_path / "j"),
        "--group-by",
        "field:outlet",
        "--output-format",
        "jsonl",
        "-q",
    )
    assert p.returncode == 0, p.stderr
    assert read_jsonl(tmp_path / "j" / "kept.jsonl") == want
    ghirbal.clean_files(path, tmp_path / "k", group_by="field:outlet", format="jsonl")
    assert read_jsonl(tmp_path / "k" / "kept.jsonl") == want


def test_disable_takes_a_name_a_comma_list_or_a_list(seed_docs) -> None:
    both = ghirbal.clean(seed_docs, disable=["byline", "edge_nav"])
    assert ghirbal.clean(seed_docs, disable="byline,edge_nav").cuts == both.cuts
    # As written in a sentence: the names, not their spaces.
    assert ghirbal.clean(seed_docs, disable="byline, edge_nav").cuts == both.cuts
    assert both.summary["config"]["clean"]["disable"] == ["byline", "edge_nav"]
    one = ghirbal.clean(seed_docs, disable="byline")
    assert one.summary["config"]["clean"]["disable"] == ["byline"]
