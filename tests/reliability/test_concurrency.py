"""Concurrency: one assistant shared by many threads (as Streamlit sessions share it), and many
writers of the SQLite answer log at once (threads of one app, and separate processes)."""

from __future__ import annotations

import json
import multiprocessing
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from assistant.pipeline import Assistant
from assistant.types import Answer
from tests.reliability.helpers import HOSTILE, fake_assistant
from ui.store import MAX_COMMENT_CHARS, AnswerStore

THREADS = 16
CALLS = 50
PROCESSES = 3
PROCESS_ROWS = 100

QUESTIONS = (
    "Why does sitting make my buttock pain worse?", "Is shockwave therapy any good?",
    "Should I stretch my hamstrings?", "How long does recovery take?",
    "Do injections help?", "When is surgery needed?", "Can I keep running?",
    "What exercises help?", "Is it sciatica or the tendon?", "How is it diagnosed?",
    "Do anti-inflammatories help?", "What about ice?", "Why is it so slow to heal?",
    "Can I sit on a cushion?", "Is PRP worth it?", "What is isometric loading?",
    "Does massage help?", "How much exercise per week?", "What dose of ibuprofen?",
    "I suddenly can't control my bladder and my groin is numb", "What is the capital of France?",
    "Is hamstring tendinopathy serious?", "sitting hurts", "shockwave?", "can I cycle",
)  # fmt: skip


def _questions() -> list[tuple[str, str]]:
    """Return 50 (question, audience) pairs: 25 questions, each for patients and clinicians."""
    return [(q, a) for q in QUESTIONS for a in ("patient", "clinician")]


def _comparable(answer: Answer) -> str:
    data = answer.to_dict()
    data.pop("timings_ms")
    return json.dumps(data, sort_keys=True)


def _hammer(assistant: Assistant, asks: list[tuple[str, str]]) -> tuple[dict[Any, str], list[str]]:
    """Ask every question from THREADS threads, each in its own order; return answers, errors."""
    errors: list[str] = []
    start = threading.Barrier(THREADS)

    def work(n: int) -> list[tuple[tuple[str, str], str]]:
        order = list(asks)
        random.Random(n).shuffle(order)
        start.wait(timeout=60)
        out = []
        for question, audience in order:
            try:
                answer = assistant.ask(question, (), audience)
                out.append(((question, audience), _comparable(answer)))
            except Exception as exc:  # collected: any exception at all is a failure
                errors.append(f"{type(exc).__name__}: {exc}")
        return out

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(work, range(THREADS)))
    answers: dict[Any, set[str]] = {}
    for result in results:
        for key, value in result:
            answers.setdefault(key, set()).add(value)
    assert sum(len(r) for r in results) + len(errors) == THREADS * len(asks)
    merged = {k: v.pop() if len(v) == 1 else f"{len(v)} answers" for k, v in answers.items()}
    return merged, errors


