"""Keyword options and TOML files fill the one configuration structure."""

from __future__ import annotations

import pickle
from pathlib import Path

import ghirbal


def test_defaults_are_the_core_defaults() -> None:
    cfg = ghirbal.resolve_config()
    assert set(cfg) == {"input", "normalize", "clean", "dedup", "output", "threads", "on_error"}
    assert 0 < cfg["dedup"]["threshold"] <= 1 and cfg["on_error"] == "fail"
    assert (cfg["input"]["id_field"], cfg["input"]["text_field"]) == ("id", "text")


def test_flat_keys_go_to_their_section() -> None:
    cfg = ghirbal.resolve_config(
        threshold=0.7, id_field="key", overwrite=True, threads=2, survivor="longest"
    )
    assert cfg["dedup"]["threshold"] == 0.7
    assert cfg["dedup"]["survivor"] == "longest"
    assert cfg["input"]["id_field"] == "key" and cfg["input"]["text_field"] == "text"
    assert cfg["output"]["overwrite"] is True
    assert cfg["threads"] == 2


def test_sections_merge_and_none_means_unset() -> None:
    cfg = ghirbal.resolve_config(
        dedup={"ngram": 3}, threshold=None, normalize={"remove": ["digits"]}
    )
    assert cfg["dedup"]["ngram"] == 3 and cfg["dedup"]["threshold"] == 0.8
    assert cfg["normalize"] == {"profile": "key", "add": [], "remove": ["digits"]}


def test_toml_file_then_keywords(tmp_path: Path) -> None:
    toml = tmp_path / "ghirbal.toml"
    toml.write_text(
        'on_error = "skip"\n[dedup]\nthreshold = 0.6\nngram = 4\nsurvivor = "earliest:date"\n',
        encoding="utf-8",
    )
    cfg = ghirbal.resolve_config(toml, ngram=7)
    assert cfg["on_error"] == "skip"
    assert (cfg["dedup"]["threshold"], cfg["dedup"]["ngram"]) == (0.6, 7)
    assert cfg["dedup"]["survivor"] == "earliest:date"
    assert ghirbal.resolve_config(str(toml))["dedup"]["ngram"] == 4


def test_resolved_config_round_trips(tmp_path: Path) -> None:
    cfg = ghirbal.resolve_config(threshold=0.75, clean={"enabled": False})
    # The resolved dict is itself valid options, and pickles as plain data.
    assert ghirbal.resolve_config(**cfg) == cfg
    assert pickle.loads(pickle.dumps(cfg)) == cfg
    r = ghirbal.dedup(["نص"], **cfg)
    assert r.summary["config"] == cfg
