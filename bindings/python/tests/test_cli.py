"""The ``ghirbal`` console script installed by the package: the CLI's own code,
same exit codes, same results as the Python API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import ghirbal
from ghirbal._core import _cli_main
from conftest import SEEDS, REPO


def ghirbal_exe() -> str:
    exe = Path(sys.executable).parent / ("ghirbal.exe" if os.name == "nt" else "ghirbal")
    if not exe.exists():
        pytest.fail(f"console script not installed at {exe}")
    return str(exe)


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ghirbal_exe(), *args],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=REPO,
        timeout=300,
    )


def test_console_script_dedups_the_seeds_like_python(tmp_path: Path, seed_docs) -> None:
    out = tmp_path / "tmp"
    p = run("dedup", "corpora/seeds", "--output", str(out))
    assert p.returncode == 0, p.stderr
    assert "5 records" in p.stderr
    lines = (out / "clusters.jsonl").read_text(encoding="utf-8").splitlines()
    cli = {
        v["id"]: (v["cluster"], v["kept"], v["duplicate_of"], v["reason"], v["similarity"])
        for v in map(json.loads, lines)
    }
    r = ghirbal.dedup(seed_docs)
    py = {
        i: (c, k, d, reason, round(s, 4))
        for i, c, k, d, reason, s in zip(
            r.ids, r.clusters, r.kept, r.duplicate_of, r.reason, r.similarity
        )
    }
    assert cli == py
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["counts"] == r.summary["counts"]
    assert summary["config"] == r.summary["config"]


def test_cli_options_match_python_options(tmp_path: Path) -> None:
    out = tmp_path / "o"
    p = run("dedup", str(SEEDS), "-o", str(out), "--threshold", "0.5", "--ngram", "3", "-q")
    assert p.returncode == 0 and p.stderr == ""
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["config"] == ghirbal.resolve_config(threshold=0.5, ngram=3)


def test_normalize_command_matches_python(seed_docs) -> None:
    text = seed_docs[1]["text"]
    p = run("normalize", "--profile", "key", stdin=text)
    assert p.returncode == 0, p.stderr
    assert p.stdout.rstrip("\n") == ghirbal.normalize(text).rstrip("\n")
    p = run("normalize", "--profile", "none", "--step", "+alef", stdin="أحمد إلى آخر")
    assert p.stdout == ghirbal.normalize("أحمد إلى آخر", profile="none", add=["alef"]) + "\n"


def test_exit_codes(tmp_path: Path) -> None:
    version = run("--version").stdout.strip()
    assert version.startswith(f"ghirbal {ghirbal.__version__} ") and "Unicode" in version
    assert run("--help").returncode == 0
    usage = run("dedup", str(SEEDS))  # --output missing
    assert usage.returncode == 2 and "--output" in usage.stderr
    assert run("frobnicate").returncode == 2
    bad_cfg = run("dedup", str(SEEDS), "-o", str(tmp_path / "a"), "--threshold", "3")
    assert bad_cfg.returncode == 2 and "threshold" in bad_cfg.stderr
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x"}\n', encoding="utf-8")
    data = run("dedup", str(bad), "-o", str(tmp_path / "b"))
    assert data.returncode == 1
    assert 'bad.jsonl:1: missing field "text"' in data.stderr
    assert not (tmp_path / "b").exists()


def test_closed_stdout_pipe_is_quiet(seed_docs) -> None:
    text = "\n".join(d["text"] for d in seed_docs) * 200
    p = subprocess.Popen(
        [ghirbal_exe(), "normalize"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert p.stdin is not None and p.stdout is not None and p.stderr is not None
    p.stdin.write(text.encode("utf-8"))
    p.stdin.close()
    p.stdout.read(10)
    p.stdout.close()
    assert p.wait(timeout=120) == 0
    assert p.stderr.read() == b""
    p.stderr.close()


def test_in_process_entry_point_returns_the_status(capfd: pytest.CaptureFixture[str]) -> None:
    assert _cli_main(["ghirbal", "--version"]) == 0
    assert capfd.readouterr().out.startswith(f"ghirbal {ghirbal.__version__} ")
    assert _cli_main(["ghirbal", "--no-such-flag"]) == 2
    assert "--no-such-flag" in capfd.readouterr().err
