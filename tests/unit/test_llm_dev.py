"""The LLM-mode dev comparison's parts: stored data, capture parsing, drafts, search, replay."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from assistant.compose.prompt import build_messages
from assistant.compose.verify import Passage
from assistant.disclaimer import DISCLAIMER
from assistant.types import Answer, Chunk, Hit
from evals.llm_bench.server import sent_passages
from evals.llm_dev.capture import writing_order
from evals.llm_dev.replay import LLMAnswer, compare, comparison_figures, format_comparison
from evals.llm_dev.search import FixedSearch
from evals.llm_dev.store import (
    CAPTURE_PATH,
    Capture,
    CapturedCase,
    StoreError,
    load_capture,
    load_replies,
    passages_hash,
    save_capture,
)
from evals.llm_dev.write import anchor_problems, merged, parse_drafts
from evals.metrics import MetricContext
from evals.models import EvalCase

SITTING = (
    "The tendon lies close to the ischial tuberosity beneath the gluteal muscles. This makes it "
    "hard to avoid compression during daily activities like sitting or forward bending."
)
ICE = "Cryotherapy provides acute relief of tendinopathy pain."


def _chunk(chunk_id: str, text: str) -> Chunk:
    return Chunk(chunk_id, "doc", text, "Section", 0, len(text), "paragraph", (),
                 {"title": "Doc", "publisher": "Pub", "source": "src"})  # fmt: skip


def _capture(*cases: CapturedCase) -> Capture:
    return Capture(cases, {"c1": _chunk("c1", SITTING), "c2": _chunk("c2", ICE)})


def _case(case_id: str = "dev-a", family: str = "fam", passages: tuple[str, ...] = ("c1",),
          split: str = "test") -> CapturedCase:  # fmt: skip
    texts = {"c1": SITTING, "c2": ICE, "c9": "Not stored."}
    sent = [(n, texts[c]) for n, c in enumerate(passages, start=1)]
    return CapturedCase(
        id=case_id, split=split, family=family, question="Why does sitting hurt?",
        audience="patient", history=(), status="answered",
        hits=tuple({"chunk_id": c, "fused": 1.0, "dense": 0.5} for c in passages),
        passages=passages, passages_hash=passages_hash(sent) if sent else "",
    )  # fmt: skip


def test_the_passages_hash_ignores_spacing_but_not_text_or_numbering() -> None:
    base = passages_hash([(1, SITTING), (2, ICE)])
    assert passages_hash([(1, "  " + SITTING.replace(" ", "\n ", 1)), (2, ICE)]) == base
    assert passages_hash([(1, ICE), (2, SITTING)]) != base
    assert passages_hash([(1, SITTING)]) != base
    assert passages_hash([(1, SITTING), (2, ICE + " More.")]) != base


def test_a_capture_survives_a_round_trip_and_a_bad_one_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "captured.json"
    captured = _capture(_case(), _case("dev-b", passages=()))
    save_capture(captured.cases, captured.chunks, path)
    loaded = load_capture(path)
    assert loaded == captured
    assert [h.chunk.text for h in loaded.hits(loaded.cases[0])] == [SITTING]
    assert loaded.hits(loaded.cases[0])[0].dense == 0.5
    save_capture([replace(_case(), passages_hash="0" * 16)], captured.chunks, path)
    with pytest.raises(StoreError, match="passages_hash does not match"):
        load_capture(path)
    save_capture([_case(passages=("c9",))], captured.chunks, path)
    with pytest.raises(StoreError, match="'c9' is not stored"):
        load_capture(path)


def test_the_committed_capture_and_replies_agree() -> None:
    captured = load_capture(CAPTURE_PATH)
    sent = {c.id: c for c in captured.cases if c.sent}
    assert {"train", "test"} == {c.split for c in captured.cases}
    for case_id, reply in load_replies().items():
        assert case_id in sent, case_id
        assert reply.passages_hash == sent[case_id].passages_hash, case_id
        assert not anchor_problems(reply.text, captured.sent_passages(sent[case_id])), case_id


def test_replies_need_a_hash_and_a_text(tmp_path: Path) -> None:
    path = tmp_path / "replies.yaml"
    path.write_text("dev-a:\n  reply: Sitting hurts.\n", encoding="utf-8")
    with pytest.raises(StoreError, match="passages_hash and reply"):
        load_replies(path)
    path.write_text("dev-a:\n  passages_hash: ab\n  reply: '  '\n", encoding="utf-8")
    with pytest.raises(StoreError, match="empty reply"):
        load_replies(path)
    path.write_text("dev-a:\n  passages_hash: ab\n  reply: |\n    Two\n    lines.\n", "utf-8")
    assert load_replies(path)["dev-a"].text == "Two lines."


def test_capture_reads_the_passages_the_prompt_sends() -> None:
    hits = [Hit(chunk=_chunk("c1", SITTING), fused=1.0), Hit(chunk=_chunk("c2", ICE), fused=0.5)]
    messages = build_messages("Why?", [Passage(1, hits[0]), Passage(2, hits[1])], "patient")
    body = {"messages": [{"role": "system" if r == "system" else "user", "content": c}
                         for r, c in messages]}  # fmt: skip
    assert sent_passages(body) == [(1, SITTING), (2, ICE)]
    assert sent_passages({"messages": []}) == []


def test_the_writing_order_takes_each_family_in_rounds() -> None:
    cases = [_case(f"dev-{f}-{i}", family=f) for f in ("x", "y") for i in range(3)]
    order = writing_order(_capture(*cases, _case("dev-z", passages=())), "test")
    assert [c.family for c in order] == ["x", "y"] * 3
    assert order == writing_order(_capture(*reversed(cases)), "test")
    assert "dev-z" not in {c.id for c in order}


def test_drafts_are_checked_against_their_passages() -> None:
    drafts = parse_drafts(
        "=== dev-a\nSitting causes compression [1: \"hard to avoid compression during daily\"].\n"
        "=== dev-b\nIce helps [2: \"acute relief\"].\n"
    )
    assert set(drafts) == {"dev-a", "dev-b"}
    passages = [(1, SITTING)]
    assert anchor_problems(drafts["dev-a"], passages) == []
    assert anchor_problems('Ice [1: "acute relief of pain"].', passages) == [
        '[1: "acute relief of pain"] is not in passage 1'
    ]
    assert anchor_problems(drafts["dev-b"], passages) == ["[2] is not a passage number"]
    assert anchor_problems("The passages do not say.", passages) == []
    assert anchor_problems("Sitting hurts.", passages) == ["no anchor at all"]
    replies, problems = merged({}, drafts, _capture(_case(), _case("dev-b", passages=())))
    assert list(replies) == ["dev-a"] and replies["dev-a"]["passages_hash"] == _case().passages_hash
    assert problems == ["dev-b: no captured case that sent passages"]


class _RealSearch:
    vocabulary = "the real vocabulary"

    def __init__(self) -> None:
        self.calls = 0

    def search(self, query: str, k: int) -> list[Hit]:
        self.calls += 1
        return [Hit(chunk=_chunk("c2", ICE), fused=1.0)]


def test_the_fixed_search_records_or_replaces_the_real_one() -> None:
    real = _RealSearch()
    search = FixedSearch(real)  # type: ignore[arg-type]
    assert search.vocabulary == "the real vocabulary"
    found = search.search("ice", 6)
    assert real.calls == 1 and search.last == found
    fixed = [Hit(chunk=_chunk("c1", SITTING), fused=1.0)]
    search.reset(fixed)
    assert search.last is None
    assert search.search("ice", 6) == fixed and real.calls == 1
    search.reset()
    assert search.search("ice", 6)[0].chunk.chunk_id == "c2" and real.calls == 2


class _Composers:
    """Answers from the hits' text; LLM mode 'sends' `sent` and keeps the reply when told."""

    def __init__(self, sent: dict[str, list[tuple[int, str]] | None], keep: bool = True) -> None:
        self.sent = sent
        self.keep = keep
        self.asked: list[str] = []

    def extractive(self, case: EvalCase, hits: list[Hit]) -> Answer:
        self.asked.append(f"extractive {case.id}")
        return Answer(case.question, "answered", hits[0].chunk.text, [], DISCLAIMER)

    def llm(self, case: EvalCase, hits: list[Hit], reply: str) -> LLMAnswer:
        self.asked.append(f"llm {case.id}")
        text = reply if self.keep else hits[0].chunk.text
        answer = Answer(case.question, "answered", text, [], DISCLAIMER,
                        mode="llm" if self.keep else "extractive")  # fmt: skip
        return LLMAnswer(answer, self.sent.get(case.id), answer.mode)


