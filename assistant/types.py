"""The data that crosses module boundaries: chunks, citations and the Answer contract.

The Answer's JSON form is a contract (../shared/DESIGN.md): `pht-ask --json`, the eval report and
the UI all read it. Add keys only on purpose; never rename one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

__all__ = [
    "Status",
    "STATUSES",
    "Audience",
    "Turn",
    "History",
    "Request",
    "Chunk",
    "Hit",
    "Citation",
    "Candidate",
    "Answer",
    "DocumentView",
]

Status = Literal["answered", "not_covered", "out_of_scope", "urgent"]
STATUSES: tuple[str, ...] = ("answered", "not_covered", "out_of_scope", "urgent")
Audience = Literal["patient", "clinician"]

Turn = Mapping[str, str]
"""One chat turn: {"role": "user" | "assistant", "content": "..."}."""
History = Sequence[Turn]


@dataclass(frozen=True)
class Request:
    """A question as every stage receives it: cleaned, with the whole conversation before it."""

    question: str
    """Cleaned (`language.normalise.clean_question`)."""
    history: tuple[dict[str, str], ...] = ()
    """Every earlier turn, oldest first (the safety gate reads all user turns)."""
    audience: Audience = "patient"


@dataclass(frozen=True)
class Chunk:
    """One indexed passage of a cleaned corpus document."""

    chunk_id: str
    doc_id: str
    text: str
    section: str
    start: int
    """Character offset of `text` in the cleaned document."""
    end: int
    kind: str = "paragraph"
    """paragraph | table_row | list | heading_only"""
    refs: tuple[str, ...] = ()
    """Reference markers the source attached to this passage, e.g. ("2", "3")."""
    metadata: dict[str, Any] = field(default_factory=dict)
    """Document metadata from the manifest (title, publisher, date, review status, ...)."""


@dataclass(frozen=True)
class Hit:
    """One retrieved chunk with its scores."""

    chunk: Chunk
    fused: float
    dense: float = 0.0
    """Cosine similarity of the query and the chunk (0 when only BM25 found it)."""
    lexical: float = 0.0
    dense_rank: int | None = None
    lexical_rank: int | None = None
    question: float = 0.0
    """Cosine similarity of the query and the chunk's nearest reviewed question (0: none found)."""
    question_rank: int | None = None


@dataclass(frozen=True)
class Citation:
    """A passage an answer cites, with what a clinician needs to check it."""

    marker: int
    chunk_id: str
    doc_id: str
    title: str
    section: str
    publisher: str
    source: str
    text: str
    score: float
    date: str = ""
    review_status: str = ""
    kind: str = ""
    audience: str = ""
    refs: list[str] = field(default_factory=list)
    highlights: list[str] = field(default_factory=list)
    """The sentences of `text` that the answer used (for highlighting)."""
    quotes: list[dict[str, str]] = field(default_factory=list)
    """LLM mode: {"sentence": answer sentence, "quote": the exact words of `text` it rests
    on}, one per anchored sentence (verified verbatim), for the UI to show with the answer."""
    start: int = 0
    end: int = 0


@dataclass(frozen=True)
class Candidate:
    """A passage that retrieval returned, cited or not (shown in the clinician view)."""

    chunk_id: str
    doc_id: str
    section: str
    score: float
    text: str = ""
    dense_rank: int | None = None
    lexical_rank: int | None = None
    cited: bool = False


@dataclass
class Answer:
    """What the assistant returns for one question (see DESIGN.md, 'Answer')."""

    question: str
    status: Status
    answer: str
    citations: list[Citation]
    disclaimer: str
    mode: str = "extractive"
    corpus_version: str = ""
    timings_ms: dict[str, float] = field(default_factory=dict)
    rule_id: str | None = None
    """The safety rule that made the answer urgent, if any."""
    retrieved: list[Candidate] = field(default_factory=list)
    notice: str | None = None
    """A short note for the UI, e.g. that LLM mode fell back to the extractive answer."""
    audience: str = "patient"

    def to_dict(self) -> dict[str, Any]:
        """Return the Answer as plain JSON-ready data."""
        return asdict(self)

    def to_json(self, **kwargs: Any) -> str:
        """Return the Answer as one JSON document."""
        return json.dumps(self.to_dict(), ensure_ascii=False, **kwargs)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Answer:
        """Return an Answer rebuilt from `to_dict()` output (e.g. a stored report)."""
        data = dict(data)
        data["citations"] = [Citation(**c) for c in data.get("citations", [])]
        data["retrieved"] = [Candidate(**c) for c in data.get("retrieved", [])]
        return cls(**data)


@dataclass(frozen=True)
class DocumentView:
    """An indexed document as the Sources page shows it: manifest metadata and its chunks."""

    doc_id: str
    metadata: dict[str, Any]
    chunks: list[Chunk]
    """In document order (by `start`)."""
