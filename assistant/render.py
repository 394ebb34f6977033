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
    "REVIEW_BADGE",
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


def escape_markdown(text: str, *, streamlit: bool = True) -> str:
    """Return `text` as Markdown that displays exactly these characters, line breaks kept.

    `streamlit=False` leaves alone the characters only Streamlit gives a meaning to (`:`, `$`,
    `~`, `=`, braces), which keeps a downloaded Markdown file easier to read.
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
        line = specials.sub(r"\\\1", line)
        line = _LIST_MARK.sub(r"\1\\\2", line)
        line = _ORDERED_MARK.sub(r"\1\\\2", line)
        paragraphs[-1].append(line)
    # Two trailing spaces make a hard line break: table rows and list items stay on their lines.
    return "\n\n".join("  \n".join(lines) for lines in paragraphs if lines)


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


def passage_markdown(text: str, highlights: Sequence[str] = ()) -> str:
    """Return the passage as escaped Markdown with each highlighted sentence in bold."""
    spans: list[tuple[int, int]] = []
    for sentence in highlights:
        span = _span_of(text, sentence, spans)
        if span is not None:
            spans.append(span)
    spans.sort()
    marked: list[str] = []
    position = 0
    for start, end in spans:
        marked.append(text[position:start])
        marked.append(_OPEN + text[start:end] + _CLOSE)
        position = end
    marked.append(text[position:])
    escaped = escape_markdown("".join(marked))
    return _emphasise(escaped)


def _emphasise(escaped: str) -> str:
    # Emphasis cannot cross a paragraph or line break, so close and reopen it around each break.
    def bold(match: re.Match[str]) -> str:
        inner = match.group(1)
        pieces = re.split(r"(  \n|\n\n)", inner)
        out: list[str] = []
        for piece in pieces:
            if piece in ("  \n", "\n\n"):
                out.append(piece)
            elif piece.strip():
                lead = piece[: len(piece) - len(piece.lstrip())]
                trail = piece[len(piece.rstrip()) :]
                out.append(f"{lead}**{piece.strip()}**{trail}")
            else:
                out.append(piece)
        return "".join(out)

    emphasised = re.sub(f"{_OPEN}(.*?){_CLOSE}", bold, escaped, flags=re.DOTALL)
    return emphasised.replace(_OPEN, "").replace(_CLOSE, "")


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
    """
    lines = [f"# {title}", ""]
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
        lines += [escape_markdown(answer.answer, streamlit=False), ""]
        if answer.citations:
            lines += ["### Sources", ""]
            for citation in answer.citations:
                lines += _citation_markdown(citation)
        lines += [f"*{escape_markdown(answer.disclaimer, streamlit=False)}*", ""]
    return "\n".join(lines).rstrip() + "\n"
