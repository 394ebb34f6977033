"""Structure-aware chunking of a cleaned document.

Blocks are separated by blank lines. A short line without sentence punctuation is a heading and
becomes the `section` of what follows; each row of a pipe table is its own chunk that carries the
column names; each bullet item is its own chunk under its heading; paragraphs are split at
sentence boundaries only when they exceed the token budget. Every chunk records its character
offsets in the cleaned text.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from assistant.language.sentences import sentence_spans
from assistant.types import Chunk
from ingest.clean import CleanDocument

__all__ = [
    "chunk_document", "chunk_id", "embedding_text", "table_row_text", "table_row_display"
]

_BULLET = re.compile(r"^\s*(?:[•●▪◦·*-]|\d{1,2}[.)])\s+")
_TABLE_SEPARATOR = re.compile(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?$")
_MD_HEADING = re.compile(r"^#{1,6}\s+")
_HEADING_MAX_WORDS = 14
# Room for the [CLS]/[SEP] tokens and the "section:" prefix that is embedded with the text.
_SECTION_PREFIX_BUDGET = 24


@dataclass
class _Block:
    start: int
    end: int
    text: str


def _blocks(text: str) -> Iterator[_Block]:
    for match in re.finditer(r"[^\n]+(?:\n[^\n]+)*", text):
        raw = match.group(0)
        if raw.strip():
            yield _Block(match.start(), match.end(), raw)


def _is_heading(block: _Block, title: str) -> bool:
    line = block.text.strip()
    if "\n" in line or line.startswith("|") or _BULLET.match(line):
        return False
    if _MD_HEADING.match(line) or line.rstrip("?") == title.rstrip("?"):
        return True
    words = line.split()
    return len(words) <= _HEADING_MAX_WORDS and not re.search(r"[.!,;:]$", line)


def _split_row(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def table_row_text(columns: list[str], cells: list[str]) -> str:
    """Return a table row as one self-contained passage, "Column: value." for each filled cell."""
    parts = []
    for column, cell in zip(columns, cells, strict=False):
        if cell:
            value = cell if cell.endswith((".", "!", "?")) else cell + "."
            parts.append(f"{column}: {value}" if column else value)
    return " ".join(parts)


def table_row_display(cells: list[str]) -> str:
    """Return a table row as a plain sentence: "First cell: other filled cells." (verbatim)."""
    label, *rest = cells
    values = "; ".join(cell for cell in rest if cell)
    sentence = f"{label}: {values}" if values else label
    return sentence if sentence.endswith((".", "!", "?")) else sentence + "."


def chunk_id(doc_id: str, section: str, text: str, occurrence: int = 0) -> str:
    """Return the stable id of a chunk: a hash of its document, section, text and repeat count."""
    digest = hashlib.sha256(f"{doc_id}\x1f{section}\x1f{text}\x1f{occurrence}".encode()).hexdigest()
    return f"{doc_id}:{digest[:16]}"


def embedding_text(chunk: Chunk) -> str:
    """Return what is embedded (and searched lexically) for a chunk: its section and its text."""
    return f"{chunk.section}: {chunk.text}" if chunk.section else chunk.text


def _pieces(
    text: str, start: int, budget: int, count_tokens: Callable[[str], int]
) -> Iterator[tuple[int, int]]:
    """Yield (start, end) spans of `text` (absolute offsets) that each fit the token budget."""
    if count_tokens(text) <= budget:
        yield start, start + len(text)
        return
    spans = sentence_spans(text)
    current: tuple[int, int] | None = None
    for s, e in spans:
        if current is None:
            current = (s, e)
        elif count_tokens(text[current[0] : e]) <= budget:
            current = (current[0], e)
        else:
            yield start + current[0], start + current[1]
            current = (s, e)
        if count_tokens(text[current[0] : current[1]]) > budget:
            # A single sentence over budget: cut it at word boundaries.
            words = list(re.finditer(r"\S+", text[current[0] : current[1]]))
            piece_start = words[0].start()
            last_end = words[0].end()
            for word in words[1:]:
                if count_tokens(text[current[0] + piece_start : current[0] + word.end()]) > budget:
                    yield start + current[0] + piece_start, start + current[0] + last_end
                    piece_start = word.start()
                last_end = word.end()
            current = (current[0] + piece_start, current[0] + last_end)
    if current is not None:
        yield start + current[0], start + current[1]


def chunk_document(
    doc_id: str,
    clean: CleanDocument,
    metadata: dict[str, str],
    count_tokens: Callable[[str], int],
    max_tokens: int = 256,
) -> list[Chunk]:
    """Return the chunks of one cleaned document, in document order."""
    text = clean.text
    title = metadata.get("title", "")
    budget = max_tokens - _SECTION_PREFIX_BUDGET
    section = ""
    columns: list[str] | None = None
    # (kind, start, end, section, chunk text, plain rendering of a table row)
    raw: list[tuple[str, int, int, str, str, str]] = []

    for block in _blocks(text):
        stripped = block.text.strip()
        lead = len(block.text) - len(block.text.lstrip())
        if _is_heading(block, title):
            section = _MD_HEADING.sub("", stripped)
            columns = None
            continue
        if stripped.startswith("|"):
            for line_match in re.finditer(r"[^\n]+", block.text):
                line = line_match.group(0).strip()
                if _TABLE_SEPARATOR.match(line):
                    continue
                cells = _split_row(line)
                if columns is None:
                    columns = cells
                    continue
                row_start = block.start + line_match.start()
                raw.append(
                    ("table_row", row_start, block.start + line_match.end(), section,
                     table_row_text(columns, cells), table_row_display(cells))
                )
            continue
        columns = None
        if _BULLET.match(stripped):
            for item in re.finditer(r"[^\n]+", block.text):
                item_text = item.group(0)
                marker = _BULLET.match(item_text)
                body_start = marker.end() if marker else len(item_text) - len(item_text.lstrip())
                body = item_text[body_start:].rstrip()
                for s, e in _pieces(body, block.start + item.start() + body_start, budget,
                                    count_tokens):
                    raw.append(("list_item", s, e, section, text[s:e], ""))
            continue
        body = block.text[lead:].rstrip()
        for s, e in _pieces(body, block.start + lead, budget, count_tokens):
            raw.append(("paragraph", s, e, section, text[s:e], ""))

    chunks: list[Chunk] = []
    seen: dict[str, int] = {}
    for kind, start, end, chunk_section, chunk_text, display in raw:
        refs = tuple(
            dict.fromkeys(ref for pos, marks in clean.ref_marks if start <= pos <= end
                          for ref in marks)
        )
        key = f"{chunk_section}\x1f{chunk_text}"
        occurrence = seen.get(key, 0)
        seen[key] = occurrence + 1
        chunks.append(
            Chunk(
                chunk_id=chunk_id(doc_id, chunk_section, chunk_text, occurrence),
                doc_id=doc_id,
                text=chunk_text,
                section=chunk_section,
                start=start,
                end=end,
                kind=kind,
                refs=refs,
                metadata={**metadata, "display": display} if display else dict(metadata),
            )
        )
    return chunks
