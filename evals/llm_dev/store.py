"""The stored data of the LLM-mode dev comparison: what reached the model, and the replies.

`captured.json` (written by `evals.llm_dev.capture`) holds, per dev case, the status the product
gave, the retrieval hits it composed from (chunk ids and scores) and the numbered passages it sent
the model; every chunk it names is stored once, verbatim, so the replay does not depend on the
index or on retrieval as they are later. `replies.yaml` holds the reviewed model replies, keyed by
case id, each with the hash of the passages it was written against (`passages_hash`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from assistant.types import Chunk, Hit

__all__ = [
    "CAPTURE_PATH",
    "REPLIES_PATH",
    "CapturedCase",
    "Capture",
    "Reply",
    "StoreError",
    "passages_hash",
    "chunk_to_dict",
    "chunk_from_dict",
    "hit_to_dict",
    "load_capture",
    "save_capture",
    "load_replies",
]

HERE = Path(__file__).parent
CAPTURE_PATH = HERE / "captured.json"
REPLIES_PATH = HERE / "replies.yaml"

_DOCUMENT_LISTS = ("references", "topics")
"""Document-level metadata every chunk repeats; the composers read it from the documents."""
_HIT_SCORES = ("fused", "dense", "lexical", "dense_rank", "lexical_rank", "question",
               "question_rank")  # fmt: skip


class StoreError(ValueError):
    """A capture or replies file that does not have the expected shape."""


def passages_hash(passages: Sequence[tuple[int, str]]) -> str:
    """Return the hash of numbered passage texts, as the model saw them (16 hex digits)."""
    data = json.dumps([[n, " ".join(t.split())] for n, t in passages], ensure_ascii=False)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()[:16]


def chunk_to_dict(chunk: Chunk) -> dict[str, Any]:
    """Return a chunk as JSON-ready data (document-level lists left out)."""
    meta = {k: v for k, v in sorted(chunk.metadata.items()) if k not in _DOCUMENT_LISTS}
    return {
        "doc_id": chunk.doc_id, "text": chunk.text, "section": chunk.section,
        "start": chunk.start, "end": chunk.end, "kind": chunk.kind, "refs": list(chunk.refs),
        "metadata": meta,
    }  # fmt: skip


def chunk_from_dict(chunk_id: str, data: Mapping[str, Any]) -> Chunk:
    """Return the Chunk stored as `data`."""
    return Chunk(
        chunk_id, data["doc_id"], data["text"], data["section"], int(data["start"]),
        int(data["end"]), data["kind"], tuple(data["refs"]), dict(data["metadata"]),
    )  # fmt: skip


def hit_to_dict(hit: Hit) -> dict[str, Any]:
    """Return a hit's chunk id and scores."""
    return {"chunk_id": hit.chunk.chunk_id, **{k: getattr(hit, k) for k in _HIT_SCORES}}


@dataclass(frozen=True)
class CapturedCase:
    """One dev case as the product handled it in LLM mode."""

    id: str
    split: str
    family: str
    question: str
    audience: str
    history: tuple[tuple[str, str], ...]
    status: str
    hits: tuple[Mapping[str, Any], ...]
    passages: tuple[str, ...]
    """The chunk ids of the numbered passages sent to the model (passage n is index n-1)."""
    passages_hash: str
    """`passages_hash` of what was sent; empty when no request reached the model."""

    @property
    def sent(self) -> bool:
        """Return True when the product asked the model (it composed an answer)."""
        return bool(self.passages)

    def history_dicts(self) -> list[dict[str, str]]:
        """Return the history as `Assistant.ask` takes it."""
        return [{"role": role, "content": content} for role, content in self.history]

    def as_dict(self) -> dict[str, Any]:
        """Return the case as the capture file holds it."""
        return {
            "id": self.id, "split": self.split, "family": self.family,
            "question": self.question, "audience": self.audience,
            "history": [list(turn) for turn in self.history], "status": self.status,
            "hits": [dict(h) for h in self.hits], "passages": list(self.passages),
            "passages_hash": self.passages_hash,
        }  # fmt: skip


@dataclass(frozen=True)
class Capture:
    """Every captured case, and every chunk they name."""

    cases: tuple[CapturedCase, ...]
    chunks: Mapping[str, Chunk]

    def hits(self, case: CapturedCase) -> list[Hit]:
        """Return the retrieval hits of a case, rebuilt from the stored chunks and scores."""
        out = []
        for stored in case.hits:
            scores = {k: stored[k] for k in _HIT_SCORES if k in stored}
            out.append(Hit(chunk=self.chunks[stored["chunk_id"]], **scores))
        return out

    def sent_passages(self, case: CapturedCase) -> list[tuple[int, str]]:
        """Return the numbered passage texts the case sent to the model."""
        return [(n, self.chunks[cid].text) for n, cid in enumerate(case.passages, start=1)]


def save_capture(cases: Iterable[CapturedCase], chunks: Mapping[str, Chunk], path: Path) -> None:
    """Write the capture file (cases in order, chunks sorted by id)."""
    # One case a line: a diff after a re-capture names the cases that changed.
    lines = [json.dumps(c.as_dict(), ensure_ascii=False) for c in cases]
    stored = json.dumps(
        {cid: chunk_to_dict(chunks[cid]) for cid in sorted(chunks)}, ensure_ascii=False, indent=1
    )
    text = '{"cases": [\n' + ",\n".join(lines) + '\n],\n"chunks": ' + stored + "}\n"
    path.write_text(text, encoding="utf-8")


def load_capture(path: Path = CAPTURE_PATH) -> Capture:
    """Return the capture file's cases and chunks (StoreError when it is inconsistent)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    chunks = {cid: chunk_from_dict(cid, c) for cid, c in data["chunks"].items()}
    cases = []
    for raw in data["cases"]:
        case = CapturedCase(
            id=raw["id"], split=raw["split"], family=raw["family"], question=raw["question"],
            audience=raw["audience"], history=tuple((r, c) for r, c in raw["history"]),
            status=raw["status"], hits=tuple(raw["hits"]), passages=tuple(raw["passages"]),
            passages_hash=raw["passages_hash"],
        )  # fmt: skip
        named = [h["chunk_id"] for h in case.hits] + list(case.passages)
        missing = [cid for cid in named if cid not in chunks]
        if missing:
            raise StoreError(f"{path}: case {case.id}: chunk {missing[0]!r} is not stored")
        if case.passages:
            found = passages_hash([(n, chunks[cid].text) for n, cid in
                                   enumerate(case.passages, start=1)])  # fmt: skip
            if found != case.passages_hash:
                raise StoreError(f"{path}: case {case.id}: passages_hash does not match")
        cases.append(case)
    return Capture(tuple(cases), chunks)


@dataclass(frozen=True)
class Reply:
    """A reviewed model reply to one case, and the passages it was written against."""

    case_id: str
    passages_hash: str
    text: str


def load_replies(path: Path = REPLIES_PATH) -> dict[str, Reply]:
    """Return the replies by case id (StoreError on a missing field or an empty reply)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise StoreError(f"{path}: expected a mapping of case id to reply")
    out = {}
    for case_id, entry in data.items():
        if not isinstance(entry, dict) or set(entry) != {"passages_hash", "reply"}:
            raise StoreError(f"{path}: {case_id}: needs exactly passages_hash and reply")
        text = " ".join(str(entry["reply"]).split())
        if not text:
            raise StoreError(f"{path}: {case_id}: empty reply")
        out[str(case_id)] = Reply(str(case_id), str(entry["passages_hash"]), text)
    return out
