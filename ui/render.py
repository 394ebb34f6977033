"""Turn Answers and corpus text into safe Markdown, with no Streamlit in sight.

Corpus and user text is never rendered as HTML: every character that could start Markdown (or
Streamlit's own `:color[...]` / `$math$` syntax) is backslash-escaped, so `<script>` shows as the
eight characters it is. Emphasis is then added only around text this module escaped itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from assistant.types import Answer, Citation

__all__ = [
    "BOLD",
    "HIGHLIGHT",
    "MUTED",
    "REVIEW_BADGE",
    "Wrap",
    "escape_markdown",
    "passage_markdown",
    "review_label",
    "format_timings",
    "format_score",
    "conversation_markdown",
]

REVIEW_BADGE = "AI-generated, pending human review"
"""The badge text for documents whose review status is `ai_generated_pending_review`."""

_REVIEW_LABELS = {
    "ai_generated_pending_review": (REVIEW_BADGE, True),
    "not_independently_reviewed": ("Not independently reviewed", False),
    "reviewed": ("Reviewed", False),
}

# Markers for highlight boundaries: private-use characters that corpus text does not contain.
_OPEN = "\ue000"
_CLOSE = "\ue001"

_STREAMLIT_SPECIALS = re.compile(r"([\\`*_\[\]{}<>&$~|#:=])")
# In a plain Markdown file brackets only matter as link syntax: "](", "][" or "]:".
_PLAIN_SPECIALS = re.compile(r"([\\`*_<>&|]|\](?=[(\[:]))")
_LIST_MARK = re.compile(rf"^([{_OPEN}]?)([-+>#])")
_ORDERED_MARK = re.compile(rf"^([{_OPEN}]?\d+)([.)])")
_BULLET = re.compile(r"^[-*•]\s+")


def escape_markdown(text: str, *, streamlit: bool = True, bullets: bool = False) -> str:
    """Return `text` as Markdown that displays exactly these characters, line breaks kept.

    `streamlit=False` leaves alone the characters only Streamlit gives a meaning to (`:`, `$`,
    `~`, `=`, braces), which keeps a downloaded Markdown file easier to read. `bullets=True`
    keeps lines that start with "- ", "* " or "• " as a Markdown list (the rest is escaped).
    """
    specials = _STREAMLIT_SPECIALS if streamlit else _PLAIN_SPECIALS
    paragraphs: list[list[str]] = [[]]
    for raw_line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        # Leading spaces would make an indented code block; they carry no meaning in prose.
        line = raw_line.strip()
        if not line.strip(_OPEN + _CLOSE):
            if paragraphs[-1]:
                paragraphs.append([])
            if line:
                paragraphs[-1].append(line)
            continue
        bullet = bullets and _BULLET.match(line)
        if bullet:
            line = line[bullet.end() :]
        line = specials.sub(r"\\\1", line)
        line = _LIST_MARK.sub(r"\1\\\2", line)
        line = _ORDERED_MARK.sub(r"\1\\\2", line)
        if bullet:
            # A list gets its own block, apart from the prose before and after it.
            line = "- " + line
            if paragraphs[-1] and not paragraphs[-1][-1].startswith("- "):
                paragraphs.append([])
        elif paragraphs[-1] and paragraphs[-1][-1].startswith("- "):
            paragraphs.append([])
        paragraphs[-1].append(line)
    # Two trailing spaces make a hard line break: table rows and list items stay on their lines.
    return "\n\n".join(_join_lines(lines) for lines in paragraphs if lines)


def _join_lines(lines: list[str]) -> str:
    # List items are separate lines already; prose lines need a hard break (two spaces).
    if lines[0].startswith("- "):
        return "\n".join(lines)
    return "  \n".join(lines)


def _span_of(text: str, sentence: str, taken: list[tuple[int, int]]) -> tuple[int, int] | None:
    sentence = sentence.strip()
    if not sentence:
        return None
    words = sentence.split()
    pattern = r"\s+".join(re.escape(word) for word in words)
    for match in re.finditer(pattern, text):
        start, end = match.span()
        if not any(start < t_end and t_start < end for t_start, t_end in taken):
            return start, end
    return None


def _merge_touching(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    # Neighbouring sentences with only spaces between them read better as one highlight.
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and not text[merged[-1][1] : start].strip():
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


Wrap = tuple[str, str]
"""Markdown put before and after a run of text, e.g. ("**", "**")."""

BOLD: Wrap = ("**", "**")
HIGHLIGHT: Wrap = (":orange-background[", "]")
"""Streamlit's highlighter: escaped text inside the brackets stays text."""
MUTED: Wrap = (":gray[", "]")


