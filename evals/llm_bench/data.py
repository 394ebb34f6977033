"""The paraphrase benchmark's records: strict models and the loader that names every error.

bench.jsonl holds one request per line: the question (with its audience and history), the
numbered passages the product sent to the model (verbatim), a faithful model-style reply and
adversarial replies, each split into its sentences, with exactly one wrong sentence labelled.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from assistant.errors import PHTError

__all__ = [
    "ADVERSARIAL_TYPES",
    "BENCH_PATH",
    "BenchError",
    "BenchPassage",
    "BenchRecord",
    "Adversarial",
    "Faithful",
    "anchors_of",
    "load_bench",
]

BENCH_PATH = Path(__file__).with_name("bench.jsonl")

AdversarialType = Literal[
    "changed_number", "range_endpoint", "flipped_recommendation", "negation_dropped",
    "negation_added", "invented_treatment", "invented_dose", "wrong_marker",
    "overgeneralisation", "antonym_swap", "word_preserving",
]  # fmt: skip
ADVERSARIAL_TYPES: tuple[str, ...] = AdversarialType.__args__  # type: ignore[attr-defined]

_ANCHOR = re.compile(r'\[(\d+):\s*"([^"]+)"\]')


def anchors_of(sentence: str) -> list[tuple[int, str]]:
    """Return the (passage number, quote) anchors of a reply sentence, in order."""
    return [(int(n), quote) for n, quote in _ANCHOR.findall(sentence)]


class BenchError(PHTError):
    """The benchmark file is unreadable or a record is invalid."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Turn(_Strict):
    """One earlier chat turn."""

    role: Literal["user", "assistant"]
    content: str = Field(min_length=1)


class BenchPassage(_Strict):
    """A passage as the product sent it to the model: its number and the chunk, verbatim."""

    number: int = Field(ge=1)
    chunk_id: str = Field(min_length=1)
    doc_id: str = Field(min_length=1)
    title: str
    section: str
    kind: str
    text: str = Field(min_length=1)


class Faithful(_Strict):
    """The faithful reply: sentences, and the fact (facts.yaml id, or None for a gap) of each."""

    sentences: tuple[str, ...] = Field(min_length=1)
    facts: tuple[str | None, ...]

    @model_validator(mode="after")
    def _one_fact_per_sentence(self) -> Faithful:
        if len(self.facts) != len(self.sentences):
            raise ValueError("facts must name one fact (or null) per sentence")
        return self


class Adversarial(_Strict):
    """A reply with exactly one wrong sentence, of a labelled type."""

    type: AdversarialType
    sentences: tuple[str, ...] = Field(min_length=1)
    wrong: int = Field(ge=0)
    """Index of the wrong sentence; every other sentence is one of the faithful reply's."""
    source: str

    @model_validator(mode="after")
    def _wrong_in_range(self) -> Adversarial:
        if self.wrong >= len(self.sentences):
            raise ValueError(f"wrong={self.wrong} but there are {len(self.sentences)} sentences")
        return self


class BenchRecord(_Strict):
    """One request the product built, with its faithful and adversarial replies."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    family: str = Field(min_length=1)
    split: Literal["train", "test"]
    question: str = Field(min_length=1)
    audience: Literal["patient", "clinician"]
    history: tuple[Turn, ...] = ()
    status: str
    passages: tuple[BenchPassage, ...] = Field(min_length=1)
    faithful: Faithful
    adversarial: tuple[Adversarial, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> BenchRecord:
        numbers = [p.number for p in self.passages]
        if numbers != list(range(1, len(numbers) + 1)):
            raise ValueError(f"passages must be numbered 1..n, got {numbers}")
        texts = {p.number: p.text for p in self.passages}
        for sentence, fact in zip(self.faithful.sentences, self.faithful.facts, strict=True):
            anchors = anchors_of(sentence)
            if fact is not None and not anchors:
                raise ValueError(f"faithful sentence without an anchor: {sentence!r}")
            for number, quote in anchors:
                if quote not in texts.get(number, ""):
                    raise ValueError(f"quote not verbatim in passage {number}: {quote!r}")
        faithful = set(self.faithful.sentences)
        for reply in self.adversarial:
            others = [s for i, s in enumerate(reply.sentences) if i != reply.wrong]
            if not set(others) <= faithful:
                raise ValueError(f"{reply.type}: only the wrong sentence may differ")
            if reply.sentences[reply.wrong] in faithful:
                raise ValueError(f"{reply.type}: the wrong sentence is a faithful one")
        return self

    def history_dicts(self) -> list[dict[str, str]]:
        """Return the history as {"role", "content"} mappings."""
        return [{"role": t.role, "content": t.content} for t in self.history]


def _records(lines: Iterable[str], where: Path) -> list[BenchRecord]:
    records: list[BenchRecord] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            records.append(BenchRecord.model_validate(json.loads(line)))
        except (json.JSONDecodeError, ValidationError) as exc:
            raise BenchError(f"{where}, line {number}: {exc}") from exc
    return records


def load_bench(path: Path = BENCH_PATH) -> list[BenchRecord]:
    """Return every benchmark record (BenchError naming the file and line of any problem)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise BenchError(f"Cannot read the LLM benchmark {path}: {exc}") from exc
    records = _records(lines, path)
    ids = [r.id for r in records]
    if len(ids) != len(set(ids)):
        raise BenchError(f"{path}: repeated record ids")
    splits: dict[str, set[str]] = {}
    for record in records:
        splits.setdefault(record.family, set()).add(record.split)
    mixed = sorted(f for f, s in splits.items() if len(s) > 1)
    if mixed:
        raise BenchError(f"{path}: families in both splits: {', '.join(mixed)}")
    return records
