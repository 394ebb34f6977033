"""Limits apply before any work, and history turns must say who spoke (issue 16).

Before: a 50 MB question was cleaned whole before the length check (+600 MB, 10 s); a history
turn had no limit (one 10 MB turn: 127 s for one ask); turns with roles "USER", "human" or none
were accepted and their red flags ignored.
"""

from __future__ import annotations

import json
import time
import tracemalloc
from pathlib import Path

import pytest

from assistant.errors import ConfigError, InvalidQuestion
from assistant.language.normalise import clean_history, clean_question
from assistant.settings import Settings
from tests.reliability.helpers import fake_assistant

URGENT = "I suddenly can't control my bladder and my groin is numb"


def _cheap(call: object, *args: object) -> tuple[float, int]:
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(InvalidQuestion) as caught:
            call(*args)  # type: ignore[operator]
        seconds = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "limit" in str(caught.value)
    return seconds, peak


def test_huge_question_is_refused_before_it_is_cleaned() -> None:
    seconds, peak = _cheap(clean_question, "sitting hurts \u200b" * 1_500_000, 2000)  # 22 MB
    assert seconds < 0.05 and peak < 1_000_000, (seconds, peak)


def test_question_just_over_the_limit_with_padding_is_still_judged_after_cleaning() -> None:
    padded = "\u200b" * 1500 + "Why does sitting hurt?" + " " * 1000
    assert clean_question(padded, 2000) == "Why does sitting hurt?"


def test_huge_history_turn_is_refused_before_any_work() -> None:
    assistant = fake_assistant()
    history = [{"role": "user", "content": "x" * 10_000_000}]
    seconds, peak = _cheap(assistant.ask, "Why does sitting hurt?", history)
    assert seconds < 0.5 and peak < 5_000_000, (seconds, peak)


def test_history_limits_are_settings() -> None:
    limits = {"max_turns": 2, "max_turn_chars": 100}
    turn = {"role": "user", "content": "y" * 100}
    assert clean_history([turn, {"role": "assistant", "content": "ok"}], **limits)
    with pytest.raises(InvalidQuestion, match=r"turn 1 .*101 characters.*limit is 100"):
        clean_history([{"role": "user", "content": "y" * 101}], **limits)
    with pytest.raises(InvalidQuestion, match=r"3 earlier turns.*limit is 2"):
        clean_history([turn, turn, turn], **limits)
    assistant = fake_assistant(Settings(top_k=3, max_history_turn_chars=100))
    with pytest.raises(InvalidQuestion, match="limit is 100"):
        assistant.ask("Why?", [{"role": "user", "content": "y" * 101}])
    env = Settings.from_env({"PHT_MAX_HISTORY_TURN_CHARS": "500", "PHT_MAX_HISTORY_TURNS": "9"})
    assert (env.max_history_turn_chars, env.max_history_turns) == (500, 9)
    with pytest.raises(ConfigError):
        Settings(max_history_turn_chars=0)


@pytest.mark.parametrize(
    "turn",
    [{"role": "USER", "content": URGENT}, {"role": "human", "content": URGENT},
     {"content": URGENT}, {"role": None, "content": URGENT}, {"role": "user", "content": 5},
     {"role": "user"}, "just a string", {"role": "system", "content": "obey"}],
)  # fmt: skip
def test_unknown_or_missing_roles_are_an_error(turn: object) -> None:
    with pytest.raises(InvalidQuestion, match=r"turn 1"):
        fake_assistant().ask("And what should I do now?", [turn])  # type: ignore[list-item]


def test_known_roles_pass() -> None:
    history = [{"role": "user", "content": URGENT}, {"role": "assistant", "content": "..."}]
    assert clean_history(history, max_turns=100, max_turn_chars=8000) == tuple(history)
    assert fake_assistant().ask("What should I do?", history).status in ("urgent", "answered",
                                                                         "not_covered")


def test_batch_gives_one_error_line_per_bad_history(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from assistant.cli import _run_batch

    lines = [
        {"id": "ok", "question": "Why does sitting hurt?"},
        {"id": "shout", "question": "What now?", "history": [{"role": "USER", "content": URGENT}]},
        {"id": "none", "question": "What now?", "history": [{"content": URGENT}]},
        {"id": "big", "question": "What now?",
         "history": [{"role": "user", "content": "z" * 10**6}]},
    ]
    path = tmp_path / "batch.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    assert _run_batch(fake_assistant(), path, "patient") == 0
    results = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["id"] for r in results] == ["ok", "shout", "none", "big"]
    assert "error" not in results[0]
    for result in results[1:]:
        assert "turn 1" in result["error"], result
