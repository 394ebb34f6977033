"""Reviewed "questions this passage answers": one strict sidecar per document, mapped to chunks.

`corpus/questions/<doc_id>.yaml` names each passage by its section and a short verbatim anchor;
the anchor is matched against the document's chunks when ingest runs, so the file survives
re-chunking and a curator can read it beside `pht-ingest --show DOC`. Every problem (unknown key,
an anchor that matches no chunk or several, two entries for one chunk, a sidecar for an unknown
document) is one CorpusError naming the file and the entry. A document without a sidecar simply
has no questions. `questions/drafts/` holds proposals (`pht-ingest --draft-questions`): never read
here, never indexed.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assistant.errors import CorpusError
from assistant.types import Chunk

__all__ = [
    "QUESTIONS_DIR",
    "DRAFTS_DIR",
    "REGISTERS",
    "QuestionRecord",
    "QuestionFile",
    "PassageEntry",
    "parse_sidecar",
    "map_sidecar",
    "load_questions",
    "question_id",
]

QUESTIONS_DIR = "questions"
DRAFTS_DIR = "drafts"
REGISTERS: tuple[str, ...] = ("patient", "slang", "typo", "indirect", "clinician", "yes_no")
_MAX_QUESTION_CHARS = 300
_MAX_ANCHOR_CHARS = 200


class Registers(BaseModel):
    """A passage's questions, by register (any other key is an error)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    patient: list[str] = Field(default_factory=list)
    slang: list[str] = Field(default_factory=list)
    typo: list[str] = Field(default_factory=list)
    indirect: list[str] = Field(default_factory=list)
    clinician: list[str] = Field(default_factory=list)
    yes_no: list[str] = Field(default_factory=list)

    def items(self) -> list[tuple[str, str]]:
        """Return [(register, question)] in file order."""
        return [(name, text) for name in REGISTERS for text in getattr(self, name)]


class PassageEntry(BaseModel):
    """One passage (section + anchor) and the questions it answers."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    section: str
    anchor: str = Field(min_length=3, max_length=_MAX_ANCHOR_CHARS)
    questions: Registers


class QuestionFile(BaseModel):
    """A document's question sidecar."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    doc_id: str
    review_status: Literal["not_independently_reviewed", "curator_reviewed", "draft"]
    review_note: str = ""
    passages: list[PassageEntry]


@dataclass(frozen=True)
class QuestionRecord:
    """One question, indexed beside the chunk it maps to."""

    question_id: str
    chunk_id: str
    doc_id: str
    text: str
    register: str


def question_id(chunk_id: str, text: str) -> str:
    """Return the stable id of a question: its chunk id plus a hash of its normalised text."""
    digest = hashlib.sha256(_normal(text).encode()).hexdigest()[:12]
    return f"{chunk_id}:q{digest}"


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def _describe(error: ValidationError, raw: object) -> str:
    first = error.errors()[0]
    loc = list(first["loc"])
    where = ""
    if len(loc) >= 2 and loc[0] == "passages" and isinstance(loc[1], int):
        passages = raw.get("passages") if isinstance(raw, dict) else None
        entry = passages[loc[1]] if isinstance(passages, list) else None
        anchor = entry.get("anchor") if isinstance(entry, dict) else None
        where = f"passage #{loc[1] + 1}" + (f" (anchor {anchor!r})" if anchor else "")
        loc = loc[2:]
    field = ".".join(str(part) for part in loc)
    if first["type"] == "extra_forbidden":
        problem = "unknown key"
        if field.startswith("questions."):
            problem += f" (registers: {', '.join(REGISTERS)})"
    else:
        problem = first["msg"]
    return f"{where} field '{field}': {problem}".strip()


