"""The corpus manifest: strict metadata for every curated document."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assistant.errors import CorpusError

__all__ = ["DocumentEntry", "Manifest", "load_manifest", "MANIFEST_NAME", "DOCUMENT_SUFFIXES"]

MANIFEST_NAME = "manifest.yaml"
DOCUMENT_SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf")

ReviewStatus = Literal[
    "not_independently_reviewed", "ai_generated_pending_review", "clinically_reviewed"
]


class DocumentEntry(BaseModel):
    """One curated document as the manifest describes it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{2,80}$")
    file: str
    title: str
    publisher: str
    author: str = ""
    kind: str
    audience: str
    date: str
    source: str
    references: list[str] = Field(default_factory=list)
    references_note: str = ""
    review_status: ReviewStatus
    review_note: str = ""

    def metadata(self) -> dict[str, str]:
        """Return the fields a citation carries, as flat strings (Chroma metadata)."""
        return {
            "doc_id": self.id,
            "title": self.title,
            "publisher": self.publisher,
            "author": self.author,
            "kind": self.kind,
            "audience": self.audience,
            "date": self.date,
            "source": self.source,
            "references": "\n".join(self.references),
            "references_note": self.references_note,
            "review_status": self.review_status,
            "review_note": self.review_note,
        }


class Manifest(BaseModel):
    """All curated documents."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    documents: list[DocumentEntry]


def _describe(error: ValidationError, raw: object) -> str:
    first = error.errors()[0]
    loc = list(first["loc"])
    where = ""
    if len(loc) >= 2 and loc[0] == "documents" and isinstance(loc[1], int):
        entry = raw["documents"][loc[1]] if isinstance(raw, dict) else None
        name = entry.get("id") if isinstance(entry, dict) else None
        where = f"document #{loc[1] + 1}" + (f" ({name})" if name else "")
        loc = loc[2:]
    field = ".".join(str(part) for part in loc)
    problem = "unknown key" if first["type"] == "extra_forbidden" else first["msg"]
    return f"{where} field '{field}': {problem}".strip()


def load_manifest(corpus_dir: Path) -> Manifest:
    """Return the parsed manifest of `corpus_dir`, checked against the files that are there."""
    path = corpus_dir / MANIFEST_NAME
    if not corpus_dir.is_dir():
        raise CorpusError(f"Corpus folder {corpus_dir} does not exist: set PHT_CORPUS_DIR.")
    if not path.is_file():
        raise CorpusError(f"{path}: no manifest; every corpus folder needs one.")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise CorpusError(f"{path}: not valid YAML ({exc}).") from exc
    try:
        manifest = Manifest.model_validate(raw)
    except ValidationError as exc:
        raise CorpusError(f"{path}: {_describe(exc, raw)}.") from exc

    seen_ids: set[str] = set()
    seen_files: set[str] = set()
    for entry in manifest.documents:
        if entry.id in seen_ids:
            raise CorpusError(f"{path}: document id '{entry.id}' is listed twice.")
        if entry.file in seen_files:
            raise CorpusError(f"{path}: file '{entry.file}' is listed twice.")
        seen_ids.add(entry.id)
        seen_files.add(entry.file)
        doc_path = corpus_dir / entry.file
        if not doc_path.is_file():
            raise CorpusError(f"{doc_path}: listed in the manifest as '{entry.id}' but missing.")
        if doc_path.suffix.lower() not in DOCUMENT_SUFFIXES:
            raise CorpusError(
                f"{doc_path}: unsupported type; use one of {', '.join(DOCUMENT_SUFFIXES)}."
            )
    for candidate in sorted(corpus_dir.iterdir()):
        if candidate.name == MANIFEST_NAME or candidate.name.startswith("."):
            continue
        if candidate.is_file() and candidate.name not in seen_files:
            raise CorpusError(
                f"{candidate}: not listed in {MANIFEST_NAME}; add an entry for it or remove it."
            )
    return manifest