def _eval_case(case_id: str, statement: str) -> EvalCase:
    return EvalCase(
        id=case_id, family="fam", question="Why does sitting hurt?", expect_status="answered",
        statements=(statement,), tags=("patient",),
    )  # fmt: skip


def _replies(tmp_path: Path, texts: dict[str, tuple[str, str]]) -> Path:
    path = tmp_path / "replies.yaml"
    lines = []
    for case_id, (digest, text) in texts.items():
        lines += [f"{case_id}:", f"  passages_hash: '{digest}'", f"  reply: '{text}'"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_replay_scores_both_composers_and_reports_stale_replies(tmp_path: Path) -> None:
    captured = _capture(_case("dev-a"), _case("dev-b"), _case("dev-c"), _case("dev-d"),
                        _case("dev-e", passages=()), _case("dev-t", split="train"))  # fmt: skip
    digest = _case().passages_hash
    replies = load_replies(_replies(tmp_path, {
        "dev-a": (digest, "Ice gives acute relief of tendinopathy pain [1]."),
        "dev-b": (digest, "Sitting hurts [1]."),  # the replay will send other passages
        "dev-c": (digest, "Sitting hurts [1]."),  # no request at replay
    }))  # fmt: skip
    cases = [_eval_case(i, ICE) for i in ("dev-a", "dev-b", "dev-c", "dev-d", "dev-e")]
    composers = _Composers({"dev-a": [(1, SITTING)], "dev-b": [(1, ICE)], "dev-c": None})
    result = compare(captured, replies, cases, composers, MetricContext())
    assert composers.asked == [
        "llm dev-a", "extractive dev-a", "llm dev-b", "llm dev-c", "extractive dev-c"
    ]
    assert result.stale == {"dev-b": "the request carried other passages"}
    # Decided before composing: the same answer in both modes, scored in both.
    assert result.without_model == {"dev-c": "no request at replay (status answered)"}
    assert [r.case.id for r in result.llm] == ["dev-a", "dev-c"]
    assert result.uncovered == 1  # dev-d sent passages and has no reply; dev-e sent none
    found = comparison_figures(result)
    assert found["extractive"]["statement_recall"] == 0.0  # the sitting passage is not ICE
    assert found["llm"]["statement_recall"] == 0.5  # dev-a's reply says ICE; dev-c's does not
    assert found["llm"]["kept_as_llm_rate"] == 1.0  # of the cases that asked the model
    assert found["extractive"]["kept_as_llm_rate"] is None
    text = format_comparison(result)
    assert "statement_recall" in text and "stale dev-b" in text
    assert result.as_dict()["cases"][0]["mode"] == "llm"


def test_a_changed_dev_case_or_a_reply_to_other_passages_is_stale(tmp_path: Path) -> None:
    captured = _capture(_case("dev-a"), _case("dev-b"))
    replies = load_replies(_replies(tmp_path, {
        "dev-a": (_case().passages_hash, "Sitting hurts [1]."),
        "dev-b": ("0123456789abcdef", "Sitting hurts [1]."),
    }))  # fmt: skip
    changed = _eval_case("dev-a", ICE).model_copy(update={"question": "Is ice good?"})
    composers = _Composers({"dev-a": [(1, SITTING)], "dev-b": [(1, SITTING)]}, keep=False)
    result = compare(captured, replies, [changed, _eval_case("dev-b", ICE)], composers,
                     MetricContext())  # fmt: skip
    assert composers.asked == []
    assert result.stale == {
        "dev-a": "the dev case's question, audience or history changed",
        "dev-b": "the reply was written against other passages than the capture's",
    }
