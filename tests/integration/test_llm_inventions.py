"""How many invented sentences reach the user? A scripted model adds one to a grounded reply.

For each answered eval question the server echoes the first sentence of every passage (which
verification must keep) and adds one invented sentence of a given kind, built from the real
passages it was sent. The test counts, per kind, how often the invention was removed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from assistant.settings import Settings
from evals.models import load_cases
from tests.unit.test_llm_server import Reply, ScriptedLLM, echo, first_sentence, passages_of

pytestmark = pytest.mark.integration

Mutation = Callable[[dict[int, str]], str]

_AUX = re.compile(r"\b(is|are|can|may|does|do|should|will|has|have|was|were)\b")
_OPPOSITES = (
    ("short-term", "long-term"), ("long-term", "short-term"), ("increases", "reduces"),
    ("reduces", "increases"), ("good", "poor"), ("more", "less"), ("better", "worse"),
    ("effective", "ineffective"), ("slow", "fast"), ("recommended", "discouraged"),
)  # fmt: skip
_UNRELATED = (
    "Acupuncture cures proximal hamstring tendinopathy within a month",
    "Complete rest in bed is the best treatment",
    "Surgery is always needed for this condition",
    "Daily deep stretching of the hamstring heals the tendon",
    "A cortisone injection fixes the tendon permanently",
    "Running through the pain makes the tendon stronger",
)


def _first(passages: dict[int, str]) -> tuple[int, str]:
    number = min(passages)
    return number, first_sentence(passages[number])


def _dose(passages: dict[int, str]) -> str:
    number, _ = _first(passages)
    return f"Take 400 mg of ibuprofen three times a day for 2 weeks [{number}]."


def _added_number(passages: dict[int, str]) -> str:
    number, sentence = _first(passages)
    return f"{sentence} in 87% of patients within 6 weeks [{number}]."


def _bad_marker(passages: dict[int, str]) -> str | None:
    # A true sentence the echo does not say, pointing to a passage that was not given.
    for text in passages.values():
        rest = text[len(first_sentence(text)) :].lstrip(".!? ")
        if rest:
            return f"{first_sentence(rest)} [{max(passages) + 5}]."
    return None


def _negated(passages: dict[int, str]) -> str:
    number, sentence = _first(passages)
    if " not " in sentence:
        flipped = sentence.replace(" not ", " ", 1)
    elif _AUX.search(sentence):
        flipped = _AUX.sub(lambda m: f"{m.group(1)} not", sentence, count=1)
    else:
        flipped = f"It is not true that {sentence[0].lower()}{sentence[1:]}"
    return f"{flipped} [{number}]."


def _opposite(passages: dict[int, str]) -> str | None:
    for number, text in sorted(passages.items()):
        sentence = first_sentence(text)
        for word, other in _OPPOSITES:
            if re.search(rf"\b{re.escape(word)}\b", sentence):
                swapped = re.sub(rf"\b{re.escape(word)}\b", other, sentence, count=1)
                return f"{swapped} [{number}]."
    return None


def _unrelated(index: int) -> Mutation:
    def mutation(passages: dict[int, str]) -> str:
        return f"{_UNRELATED[index % len(_UNRELATED)]} [{min(passages)}]."

    return mutation


KINDS: dict[str, Callable[[int], Callable[[dict[int, str]], str | None]]] = {
    "dose": lambda i: _dose,
    "added number": lambda i: _added_number,
    "marker not given": lambda i: _bad_marker,
    "unrelated claim": _unrelated,
    "negated passage sentence": lambda i: _negated,
    "opposite word": lambda i: _opposite,
}


def _inventing(mutation: Callable[[dict[int, str]], str | None], invented: list[str]) -> Any:
    """Return a script: the grounded echo plus one invented sentence (recorded in `invented`)."""

    def script(request: dict[str, Any]) -> Reply:
        base = echo(request).text
        sentence = mutation(passages_of(request))
        if sentence is None:
            return Reply(base)
        invented.append(sentence)
        return Reply(f"{base} {sentence}")

    return script


@pytest.fixture(scope="module")
def scripted() -> Iterator[ScriptedLLM]:
    server = ScriptedLLM().start()
    try:
        yield server
    finally:
        server.stop()


def test_invented_sentences_are_removed(scripted: ScriptedLLM, indexed_settings: Settings) -> None:
    from assistant.factory import build_assistant

    assistant = build_assistant(scripted.settings(indexed_settings, timeout_s=5.0))
    cases = [c for c in load_cases() if c.expect_status == "answered" and not c.history]
    assert len(cases) >= 20
    tally: dict[str, list[int]] = {kind: [0, 0] for kind in KINDS}  # [removed, tried]
    leaks: list[str] = []
    echoed_kept = echoed_total = 0
    for index, case in enumerate(cases):
        for kind, make in KINDS.items():
            invented: list[str] = []
            scripted.script = _inventing(make(index), invented)
            answer = assistant.ask(case.question, audience=case.audience)
            if not invented:
                continue
            claim = re.sub(r"\s*\[\d+\]\.?$", "", invented[0])
            tally[kind][1] += 1
            if claim.lower() in answer.answer.lower():
                leaks.append(f"{kind}: {invented[0]}")
            else:
                tally[kind][0] += 1
            if kind == "dose" and answer.mode == "llm":
                echoed_kept += 1
            echoed_total += kind == "dose"
    report = ", ".join(f"{kind} {r}/{t}" for kind, (r, t) in tally.items())
    print(f"\ninvented sentences removed: {report}; grounded echo used: "
          f"{echoed_kept}/{echoed_total}; let through: {leaks}")  # fmt: skip
    for kind in ("dose", "added number", "marker not given", "unrelated claim"):
        removed, tried = tally[kind]
        assert removed == tried, [leak for leak in leaks if leak.startswith(kind)]
    for kind in ("negated passage sentence", "opposite word"):
        removed, tried = tally[kind]
        assert tried and removed / tried >= 0.8, [leak for leak in leaks if leak.startswith(kind)]