def _read_text(path: Path, root: Path, limit: int) -> str:
    """Return a sidecar's text: a regular file inside `root`, at most `limit` bytes, UTF-8."""
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError) as exc:
        raise CorpusError(f"{path}: unusable question file ({exc}).") from exc
    if not resolved.is_relative_to(root.resolve()):
        raise CorpusError(f"{path}: a link to a file outside the corpus folder; copy it in.")
    try:
        fd = os.open(resolved, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise CorpusError(f"{path}: cannot be read ({exc.strerror}).") from exc
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise CorpusError(f"{path}: not a regular file.")
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise CorpusError(f"{path}: larger than {limit:,} bytes (PHT_MAX_MANIFEST_BYTES).")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CorpusError(f"{path}: not UTF-8 (invalid byte at offset {exc.start}).") from exc


def parse_sidecar(path: Path, text: str, limit: int = 1_000_000) -> QuestionFile:
    """Return the validated sidecar in `text` (CorpusError naming `path` and the entry)."""
    raw = _load_yaml(path, text, limit)
    try:
        sidecar = QuestionFile.model_validate(raw)
    except ValidationError as exc:
        raise CorpusError(f"{path}: {_describe(exc, raw)}.") from exc
    seen: dict[str, int] = {}
    for number, entry in enumerate(sidecar.passages, start=1):
        for register, question in entry.questions.items():
            key = _normal(question)
            if not key or len(question) > _MAX_QUESTION_CHARS:
                raise CorpusError(
                    f"{path}: passage #{number} ({entry.anchor!r}) {register} question "
                    f"{question[:60]!r}: empty or longer than {_MAX_QUESTION_CHARS} characters."
                )
            if key in seen:
                raise CorpusError(
                    f"{path}: passage #{number} ({entry.anchor!r}): question {question!r} is "
                    f"already listed under passage #{seen[key]}; keep it once, where it fits best."
                )
            seen[key] = number
    return sidecar


def _load_yaml(path: Path, text: str, limit: int) -> object:
    # Aliases are refused outright: a reviewed list of questions has no need of them, and an
    # alias bomb would expand it far past the size that was checked.
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        seen: set[int] = set()
        stack = [node]
        while stack:
            current = stack.pop()
            # The composer hands back the anchored node itself for every alias of it.
            if id(current) in seen:
                raise CorpusError(f"{path}: YAML aliases are not allowed here; write it out.")
            seen.add(id(current))
            if len(seen) > limit:
                raise CorpusError(f"{path}: too many YAML nodes.")
            if isinstance(current, yaml.SequenceNode):
                stack.extend(current.value)
            elif isinstance(current, yaml.MappingNode):
                keys: set[str] = set()
                for key_node, value_node in current.value:
                    # PyYAML keeps the last of two equal keys; a reviewer would read the first.
                    name = str(key_node.value)
                    if name in keys:
                        line = key_node.start_mark.line + 1
                        raise CorpusError(f"{path}: line {line}: duplicate key '{name}'.")
                    keys.add(name)
                    stack.extend((key_node, value_node))
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        problem = " ".join(str(exc).split())
        raise CorpusError(f"{path}: not valid YAML ({problem}).") from exc
    finally:
        loader.dispose()


def map_sidecar(path: Path, sidecar: QuestionFile, chunks: Sequence[Chunk]) -> list[QuestionRecord]:
    """Return the sidecar's questions, each mapped to the one chunk its anchor names."""
    own = [chunk for chunk in chunks if chunk.doc_id == sidecar.doc_id]
    normal_text = {chunk.chunk_id: _normal(chunk.text) for chunk in own}
    claimed: dict[str, int] = {}
    records: list[QuestionRecord] = []
    for number, entry in enumerate(sidecar.passages, start=1):
        where = f"{path}: passage #{number} (section {entry.section!r}, anchor {entry.anchor!r})"
        in_section = [chunk for chunk in own if chunk.section == entry.section]
        if not in_section:
            sections = sorted({chunk.section for chunk in own})
            raise CorpusError(
                f"{where}: document '{sidecar.doc_id}' has no section of that name "
                f"(it has: {'; '.join(sections)})."
            )
        anchor = _normal(entry.anchor)
        found = [chunk for chunk in in_section if anchor in normal_text[chunk.chunk_id]]
        if not found:
            raise CorpusError(
                f"{where}: the anchor matches no passage of that section; copy a phrase from "
                f"`pht-ingest --show {sidecar.doc_id}`."
            )
        if len(found) > 1:
            raise CorpusError(
                f"{where}: the anchor matches {len(found)} passages of that section; quote more "
                "of the passage so that it names one."
            )
        chunk = found[0]
        if chunk.chunk_id in claimed:
            raise CorpusError(
                f"{where}: names the same passage as passage #{claimed[chunk.chunk_id]}; merge "
                "the two entries."
            )
        claimed[chunk.chunk_id] = number
        records.extend(
            QuestionRecord(
                question_id=question_id(chunk.chunk_id, text),
                chunk_id=chunk.chunk_id,
                doc_id=sidecar.doc_id,
                text=" ".join(text.split()),
                register=register,
            )
            for register, text in entry.questions.items()
        )
    return records


def load_questions(
    corpus_dir: Path, chunks: Sequence[Chunk], doc_ids: Iterable[str], limit: int = 1_000_000
) -> list[QuestionRecord]:
    """Return every reviewed question of `corpus_dir/questions/`, mapped to `chunks`."""
    folder = corpus_dir / QUESTIONS_DIR
    if not folder.is_dir():
        return []
    known = set(doc_ids)
    records: list[QuestionRecord] = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or path.name == DRAFTS_DIR:
            continue
        if path.suffix != ".yaml":
            raise CorpusError(
                f"{path}: only <doc_id>.yaml question files (and the {DRAFTS_DIR}/ folder) belong "
                f"in {folder}."
            )
        doc_id = path.stem
        if doc_id not in known:
            raise CorpusError(
                f"{path}: no document '{doc_id}' in the manifest; rename the file to its "
                "document's id or remove it."
            )
        sidecar = parse_sidecar(path, _read_text(path, corpus_dir, limit), limit)
        if sidecar.doc_id != doc_id:
            raise CorpusError(
                f"{path}: doc_id '{sidecar.doc_id}' does not match the file name '{doc_id}'."
            )
        if sidecar.review_status == "draft":
            raise CorpusError(
                f"{path}: review_status is 'draft'; review every question, then set it to "
                "curator_reviewed (drafts are never indexed)."
            )
        records.extend(map_sidecar(path, sidecar, chunks))
    return records