@pytest.mark.integration
def test_shared_real_assistant_gives_the_sequential_answers(
    real_assistant: Assistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    asks = _questions()
    assert len(asks) == CALLS
    sequential = {key: _comparable(real_assistant.ask(key[0], (), key[1])) for key in asks}
    # A tiny query-vector cache: every thread evicts and refills it all the time.
    monkeypatch.setattr(real_assistant._search.vector, "size", 4)
    started = time.perf_counter()
    concurrent, errors = _hammer(real_assistant, asks)
    seconds = time.perf_counter() - started
    print(f"\n{THREADS} threads x {CALLS} calls = {THREADS * CALLS} asks in {seconds:.1f}s")
    assert errors == []
    different = [key for key in asks if concurrent[key] != sequential[key]]
    assert different == [], different
    statuses = {json.loads(v)["status"] for v in sequential.values()}
    assert statuses == {"answered", "not_covered", "out_of_scope", "urgent"}


def test_shared_fake_assistant_and_answer_log(tmp_path: Path) -> None:
    """16 threads x 50 asks, each answer logged and given feedback, as the chat page does.

    Non-urgent answers wait for the lock and are stored; an urgent reply never waits (one try,
    then the spool), so it may be spooled and then has no row id to hang feedback on. Every
    answer, spooled or not, is in SQLite after one replay.
    """
    fake = fake_assistant()
    store = AnswerStore(tmp_path)  # one cached store, as ui/core.py shares it
    questions = [*QUESTIONS, *HOSTILE[:-3]]
    errors: list[str] = []
    written: list[tuple[str, str]] = []
    feedback: list[str] = []
    start = threading.Barrier(THREADS)

    def work(n: int) -> None:
        start.wait(timeout=30)
        for i in range(CALLS):
            question = f"{questions[(n + i) % len(questions)]} #{n}-{i}"
            try:
                answer = fake.ask(question)
                receipt = store.record(answer, session_id=f"session-{n}")
                written.append((f"session-{n}", answer.question))
                if answer.status == "urgent" and receipt.state == "spooled":
                    assert receipt.notice  # the page says so
                    continue
                assert receipt.stored and receipt.answer_id, receipt
                thumbs: Any = "down" if i % 2 else "up"
                comment = f"comment {n}-{i} " + "x" * (i * 60)
                store.add_feedback(receipt.answer_id, thumbs=thumbs, comment=comment)
                feedback.append(thumbs)
            except Exception as exc:  # noqa: BLE001 (any failure counts)
                errors.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert errors == [], errors[:3]
    assert len(written) == THREADS * CALLS
    urgent = sum(fake.ask(q).status == "urgent" for q in questions)
    assert urgent >= 1  # the run does include red flags that never wait
    later = AnswerStore(tmp_path)
    later.replay()
    assert later.pending() == 0
    assert later.counts() == {"answers": THREADS * CALLS, "feedback": len(feedback)}
    assert len(feedback) >= THREADS * CALLS * 0.9  # only spooled urgent replies lack feedback
    rows = later.recent(limit=10_000)
    assert sorted((r.session_id, r.question) for r in rows) == sorted(written)
    assert all(len(r.comment or "") <= MAX_COMMENT_CHARS for r in rows)
    assert sum(r.thumbs == "down" for r in rows) == feedback.count("down")


def _process_writer(data_dir: str, n: int, rows: int) -> None:
    from tests.reliability.helpers import fake_assistant as build

    fake = build()
    store = AnswerStore(Path(data_dir))
    for i in range(rows):
        answer = fake.ask(f"Why does sitting hurt? process {n} question {i}")
        answer_id = store.log_answer(answer, session_id=f"process-{n}")
        assert answer_id is not None
        store.add_feedback(answer_id, thumbs="up", comment=f"p{n} c{i}")


def test_separate_processes_and_threads_write_one_log(tmp_path: Path) -> None:
    """Several app processes (and threads in this one) append to one SQLite file at once."""
    AnswerStore(tmp_path)  # create the schema once, as the first app process would
    context = multiprocessing.get_context("spawn")
    processes = [
        context.Process(target=_process_writer, args=(str(tmp_path), n, PROCESS_ROWS))
        for n in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    store = AnswerStore(tmp_path)
    fake = fake_assistant()

    def local(n: int) -> None:
        for i in range(PROCESS_ROWS // 2):
            answer_id = store.log_answer(fake.ask(f"shockwave? thread {n} q {i}"), session_id="t")
            store.add_feedback(answer_id or 0, thumbs="down")

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(local, range(4)))
    for process in processes:
        process.join(timeout=300)
        assert process.exitcode == 0
    expected = PROCESSES * PROCESS_ROWS + 4 * (PROCESS_ROWS // 2)
    assert store.counts() == {"answers": expected, "feedback": expected}
    rows = store.recent(limit=10_000)
    for n in range(PROCESSES):
        mine = {r.question for r in rows if r.session_id == f"process-{n}"}
        assert len(mine) == PROCESS_ROWS
        assert {r.comment for r in rows if r.session_id == f"process-{n}"} == {
            f"p{n} c{i}" for i in range(PROCESS_ROWS)
        }
