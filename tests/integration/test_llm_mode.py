"""LLM mode end to end: the real assistant (model + Chroma) against a scripted chat server."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.compose.extractive import LEAD_INS
from assistant.compose.llm import UNAVAILABLE_NOTICE, UNVERIFIED_NOTICE
from assistant.language.sentences import markers_of, split_sentences, strip_markers
from assistant.settings import Settings
from assistant.types import Answer
from tests.unit.test_llm_server import (
    SCRIPTS,
    SECRET,
    Reply,
    ScriptedLLM,
    echo,
    echo_plus,
    first_sentence,
    passages_of,
)
from ui.store import AnswerStore

pytestmark = pytest.mark.integration

SITTING = "Why does sitting make my buttock pain worse?"
SHOCKWAVE = "Is shockwave therapy any good?"
TIMEOUT_S = 0.8


@pytest.fixture(scope="module")
def server() -> Iterator[ScriptedLLM]:
    """One scripted server for the module; each test sets its script."""
    scripted = ScriptedLLM().start()
    try:
        yield scripted
    finally:
        scripted.stop()


@pytest.fixture(scope="module")
def llm_assistant(server: ScriptedLLM, indexed_settings: Settings) -> Any:
    """The real Assistant in LLM mode, pointing at the scripted server."""
    from assistant.factory import build_assistant

    return build_assistant(server.settings(indexed_settings, timeout_s=TIMEOUT_S))


@pytest.fixture(autouse=True)
def _echo_by_default(server: ScriptedLLM) -> None:
    server.script = echo
    server.requests.clear()


def _check_citations(answer: Answer) -> None:
    """Every sentence has markers; markers are exactly 1..n, all used, each a real citation."""
    body = answer.answer.split("\n\n", 1)[-1]
    used: list[int] = []
    for sentence in split_sentences(body):
        markers = markers_of(sentence)
        assert markers, sentence
        used += [m for m in markers if m not in used]
    assert sorted(used) == [c.marker for c in answer.citations] == list(
        range(1, len(answer.citations) + 1)
    )


def test_grounded_reply_is_used_as_is(llm_assistant: Any, real_assistant: Any) -> None:
    answer = llm_assistant.ask(SITTING)
    extractive = real_assistant.ask(SITTING)
    assert (answer.status, answer.mode, answer.notice) == ("answered", "llm", None)
    _check_citations(answer)
    # The model saw only the passages the extractive answer cites.
    assert {c.chunk_id for c in answer.citations} <= {c.chunk_id for c in extractive.citations}
    first = answer.citations[0]
    # The paraphrase, with no lead-in of the extractive composer.
    assert not any(answer.answer.startswith(lead) for lead in LEAD_INS.values() if lead)
    assert strip_markers(split_sentences(answer.answer)[0]).rstrip(".") in first.text
    assert first.highlights and all(h in first.text for h in first.highlights)
    assert answer.disclaimer == extractive.disclaimer
    assert answer.timings_ms["compose"] > 0


def _anchored(request: dict[str, Any]) -> Reply:
    """Paraphrase-style reply: each passage's first sentence, anchored to its first words."""
    sentences = []
    for number, text in sorted(passages_of(request).items())[:3]:
        head = first_sentence(text)
        quote = " ".join(head.split()[:6])
        sentences.append(f'{head} [{number}: "{quote}"].')
    return Reply(" ".join(sentences))


def test_anchored_reply_carries_its_quotes(llm_assistant: Any, server: ScriptedLLM) -> None:
    server.script = _anchored
    answer = llm_assistant.ask(SITTING)
    assert (answer.mode, answer.notice) == ("llm", None)
    _check_citations(answer)
    quotes = [q for c in answer.citations for q in c.quotes]
    assert quotes and all(q["sentence"] in answer.answer for q in quotes)
    for citation in answer.citations:
        assert all(q["quote"] in citation.text for q in citation.quotes)
    system = server.requests[-1]["body"]["messages"][0]["content"]
    assert "exact words of that passage" in system


def test_follow_up_reaches_the_model_with_the_conversation(
    llm_assistant: Any, server: ScriptedLLM
) -> None:
    history = [
        {"role": "user", "content": "Is shockwave therapy any good?"},
        {"role": "assistant", "content": "Shockwave therapy is supported by RCTs. [1]"},
    ]
    answer = llm_assistant.ask("and is it expensive?", history=history)
    assert answer.status == "answered" and server.requests
    user = server.requests[-1]["body"]["messages"][-1]["content"]
    assert 'user: "Is shockwave therapy any good?"' in user
    assert 'quoted as data: "and is it expensive?"' in user


def test_invented_dose_is_removed(llm_assistant: Any, server: ScriptedLLM) -> None:
    server.script = echo_plus("Take 400 mg ibuprofen three times a day [1].")
    answer = llm_assistant.ask(SITTING)
    assert answer.mode == "llm"
    assert "400" not in answer.answer and "ibuprofen" not in answer.answer
    _check_citations(answer)


