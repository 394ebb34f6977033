"""The corpus manifest: strict metadata for every curated document."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assistant.errors import CorpusError
from assistant.settings import Settings

__all__ = [
    "DocumentEntry",
    "Manifest",
    "load_manifest",
    "document_path",
    "MANIFEST_NAME",
    "DOCUMENT_SUFFIXES",
]

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
    url: str = Field(default="", pattern=r"^(https?://[^\s<>\"'`]+)?$")
    """The original page (http or https only; empty when unknown). Source cards link to it."""
    references: list[str] = Field(default_factory=list)
    references_note: str = ""
    topics: list[str] = Field(default_factory=list)
    """What the document covers, in plain words ("It covers ..." when the guidance is silent)."""
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
            "url": self.url,
            "references": "\n".join(self.references),
            "references_note": self.references_note,
            "topics": "\n".join(self.topics),
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


def _expanded_size(root: yaml.Node, limit: int) -> int:
    """Return the characters of `root` with every alias written out (stops past `limit`)."""
    sizes: dict[int, int] = {}
    busy: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in busy:  # an alias inside its own anchor: endless once expanded
            return limit + 1
        busy.add(key)
        if isinstance(node, yaml.ScalarNode):
            total = len(str(node.value)) + 1
        elif isinstance(node, yaml.SequenceNode):
            total = 1
            for item in node.value:
                total += size(item)
                if total > limit:
                    break
        else:
            total = 1
            for key_node, value_node in node.value:
                total += size(key_node) + size(value_node)
                if total > limit:
                    break
        busy.discard(key)
        sizes[key] = min(total, limit + 1)
        return sizes[key]

    return size(root)


def _parse_yaml(path: Path, text: str, limit: int) -> object:
    """Return the YAML data of `text`, refusing aliases that expand it past `limit` characters.

    Aliases share one object once loaded, but everything downstream (validation, metadata,
    every chunk) copies the value each time it appears: 300 aliases of a 1 MB string became GBs.
    The size is measured on the composed node graph, before any value is built.
    """
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _expanded_size(node, limit) > limit:
            raise CorpusError(
                f"{path}: YAML aliases expand the manifest past {limit:,} characters "
                "(PHT_MAX_MANIFEST_BYTES); write repeated values out instead of using aliases."
            )
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        problem = " ".join(str(exc).split())
        raise CorpusError(f"{path}: not valid YAML ({problem}).") from exc
    except RecursionError as exc:
        raise CorpusError(f"{path}: not valid YAML (nested too deeply).") from exc
    finally:
        loader.dispose()


def _read_manifest(path: Path, limit: int) -> str:
    size = path.stat().st_size
    if size > limit:
        raise CorpusError(
            f"{path}: {size:,} bytes, over the {limit:,}-byte limit (PHT_MAX_MANIFEST_BYTES)."
        )
    with path.open("rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise CorpusError(f"{path}: larger than {limit:,} bytes (PHT_MAX_MANIFEST_BYTES).")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CorpusError(f"{path}: not valid YAML (not UTF-8 at offset {exc.start}).") from exc


def document_path(corpus_dir: Path, entry: DocumentEntry) -> Path:
    """Return where `entry`'s file really is (symlinks resolved), refusing paths outside."""
    root = corpus_dir.resolve()
    try:
        resolved = (root / entry.file).resolve()
    except (OSError, ValueError, RuntimeError) as exc:  # NUL byte, symlink loop
        raise CorpusError(
            f"{root / MANIFEST_NAME}: document '{entry.id}' has an unusable file {entry.file!r} "
            f"({exc})."
        ) from exc
    if not resolved.is_relative_to(root) or resolved == root:
        raise CorpusError(
            f"{root / MANIFEST_NAME}: document '{entry.id}' file {entry.file!r} resolves to "
            f"{resolved}, outside the corpus folder {root}; copy the file into the corpus."
        )
    return resolved


def _file_identity(path: Path, entry: DocumentEntry) -> tuple[int, int, int]:
    """Return (device, inode, size) of a regular corpus file, or raise CorpusError."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise CorpusError(
            f"{path}: listed in the manifest as '{entry.id}' but missing."
        ) from None
    except OSError as exc:
        raise CorpusError(f"{path}: '{entry.id}' cannot be read ({exc.strerror}).") from exc
    if not stat.S_ISREG(info.st_mode):
        raise CorpusError(f"{path}: listed in the manifest as '{entry.id}' but not a file.")
    return info.st_dev, info.st_ino, info.st_size


def load_manifest(corpus_dir: Path, settings: Settings | None = None) -> Manifest:
    """Return the parsed manifest of `corpus_dir`, checked against the files that are there."""
    limits = settings or Settings()
    path = corpus_dir / MANIFEST_NAME
    if not corpus_dir.is_dir():
        raise CorpusError(f"Corpus folder {corpus_dir} does not exist: set PHT_CORPUS_DIR.")
    if not path.is_file():
        raise CorpusError(f"{path}: no manifest; every corpus folder needs one.")
    if not path.resolve().is_relative_to(corpus_dir.resolve()):
        raise CorpusError(f"{path}: a link to a file outside the corpus folder; copy it in.")
    raw = _parse_yaml(path, _read_manifest(path, limits.max_manifest_bytes),
                      limits.max_manifest_bytes)  # fmt: skip
    try:
        manifest = Manifest.model_validate(raw)
    except ValidationError as exc:
        raise CorpusError(f"{path}: {_describe(exc, raw)}.") from exc

    seen_ids: set[str] = set()
    seen_files: dict[tuple[int, int], str] = {}
    total = 0
    for entry in manifest.documents:
        if entry.id in seen_ids:
            raise CorpusError(f"{path}: document id '{entry.id}' is listed twice.")
        seen_ids.add(entry.id)
        doc_path = document_path(corpus_dir, entry)
        device, inode, size = _file_identity(doc_path, entry)
        # One file, one id: './x.txt', 'x/../x.txt' and a link to x.txt are all the same file.
        if (device, inode) in seen_files:
            raise CorpusError(
                f"{path}: documents '{seen_files[(device, inode)]}' and '{entry.id}' are the "
                f"same file ({doc_path}); list it once."
            )
        seen_files[(device, inode)] = entry.id
        if doc_path.suffix.lower() not in DOCUMENT_SUFFIXES:
            raise CorpusError(
                f"{doc_path}: unsupported type; use one of {', '.join(DOCUMENT_SUFFIXES)}."
            )
        if size > limits.max_document_bytes:
            raise CorpusError(
                f"{doc_path}: document '{entry.id}' is {size:,} bytes, over the "
                f"{limits.max_document_bytes:,}-byte limit (PHT_MAX_DOCUMENT_BYTES); split it."
            )
        total += size
        if total > limits.max_corpus_bytes:
            raise CorpusError(
                f"{path}: with document '{entry.id}' the corpus reaches {total:,} bytes, over "
                f"the {limits.max_corpus_bytes:,}-byte limit (PHT_MAX_CORPUS_BYTES)."
            )
    for candidate in sorted(corpus_dir.iterdir()):
        if candidate.name == MANIFEST_NAME or candidate.name.startswith("."):
            continue
        try:
            info = candidate.stat()
        except OSError:
            continue  # a dangling link: nothing to index, and nothing listed uses it
        if stat.S_ISREG(info.st_mode) and (info.st_dev, info.st_ino) not in seen_files:
            raise CorpusError(
                f"{candidate}: not listed in {MANIFEST_NAME}; add an entry for it or remove it."
            )
    return manifest
