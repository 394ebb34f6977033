"""A broken Chroma store (issue 16).

Before: a truncated or garbage chroma.sqlite3 gave a raw chromadb InternalError traceback from
`pht-ask`, `pht-ingest` and `pht-ingest --rebuild` (which could not recover). Now: one line
naming the store and `pht-ingest --rebuild`, which moves the broken store aside and builds anew.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CORPUS

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[2]
QUESTION = "Why does sitting make my buttock pain worse?"


_DATA: list[Path] = []
"""One data folder for every process here: the trained triage classifier is cached in it."""


def _env(chroma: Path, corpus: Path = CORPUS, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHT_")}
    env.update(PHT_CORPUS_DIR=str(corpus), PHT_CHROMA_PATH=str(chroma), PHT_ANSWER_LOG="0",
               PHT_DATA_DIR=str(_DATA[0]), PYTHONPATH=str(ROOT), **extra)  # fmt: skip
    return env


def _run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / command[0]), *command[1:]], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)  # fmt: skip


@pytest.fixture(scope="module")
def built_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store of the shipped corpus, built once; tests copy it before breaking the copy."""
    _DATA[:] = [tmp_path_factory.mktemp("data")]
    store = tmp_path_factory.mktemp("built") / "chroma"
    done = _run(["pht-ingest", "--quiet"], _env(store))
    assert done.returncode == 0, done.stderr
    return store


def _copy(built: Path, target: Path) -> Path:
    shutil.copytree(built, target)
    return target


def _truncate(path: Path) -> None:
    with path.open("r+b") as handle:
        handle.truncate(path.stat().st_size // 3)


def _garbage(path: Path) -> None:
    path.write_bytes(os.urandom(path.stat().st_size))


@pytest.mark.integration
@pytest.mark.parametrize("damage", [_truncate, _garbage], ids=["truncated", "garbage"])
def test_damaged_store_is_one_clear_error_and_rebuild_recovers(
    built_store: Path, tmp_path: Path, damage: Callable[[Path], None]
) -> None:
    store = _copy(built_store, tmp_path / "chroma")
    damage(store / "chroma.sqlite3")
    env = _env(store)
    for command in (["pht-ask", QUESTION], ["pht-ingest", "--quiet"]):
        done = _run(command, env)
        err = done.stderr.strip()
        assert done.returncode == 1, (command, done.stdout, err)
        assert "Traceback" not in err and len(err.splitlines()) == 1, err
        assert "damaged" in err and "pht-ingest --rebuild" in err and str(store) in err, err

    rebuilt = _run(["pht-ingest", "--rebuild", "--quiet", "--json"], env)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert json.loads(rebuilt.stdout.strip().splitlines()[-1])["chunks"] > 0
    asides = list(tmp_path.glob("chroma.old-*"))
    assert len(asides) == 1 and (asides[0] / "chroma.sqlite3").exists()  # the broken one, kept
    assert not list(tmp_path.glob("chroma.rebuild-*"))
    answered = _run(["pht-ask", "--json", QUESTION], env)
    assert answered.returncode == 0, answered.stderr
    assert json.loads(answered.stdout)["status"] == "answered"
