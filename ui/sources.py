"""Source cards under an answer: the passage each [n] marker links to, and the clinician's evidence.

Each card has an anchor (`source_anchor`) that the answer's [n] links scroll to; the sentences
the answer used are highlighted in it. Everything shown is corpus or manifest text, escaped by
`ui.render` before it reaches st.markdown.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import streamlit as st

from assistant.types import Answer, Citation
from ui.render import HIGHLIGHT, MUTED, escape_markdown, passage_markdown, review_label

__all__ = [
    "date_as_stated",
    "link_markers",
    "reference_lines",
    "render_sources",
    "review_markdown",
    "source_anchor",
]

_MARKER = re.compile(r"\\\[(\d+)\\\]")
_YEAR = re.compile(r"\b(1[89]|20)\d\d\b")
_SAFE_URL = re.compile(r"https?://[^\s<>\"'`]+")


def source_anchor(key: str, marker: int) -> str:
    """Return the HTML id of the source card for `marker` of the answer with this key."""
    return f"src-{re.sub(r'[^A-Za-z0-9-]', '-', key)}-{marker}"


def link_markers(markdown: str, key: str, markers: Sequence[int]) -> str:
    """Return escaped answer Markdown whose [n] markers link to their source cards."""
    known = set(markers)

    def _link(match: re.Match[str]) -> str:
        marker = int(match.group(1))
        if marker not in known:
            return match.group(0)
        return f"[\\[{marker}\\]](#{source_anchor(key, marker)})"

    return _MARKER.sub(_link, markdown)


def review_markdown(review_status: str) -> str:
    """Return the review status as Markdown: a warning badge when it needs one."""
    label, warn = review_label(review_status)
    if warn:
        return f":orange-badge[:material/warning: {label}]"
    return escape_markdown(label)


def date_as_stated(date: str) -> str:
    """Return a document date as the document states it, saying so when it gives no year."""
    date = date.strip()
    if not date:
        return "date not stated"
    if not _YEAR.search(date) and "year not stated" not in date.lower():
        return f"{date} (year not stated)"
    return date


def reference_lines(citation: Citation, meta: Mapping[str, Any]) -> list[str]:
    """Return, for a clinician, what each reference marker of the passage points to."""
    if not citation.refs:
        return []
    references = [str(r) for r in meta.get("references") or []]
    note = str(meta.get("references_note") or "").strip()
    lines = []
    numbered = {str(i): text for i, text in enumerate(references, start=1)}
    unnumbered = bool(note) and "unnumbered" in note.lower()
    for ref in citation.refs:
        if references and not unnumbered and ref in numbered:
            lines.append(f"\\[{escape_markdown(ref)}\\] {escape_markdown(numbered[ref])}")
        else:
            lines.append(
                f"\\[{escape_markdown(ref)}\\] not matched to the reference list "
                f"({len(references)} listed)"
            )
    if note:
        lines.append(f"The source's references: {escape_markdown(note)}")
    return lines


def _quotes(citation: Citation) -> list[tuple[str, str]]:
    found = []
    for item in getattr(citation, "quotes", None) or []:
        if isinstance(item, Mapping) and item.get("quote"):
            found.append((str(item.get("sentence") or ""), str(item["quote"])))
    return found


def _where(citation: Citation, meta: Mapping[str, Any]) -> str:
    publisher = str(meta.get("publisher") or citation.publisher)
    date = date_as_stated(str(meta.get("date") or citation.date))
    parts = [escape_markdown(p) for p in (publisher, date) if p]
    return " · ".join(
        [*parts, review_markdown(str(meta.get("review_status") or citation.review_status))]
    )


def _card(citation: Citation, key: str, meta: Mapping[str, Any], *, clinician: bool) -> None:
    with st.container(border=True):
        st.header(
            f"\\[{citation.marker}\\] {escape_markdown(citation.title)}",
            anchor=source_anchor(key, citation.marker),
        )
        if citation.section:
            st.markdown(f"Section: {escape_markdown(citation.section)}")
        st.markdown(_where(citation, meta))
        quotes = _quotes(citation)
        marked = [*citation.highlights, *(quote for _, quote in quotes)]
        st.markdown(passage_markdown(citation.text, marked, mark=HIGHLIGHT, rest=MUTED))
        for sentence, quote in quotes:
            # LLM mode: which words of the passage each sentence of the answer rests on.
            st.markdown(f"“{escape_markdown(quote)}” supports: {escape_markdown(sentence)}")
        url = str(meta.get("url") or "")
        if _SAFE_URL.fullmatch(url):
            st.link_button("Open the original page", url, icon=":material/open_in_new:")
        if clinician:
            for line in reference_lines(citation, meta):
                st.markdown(line)
            if meta.get("review_note"):
                st.markdown(f"Review note: {escape_markdown(str(meta['review_note']))}")


def render_sources(
    answer: Answer,
    key: str,
    documents: Mapping[str, Mapping[str, Any]],
    *,
    clinician: bool,
) -> None:
    """Show one card per citation, each with the anchor its [n] marker links to."""
    if not answer.citations:
        return
    label = "Source" if len(answer.citations) == 1 else f"Sources ({len(answer.citations)})"
    st.markdown(f"**{label}**")
    for citation in answer.citations:
        _card(citation, key, documents.get(citation.doc_id, {}), clinician=clinician)
