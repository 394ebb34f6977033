"""The LLM paraphrase benchmark: its strict schema, its size, and a replay through LLM mode."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.compose.llm import LLMComposer
from evals.llm_bench.data import ADVERSARIAL_TYPES, BENCH_PATH, BenchError, load_bench
from evals.llm_bench.replay import format_scores, replay, serve_replies
from evals.llm_bench.server import ScriptedServer

RECORDS = load_bench()


def test_the_benchmark_is_big_enough_and_split_by_family() -> None:
    faithful = sum(1 for _ in RECORDS)
    adversarial = [a for r in RECORDS for a in r.adversarial]
    assert faithful >= 200 and len(adversarial) >= 200
    assert len({r.question for r in RECORDS}) >= 100
    for split in ("train", "test"):
        types = Counter(a.type for r in RECORDS if r.split == split for a in r.adversarial)
        assert set(types) == set(ADVERSARIAL_TYPES), split
        assert min(types.values()) >= 10, types
    families = {r.family: r.split for r in RECORDS}
    assert {"train", "test"} == set(families.values())
    assert any(r.history for r in RECORDS)


def _write(tmp_path: Path, record: dict) -> Path:  # type: ignore[type-arg]
    path = tmp_path / "bench.jsonl"
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    return path


def _first() -> dict:  # type: ignore[type-arg]
    return json.loads(BENCH_PATH.read_text(encoding="utf-8").splitlines()[0])


def test_a_quote_that_is_not_verbatim_is_an_error(tmp_path: Path) -> None:
    record = _first()
    record["faithful"]["sentences"][0] = 'Sitting hurts [1: "words no passage has"].'
    with pytest.raises(BenchError, match="(?s)line 1.*not verbatim"):
        load_bench(_write(tmp_path, record))


def test_the_wrong_sentence_must_be_the_only_change(tmp_path: Path) -> None:
    record = _first()
    record["adversarial"][0]["wrong"] = 99
    with pytest.raises(BenchError, match="wrong=99"):
        load_bench(_write(tmp_path, record))
    record = _first()
    record["adversarial"][0]["sentences"] = list(record["faithful"]["sentences"])
    with pytest.raises(BenchError, match="faithful one|only the wrong"):
        load_bench(_write(tmp_path, record))
    record = _first()
    record["unknown"] = 1
    with pytest.raises(BenchError, match="unknown"):
        load_bench(_write(tmp_path, record))


def test_a_family_in_both_splits_is_an_error(tmp_path: Path) -> None:
    first, second = _first(), _first()
    second["id"] = first["id"] + "-copy"
    second["split"] = "test" if first["split"] == "train" else "train"
    path = tmp_path / "bench.jsonl"
    path.write_text(json.dumps(first) + "\n" + json.dumps(second) + "\n", encoding="utf-8")
    with pytest.raises(BenchError, match="both splits"):
        load_bench(path)


@pytest.fixture(scope="module")
def server() -> Iterator[ScriptedServer]:
    scripted = ScriptedServer().start()
    try:
        yield scripted
    finally:
        scripted.stop()


def test_a_replay_scores_what_reaches_the_answer(server: ScriptedServer) -> None:
    from assistant.factory import build_llm_composer

    composer: LLMComposer = build_llm_composer(server.settings(timeout_s=5.0))
    chosen = [r for r in RECORDS if r.split == "train"][:2]
    chosen += [r for r in RECORDS if r.split == "test"][:1]
    scores = replay(chosen, composer, serve_replies(server))
    train, test = scores["train"], scores["test"]
    assert (train.requests, test.requests) == (2, 1)
    assert train.faithful_sentences == sum(len(r.faithful.sentences) for r in chosen[:2])
    assert 0 < train.faithful_kept <= train.faithful_sentences
    assert sum(train.tried.values()) == sum(len(r.adversarial) for r in chosen[:2])
    assert train.reached["wrong_marker"] == 0 and train.reached["invented_dose"] == 0
    assert len(server.requests) == sum(1 + len(r.adversarial) for r in chosen)
    table = format_scores(scores)
    assert "faithful kept as llm" in table and "word_preserving" in table
