"""Two `pht-ingest` runs on different corpora, 0.5 s apart, into one store (issue 16).

Before the ingest lock each planned against what the other had not written yet, and the last to
label the collection put its corpus_version on the union: a 40-chunk index labelled with the
39-chunk corpus's version, both runs exiting 0.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.index.questions import QUESTION_SUFFIX
from ingest.pipeline import corpus_version
from tests.conftest import CORPUS

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[2]
EXTRA = (
    "Garden notes\n\nCompost needs turning every week so that the heap breathes and stays warm. "
    "Tomatoes want sun, deep watering and a stake.\n"
)


def _extra_corpus(target: Path) -> Path:
    import shutil

    import yaml

    shutil.copytree(CORPUS, target)
    (target / "garden.txt").write_text(EXTRA, encoding="utf-8")
    manifest = yaml.safe_load((target / "manifest.yaml").read_text(encoding="utf-8"))
    entry = dict(manifest["documents"][0], id="garden-notes", file="garden.txt", title="Garden")
    manifest["documents"].append(entry)
    (target / "manifest.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False), "utf-8")
    return target


def _start(corpus: Path, chroma: Path, data: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHT_")}
    env.update(PHT_CORPUS_DIR=str(corpus), PHT_CHROMA_PATH=str(chroma), PHT_DATA_DIR=str(data),
               PHT_ANSWER_LOG="0", PHT_INGEST_LOCK_WAIT="120", PYTHONPATH=str(ROOT))  # fmt: skip
    return subprocess.Popen(
        [str(BIN / "pht-ingest"), "--quiet", "--json"], cwd=ROOT, env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip


def _stored(chroma: Path) -> tuple[list[str], str, bool]:
    import chromadb
    from chromadb.api.shared_system_client import SharedSystemClient

    SharedSystemClient.clear_system_cache()
    client = chromadb.PersistentClient(path=str(chroma))
    found = client.get_collection("pht_guidance")
    ids = list(found.get(include=[])["ids"])
    label = str((found.metadata or {}).get("corpus_version", ""))
    # The label covers the reviewed questions stored beside the chunks too (ingest.index.sync).
    names = {c.name for c in client.list_collections()}
    if f"pht_guidance{QUESTION_SUFFIX}" in names:
        questions = client.get_collection(f"pht_guidance{QUESTION_SUFFIX}")
        question_ids = list(questions.get(include=[])["ids"])
        label_matches = label == corpus_version(sorted(ids + question_ids))
    else:
        label_matches = label == corpus_version(ids)
    SharedSystemClient.clear_system_cache()
    return ids, label, label_matches


@pytest.mark.integration
def test_two_ingests_half_a_second_apart_never_mislabel_the_index(tmp_path: Path) -> None:
    bigger = _extra_corpus(tmp_path / "bigger")
    chroma = tmp_path / "chroma"
    first = _start(bigger, chroma, tmp_path / "data")
    time.sleep(0.5)
    second = _start(CORPUS, chroma, tmp_path / "data")
    outputs = [process.communicate(timeout=300) for process in (first, second)]
    codes = [first.returncode, second.returncode]
    assert codes == [0, 0], outputs
    summaries = [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]
    assert summaries[0]["chunks"] == summaries[1]["chunks"] + 1

    ids, label, label_matches = _stored(chroma)
    # The label is the version of exactly what is stored, and what is stored is one corpus.
    assert label_matches, (len(ids), label, summaries)
    assert label in {s["corpus_version"] for s in summaries}
    assert len(ids) in {s["chunks"] for s in summaries}
    # Whichever took the lock second planned against the first one's index, not an empty one.
    assert sum(s["unchanged"] for s in summaries) >= summaries[1]["chunks"], summaries


@pytest.mark.integration
def test_pht_ingest_while_another_holds_the_lock_fails_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from assistant.settings import Settings
    from ingest.cli import main
    from ingest.lock import ingest_lock

    for key in [k for k in os.environ if k.startswith("PHT_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("PHT_CORPUS_DIR", str(CORPUS))
    monkeypatch.setenv("PHT_CHROMA_PATH", str(tmp_path / "chroma"))
    monkeypatch.setenv("PHT_INGEST_LOCK_WAIT", "0.5")
    with ingest_lock(Settings.from_env()):
        assert main(["--quiet"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("pht-ingest: error: Another pht-ingest (pid "), err
    assert len(err.splitlines()) == 1
    assert str(tmp_path / "chroma") in err
    assert main(["--quiet"]) == 0  # released: the next run goes through


@pytest.mark.integration
def test_pht_ingest_refuses_a_link_out_of_the_corpus_and_writes_nothing(
    corpus_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    import yaml

    from ingest.cli import main

    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n", encoding="utf-8")
    for key in [k for k in os.environ if k.startswith("PHT_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("PHT_CORPUS_DIR", str(corpus_copy))
    monkeypatch.setenv("PHT_CHROMA_PATH", str(tmp_path / "chroma"))
    assert main(["--quiet"]) == 0
    before = _stored(tmp_path / "chroma")
    (corpus_copy / "passwd.txt").symlink_to(secret)
    manifest = yaml.safe_load((corpus_copy / "manifest.yaml").read_text(encoding="utf-8"))
    manifest["documents"].append(dict(manifest["documents"][0], id="etc-passwd", file="passwd.txt"))
    (corpus_copy / "manifest.yaml").write_text(yaml.safe_dump(manifest), encoding="utf-8")
    capsys.readouterr()
    assert main(["--quiet"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "etc-passwd" in err and "outside the corpus" in err
    assert _stored(tmp_path / "chroma") == before