def passage_markdown(
    text: str,
    highlights: Sequence[str] = (),
    *,
    mark: Wrap = BOLD,
    rest: Wrap | None = None,
) -> str:
    """Return the passage as escaped Markdown with each highlighted sentence wrapped in `mark`.

    When some sentence is highlighted, the other text is wrapped in `rest` (if given), so the
    cited sentences stand out from their context.
    """
    spans: list[tuple[int, int]] = []
    for sentence in highlights:
        span = _span_of(text, sentence, spans)
        if span is not None:
            spans.append(span)
    spans = _merge_touching(text, sorted(spans))
    marked: list[str] = []
    position = 0
    for start, end in spans:
        marked.append(text[position:start])
        marked.append(_OPEN + text[start:end] + _CLOSE)
        position = end
    marked.append(text[position:])
    escaped = escape_markdown("".join(marked))
    if not spans:
        return escaped
    out: list[str] = []
    for index, segment in enumerate(re.split(f"[{_OPEN}{_CLOSE}]", escaped)):
        # split() alternates: outside a highlight at even indexes, inside at odd ones.
        wrap = mark if index % 2 else rest
        out.append(_wrap_lines(segment, wrap) if wrap else segment)
    return "".join(out)


def _wrap_lines(segment: str, wrap: Wrap) -> str:
    # Emphasis and directives cannot cross a line break: close and reopen them around each one.
    before, after = wrap
    out: list[str] = []
    for piece in re.split(r"(  \n|\n\n)", segment):
        if piece.strip() and piece not in ("  \n", "\n\n"):
            lead = piece[: len(piece) - len(piece.lstrip())]
            trail = piece[len(piece.rstrip()) :]
            out.append(f"{lead}{before}{piece.strip()}{after}{trail}")
        else:
            out.append(piece)
    return "".join(out)


def review_label(review_status: str) -> tuple[str, bool]:
    """Return how to show a manifest review status: (label, whether it needs a warning badge)."""
    if review_status in _REVIEW_LABELS:
        return _REVIEW_LABELS[review_status]
    if not review_status:
        return ("Review status not recorded", False)
    return (review_status.replace("_", " ").capitalize(), False)


def format_timings(timings_ms: Mapping[str, float]) -> str:
    """Return timings as one line, e.g. 'safety 0.1 ms · retrieve 12.3 ms · total 14.0 ms'."""
    return " · ".join(f"{name} {value:.1f} ms" for name, value in timings_ms.items())


def format_score(score: float | None) -> str:
    """Return a retrieval score with three decimals, or a dash when there is none."""
    return "—" if score is None else f"{score:.3f}"


def _quote(text: str) -> str:
    lines = escape_markdown(text, streamlit=False).split("\n")
    return "\n".join(f"> {line}" if line.strip() else ">" for line in lines)


def _citation_markdown(citation: Citation) -> list[str]:
    label, _ = review_label(citation.review_status)
    where = " · ".join(part for part in (citation.publisher, citation.date) if part)
    head = f"[{citation.marker}] {citation.title}"
    if citation.section:
        head += f" — {citation.section}"
    lines = [f"- **{escape_markdown(head, streamlit=False)}**"]
    details = "; ".join(part for part in (where, label) if part)
    if details:
        lines.append(f"  {escape_markdown(details, streamlit=False)}")
    if citation.source:
        lines.append(f"  Source: {escape_markdown(citation.source, streamlit=False)}")
    lines.append("")
    lines.extend("  " + line if line else "" for line in _quote(citation.text).split("\n"))
    lines.append("")
    return lines


def conversation_markdown(
    messages: Sequence[Mapping[str, Any]], *, title: str = "PHT Guide conversation"
) -> str:
    """Return a chat (user turns and assistant Answers) as a Markdown file with its sources.

    Each message is {"role": "user", "content": ...} or {"role": "assistant", "answer": Answer}.
    The disclaimer comes once, at the top (every Answer carries the same one).
    """
    lines = [f"# {title}", ""]
    disclaimers = [
        m["answer"].disclaimer
        for m in messages
        if isinstance(m.get("answer"), Answer) and m["answer"].disclaimer
    ]
    for disclaimer in dict.fromkeys(disclaimers):
        lines += [f"*{escape_markdown(disclaimer, streamlit=False)}*", ""]
    versions = {
        m["answer"].corpus_version
        for m in messages
        if isinstance(m.get("answer"), Answer) and m["answer"].corpus_version
    }
    if versions:
        lines += [f"Corpus version: {', '.join(sorted(versions))}", ""]
    for message in messages:
        answer = message.get("answer")
        if message.get("role") == "user":
            question = escape_markdown(str(message.get("content", "")), streamlit=False)
            lines += ["## You", "", question, ""]
            continue
        if not isinstance(answer, Answer):
            continue
        lines += ["## PHT Guide", ""]
        if answer.status == "urgent":
            lines += ["**Urgent: seek medical care now.**", ""]
        elif answer.status == "not_covered":
            lines += ["*Not covered by the guidance documents.*", ""]
        elif answer.status == "out_of_scope":
            lines += ["*Outside what PHT Guide covers.*", ""]
        lines += [escape_markdown(answer.answer, streamlit=False, bullets=True), ""]
        if answer.citations:
            lines += ["### Sources", ""]
            for citation in answer.citations:
                lines += _citation_markdown(citation)
    return "\n".join(lines).rstrip() + "\n"
