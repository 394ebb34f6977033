"""Format readers: turn a corpus file into text, or raise CorpusError naming the file."""

from __future__ import annotations

import io
import logging
import os
import re
import stat
from pathlib import Path

from assistant.errors import CorpusError
from assistant.settings import Settings

__all__ = ["read_document"]

log = logging.getLogger(__name__)

# Block-level HTML elements that end a line of text; navigation chrome is dropped entirely.
_HTML_DROP = ("script", "style", "noscript", "nav", "footer", "header", "aside", "form", "iframe")
_HTML_BLOCKS = ("p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "br", "section")


def _decode(path: Path, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CorpusError(
            f"{path}: not UTF-8 text (invalid byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "re-save it as UTF-8."
        ) from exc


def _read_html(path: Path, data: bytes) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(_decode(path, data), "html.parser")
    for tag in soup(list(_HTML_DROP)):
        tag.decompose()
    lines: list[str] = []
    for heading in soup.find_all(["h1", "h2", "h3", "h4", "h5", "h6"]):
        heading.insert_before("\n\n")
        heading.insert_after("\n\n")
    for item in soup.find_all("li"):
        item.insert_before("\n\n• ")
    for row in soup.find_all("tr"):
        cells = [cell.get_text(" ", strip=True) for cell in row.find_all(["td", "th"])]
        row.replace_with("\n\n| " + " | ".join(cells) + " |\n\n")
    for block in soup.find_all(list(_HTML_BLOCKS)):
        block.insert_after("\n\n")
    text = soup.get_text()
    for line in text.splitlines():
        lines.append(re.sub(r"[ \t]+", " ", line).strip())
    return "\n".join(lines)


def _too_large(path: Path, what: str, limit: int) -> CorpusError:
    return CorpusError(
        f"{path}: {what} larger than {limit:,} bytes (PHT_MAX_DOCUMENT_BYTES); split the document."
    )


def _read_pdf(path: Path, data: bytes, limit: int) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    pages: list[str] = []
    total = 0
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        for page in reader.pages:
            # Compressed streams can hold far more text than the file's size: stop at the limit.
            pages.append(page.extract_text() or "")
            total += len(pages[-1]) + 2
            if total > limit:
                raise _too_large(path, "its text is", limit)
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise CorpusError(f"{path}: corrupt or unreadable PDF ({exc}).") from exc
    return "\n\n".join(pages)


def _read_bytes(path: Path, limit: int) -> bytes:
    """Return at most `limit` bytes of a regular file (CorpusError if it holds more)."""
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused just below.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise CorpusError(f"{path}: cannot be read ({exc.strerror}).") from exc
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise CorpusError(f"{path}: not a regular file.")
        try:
            data = handle.read(limit + 1)
        except OSError as exc:
            raise CorpusError(f"{path}: cannot be read ({exc.strerror}).") from exc
    if len(data) > limit:
        raise _too_large(path, "the file is", limit)
    return data


def read_document(path: Path, max_bytes: int | None = None) -> str:
    """Return the text of a .txt, .md, .html or .pdf file of at most `max_bytes` bytes."""
    limit = Settings().max_document_bytes if max_bytes is None else max_bytes
    data = _read_bytes(path, limit)
    suffix = path.suffix.lower()
    if suffix in (".txt", ".md"):
        text = _decode(path, data)
    elif suffix in (".html", ".htm"):
        text = _read_html(path, data)
    elif suffix == ".pdf":
        if not data.startswith(b"%PDF"):
            raise CorpusError(f"{path}: corrupt PDF (it does not start with a PDF header).")
        text = _read_pdf(path, data, limit)
    else:
        raise CorpusError(f"{path}: unsupported file type '{suffix}'.")
    if len(text) > limit:
        raise _too_large(path, "its text is", limit)
    if "\x00" in text:
        raise CorpusError(f"{path}: contains NUL bytes; it looks binary, not text.")
    if not text.strip():
        raise CorpusError(f"{path}: no text in it (empty, or a scanned PDF without a text layer).")
    log.debug("read %s (%d characters)", path, len(text))
    return text