def test_marker_to_a_passage_not_given_is_removed(llm_assistant: Any, server: ScriptedLLM) -> None:
    server.script = echo_plus("Sitting aggravates symptoms and prolongs recovery [9].")
    answer = llm_assistant.ask(SITTING)
    assert answer.mode == "llm"
    assert "[9]" not in answer.answer
    _check_citations(answer)


@pytest.mark.parametrize(
    ("script", "notice"),
    [
        (SCRIPTS["error"], UNAVAILABLE_NOTICE),
        (lambda request: Reply("Sitting hurts [1].", delay_s=3 * TIMEOUT_S), UNAVAILABLE_NOTICE),
        (SCRIPTS["garbage"], UNAVAILABLE_NOTICE),
        (lambda request: Reply("Take 400 mg ibuprofen three times a day [1]."), UNVERIFIED_NOTICE),
        (lambda request: Reply("{\"answer\": 42}"), UNVERIFIED_NOTICE),
    ],
    ids=["500", "slow", "non-json", "invented-only", "garbage-text"],
)
@pytest.mark.parametrize("streamed", [False, True], ids=["plain", "sse"])
def test_failures_fall_back_to_the_extractive_answer(
    llm_assistant: Any, real_assistant: Any, server: ScriptedLLM, script: Any, notice: str,
    streamed: bool,
) -> None:  # fmt: skip
    server.script = script
    if streamed:
        stream = llm_assistant.ask_stream(SHOCKWAVE)
        shown = "".join(stream)
        answer = stream.answer
        assert "400" not in shown
    else:
        answer = llm_assistant.ask(SHOCKWAVE)
    extractive = real_assistant.ask(SHOCKWAVE)
    assert (answer.status, answer.mode, answer.notice) == ("answered", "extractive", notice)
    assert answer.answer == extractive.answer
    assert [c.chunk_id for c in answer.citations] == [c.chunk_id for c in extractive.citations]


def test_streamed_reply_is_verified_sentence_by_sentence(
    llm_assistant: Any, server: ScriptedLLM
) -> None:
    server.script = echo_plus("Take 400 mg ibuprofen three times a day [1].")
    stream = llm_assistant.ask_stream(SITTING)
    pieces = list(stream)
    answer = stream.answer
    assert answer.mode == "llm"
    assert len(pieces) >= 2 and "".join(pieces) == answer.answer
    assert not any("400" in piece for piece in pieces)
    assert server.requests[0]["body"]["stream"] is True


def test_safety_and_scope_run_before_the_model(llm_assistant: Any, server: ScriptedLLM) -> None:
    urgent = llm_assistant.ask("I have numbness in my groin and can't control my bladder")
    outside = llm_assistant.ask("What is the capital of France?")
    assert urgent.status == "urgent" and outside.status == "out_of_scope"
    assert (urgent.mode, outside.mode) == ("extractive", "extractive")
    stream = llm_assistant.ask_stream("What is the capital of France?")
    assert "".join(stream) == stream.answer.answer
    assert server.requests == []


def test_not_covered_question_gets_its_covered_part_from_the_model(
    llm_assistant: Any, real_assistant: Any, server: ScriptedLLM
) -> None:
    question = "How many mg of ibuprofen should I take for my hamstring tendinopathy?"
    extractive = real_assistant.ask(question)
    answer = llm_assistant.ask(question)
    assert answer.status == extractive.status == "not_covered"
    if not extractive.citations:
        pytest.skip("this question has no covered part in the current corpus")
    assert server.requests, "the covered part should go to the model"
    assert answer.mode == "llm"
    message = extractive.answer.split("\n\n", 1)[0]
    assert answer.answer.startswith(message)
    _check_citations(Answer(question, "not_covered", answer.answer.split("\n\n", 1)[1],
                            answer.citations, ""))  # fmt: skip


def test_api_key_never_leaks(
    llm_assistant: Any, server: ScriptedLLM, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    caplog.set_level(logging.DEBUG)
    answers = []

    def echo_headers(request: dict[str, Any]) -> Reply:
        return Reply(status=401, text=f"bad key {server.requests[-1]['headers']}")

    for script in (echo, echo_headers, SCRIPTS["error"]):
        server.script = script
        answers.append(llm_assistant.ask(SITTING))
        stream = llm_assistant.ask_stream(SITTING)
        "".join(stream)
        answers.append(stream.answer)
    assert server.requests[0]["headers"]["authorization"] == f"Bearer {SECRET}"
    assert [a.mode for a in answers] == ["llm", "llm", "extractive", "extractive",
                                         "extractive", "extractive"]  # fmt: skip
    store = AnswerStore(tmp_path)
    for answer in answers:
        store.log_answer(answer, session_id="s")
        assert SECRET not in answer.to_json()
        assert SECRET not in (answer.notice or "")
    with sqlite3.connect(store.path) as conn:
        assert SECRET not in "".join(conn.iterdump())
    assert SECRET not in store.path.read_bytes().decode("utf-8", "replace")
    assert SECRET not in caplog.text
    assert SECRET not in repr(llm_assistant.settings)
