"""Hostile input: whatever is typed or piped in, the answer is a valid Answer or one clear error.

Property-based (hypothesis): many examples against a fake-embedding Assistant (the real safety
gate, scope, coverage, retrieval and composer code), fewer against the real model and index, and
`pht-ask --batch` in process and as a real subprocess.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant import cli
from assistant.errors import InvalidQuestion
from assistant.pipeline import Assistant
from assistant.settings import Settings
from tests.reliability.helpers import FAKE_TEXTS, HOSTILE, check_answer, fake_assistant

ROOT = Path(__file__).resolve().parents[2]
FAKE_EXAMPLES = 400
REAL_EXAMPLES = 40
BATCH_EXAMPLES = 120

# Characters that some reader or other treats as a line break, or that hide or reorder text.
ODD = "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029\u200b\u200d\u202e\u2066\ufeff\x00\x1b\t"

_words = st.sampled_from(
    ["sitting", "hurts", "shockwave", "surgery", "stretch", "tendon", "why", "is", "my", "pain",
     "<script>", "onerror=", "{{", "}}", "'", ";", "--", "DROP", "%s", "\\", "ignore", "you"]
)  # fmt: skip
_mixed = st.lists(st.one_of(_words, st.sampled_from(list(ODD)), st.text(max_size=4)), max_size=30)
QUESTIONS = st.one_of(
    st.text(max_size=300),  # arbitrary unicode, surrogates too
    st.text(alphabet=st.sampled_from(list(ODD) + list("ab ")), max_size=50),
    _mixed.map(" ".join),
    _mixed.map("".join),
    st.sampled_from(HOSTILE),
    # Repeated payloads: up to ~100 kB, over the length limit before or after cleaning.
    st.tuples(st.sampled_from(HOSTILE), st.integers(1, 40)).map(lambda t: (t[0] * t[1])[:100_000]),
)
HISTORY = st.lists(
    st.fixed_dictionaries(
        {"role": st.sampled_from(["user", "assistant", "system", ""]), "content": QUESTIONS}
    ),
    max_size=4,
)
SETTINGS = settings(
    database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)  # fmt: skip


def _ask_once(assistant: Assistant, question: str, history: Any, audience: str) -> str:
    """Ask; return "error" for one clear InvalidQuestion, else check the Answer."""
    try:
        answer = assistant.ask(question, history, audience=audience)
    except InvalidQuestion as exc:
        assert str(exc).strip() and "\n" not in str(exc)
        return "error"
    passages = [c.text for c in assistant._search.chunks]
    check_answer(answer, passages, assistant.settings.max_question_chars)
    return answer.status


_FAKE = fake_assistant()


@settings(SETTINGS, max_examples=FAKE_EXAMPLES)
@given(question=QUESTIONS, history=HISTORY, audience=st.sampled_from(["patient", "clinician", "x"]))
def test_fake_assistant_never_crashes(question: str, history: Any, audience: str) -> None:
    _ask_once(_FAKE, question, history, audience)


@pytest.mark.parametrize("question", HOSTILE, ids=range(len(HOSTILE)))
def test_each_hostile_string(question: str) -> None:
    outcome = _ask_once(_FAKE, question, [], "patient")
    if len(question) > 10_000:
        assert outcome == "error"


@pytest.mark.integration
def test_real_assistant_never_crashes(real_assistant: Assistant) -> None:
    seen: dict[str, int] = {}

    @settings(SETTINGS, max_examples=REAL_EXAMPLES)
    @given(question=QUESTIONS, history=HISTORY)
    def run(question: str, history: Any) -> None:
        outcome = _ask_once(real_assistant, question, history, "patient")
        seen[outcome] = seen.get(outcome, 0) + 1

    run()
    for question in HOSTILE:
        outcome = _ask_once(real_assistant, question, [], "clinician")
        seen[outcome] = seen.get(outcome, 0) + 1
    print(f"\nreal assistant outcomes over {sum(seen.values())} inputs: {seen}")
    assert sum(seen.values()) >= len(HOSTILE)


# ------------------------------------------------------------------------------ pht-ask --batch
def _batch_line(draw: st.DrawFn) -> str:
    kind = draw(st.integers(0, 3))
    if kind == 0:  # JSONL: ids and questions of any kind, lone surrogates escaped by json
        record: dict[str, Any] = {
            "id": draw(st.one_of(st.integers(), st.text(max_size=10))),
            "question": draw(QUESTIONS),
        }
        if draw(st.booleans()):
            record["history"] = draw(HISTORY)
        return json.dumps(record)
    if kind == 1:
        return draw(
            st.sampled_from(
                [
                    "{",
                    "{not json",
                    "[1, 2]",
                    '{"question": 5}',
                    '{"history": "x", "question": "sitting?"}',
                    "",
                    "   ",
                ]
            )
        )
    text = draw(QUESTIONS)
    # A plain line is one line: no \n, and nothing a UTF-8 file cannot hold.
    return "".join(c for c in text if c != "\n" and not 0xD800 <= ord(c) <= 0xDFFF)


batch_lines = st.composite(lambda draw: [_batch_line(draw) for _ in range(draw(st.integers(1, 8)))])


def _check_batch_output(out: str, lines: list[str], passages: list[str]) -> None:
    records = out.split("\n")
    assert records[-1] == "", "output must end with a newline"
    records = records[:-1]
    assert len(records) == len(lines), (len(records), len(lines), lines)
    # No other character that a line-splitter could take for a line break.
    assert len(out.splitlines()) == len(lines)
    for number, (line, raw) in enumerate(zip(lines, records, strict=True), start=1):
        record = json.loads(raw)
        if not line.lstrip().startswith("{"):
            assert record["id"] == number
        if "error" in record:
            assert set(record) == {"id", "error"} and record["error"].strip()
            continue
        answer = dict(record)
        del answer["id"]
        from assistant.types import Answer

        check_answer(Answer.from_dict(answer), passages)


def _fake_batch(path: Path) -> str:
    """Run `pht-ask --batch` in process over the fake; return its stdout (a strict UTF-8 pipe)."""
    import io

    import assistant.factory

    buffer = io.BytesIO()
    stream = io.TextIOWrapper(buffer, encoding="utf-8", newline="\n", write_through=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(assistant.factory, "build_assistant", lambda *_a, **_k: _FAKE)
        patch.setenv("PHT_ANSWER_LOG", "0")
        patch.setattr(sys, "stdout", stream)
        assert cli.main(["--batch", str(path)]) == 0
    return buffer.getvalue().decode("utf-8")


@settings(SETTINGS, max_examples=BATCH_EXAMPLES)
@given(lines=batch_lines(), crlf=st.booleans(), final_newline=st.booleans())
def test_batch_keeps_one_output_line_per_input_line(
    lines: list[str], crlf: bool, final_newline: bool
) -> None:
    ending = "\r\n" if crlf else "\n"
    # An empty last line exists only if a line break ends it.
    content = ending.join(lines) + (ending if final_newline or lines[-1] == "" else "")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "questions.txt"
        path.write_bytes(content.encode("utf-8"))
        out = _fake_batch(path)
    _check_batch_output(out, lines, [text for _, text in FAKE_TEXTS])


@pytest.mark.integration
def test_real_pht_ask_batch_subprocess(
    indexed_settings: Settings, real_assistant: Assistant, tmp_path: Path
) -> None:
    """The installed CLI, real model and index, one file of every kind of odd line."""
    lines = [
        "Why does sitting hurt?",
        "sitting\x0bhurts",  # vertical tab: str.splitlines would split here
        "is shockwave\x1cgood",  # file separator
        "stretching\u2028after\u2029surgery\x85ok",
        "lone\rcarriage return",
        "\x0c",
        "",
        json.dumps({"id": "a\u2028b\ud800", "question": "why does sitting hurt?"}),
        json.dumps({"id": 7, "question": "x" * 5000}),
        '{"id": 1, "question": ',
        *HOSTILE[:-3],
        "ok " * 30_000,
    ]
    path = tmp_path / "batch.txt"
    path.write_bytes(("\r\n".join(lines[:5]) + "\n" + "\n".join(lines[5:]) + "\n").encode())
    with path.open("ab") as handle:  # a line that is not UTF-8 at all
        handle.write(b"caf\xe9 \xff\xfe sitting?\n")
    lines.append("caf\ufffd \ufffd\ufffd sitting?")
    env = {
        **os.environ,
        "PHT_CHROMA_PATH": str(indexed_settings.chroma_path),
        "PHT_DATA_DIR": str(tmp_path / "data"),
        "LC_ALL": "C",  # an ASCII locale must not break non-ASCII output
    }
    result = subprocess.run(
        [str(Path(sys.executable).with_name("pht-ask")), "--json", "--batch", str(path)],
        capture_output=True, env=env, timeout=600, cwd=ROOT,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    out = result.stdout.decode("utf-8")
    passages = [chunk.text for chunk in real_assistant._search.chunks]
    _check_batch_output(out, lines, list(passages))
    records = [json.loads(r) for r in out.splitlines()]
    assert records[0]["status"] == "answered"
    assert records[7]["id"] == "a\u2028b\ud800" and records[7]["status"] == "answered"
    assert "error" in records[8] and "error" in records[9] and "error" in records[-2]
