"""Format readers: turn a corpus file into text, or raise CorpusError naming the file."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from assistant.errors import CorpusError

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


def _read_pdf(path: Path) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path), strict=False)
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise CorpusError(f"{path}: corrupt or unreadable PDF ({exc}).") from exc
    return "\n\n".join(pages)


def read_document(path: Path) -> str:
    """Return the text of a .txt, .md, .html or .pdf file."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CorpusError(f"{path}: cannot be read ({exc.strerror}).") from exc
    suffix = path.suffix.lower()
    if suffix in (".txt", ".md"):
        text = _decode(path, data)
    elif suffix in (".html", ".htm"):
        text = _read_html(path, data)
    elif suffix == ".pdf":
        if not data.startswith(b"%PDF"):
            raise CorpusError(f"{path}: corrupt PDF (it does not start with a PDF header).")
        text = _read_pdf(path)
    else:
        raise CorpusError(f"{path}: unsupported file type '{suffix}'.")
    if "\x00" in text:
        raise CorpusError(f"{path}: contains NUL bytes; it looks binary, not text.")
    if not text.strip():
        raise CorpusError(f"{path}: no text in it (empty, or a scanned PDF without a text layer).")
    log.debug("read %s (%d characters)", path, len(text))
    return text
