"""Shared fixtures: the repository's sample corpus and ../shared (read in place)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
SEEDS = REPO / "corpora" / "seeds"


def shared_dir() -> Path | None:
    """``../shared`` beside the repository (or ``$GHIRBAL_SHARED``); ``None`` when
    absent, unless ``CI=true``, where its absence is an error."""
    d = Path(os.environ.get("GHIRBAL_SHARED", REPO.parent / "shared"))
    if d.is_dir():
        return d
    if os.environ.get("CI") == "true":
        raise RuntimeError(f"{d} is missing, and CI=true requires it")
    return None


@pytest.fixture(scope="session")
def shared() -> Path:
    d = shared_dir()
    if d is None:
        pytest.skip("../shared not found")
    return d


@pytest.fixture(scope="session")
def seed_docs() -> list[dict[str, str]]:
    """The five sample articles as records, ids as the CLI gives them."""
    files = sorted(SEEDS.glob("*.txt"))
    assert len(files) == 5
    return [{"id": f.stem, "text": f.read_text(encoding="utf-8")} for f in files]
