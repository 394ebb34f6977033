"""Sources: every curated document with its manifest metadata, its chunks, and a search box."""

from __future__ import annotations

from typing import Any

import streamlit as st

from assistant.errors import InvalidQuestion
from assistant.types import Candidate, DocumentView
from ui.answer import code_or_text
from ui.core import load_assistant, load_settings
from ui.nav import page_setup
from ui.render import escape_markdown, format_score
from ui.sources import date_as_stated, review_markdown

_FIELDS = (
    ("publisher", "Publisher"),
    ("author", "Author"),
    ("kind", "Kind"),
    ("audience", "Written for"),
    ("source", "Source"),
)


def _title(doc: DocumentView) -> str:
    return str(doc.metadata.get("title") or doc.doc_id)


def _tab_label(doc: DocumentView) -> str:
    # Titles can be a whole question long; the publisher names a tab well enough.
    label = str(doc.metadata.get("publisher") or _title(doc))
    return label if len(label) <= 40 else label[:39] + "…"


def _value(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def _metadata(doc: DocumentView) -> None:
    meta = doc.metadata
    lines = []
    for key, label in _FIELDS:
        if meta.get(key):
            lines.append(f"**{label}:** {escape_markdown(_value(meta[key]))}")
    lines.insert(
        min(len(lines), 3),
        f"**Date:** {escape_markdown(date_as_stated(str(meta.get('date') or '')))}",
    )
    lines.append(f"**Document id:** {code_or_text(doc.doc_id)}")
    review = f"**Review status:** {review_markdown(str(meta.get('review_status', '')))}"
    if meta.get("review_note"):
        review += f"  \n{escape_markdown(str(meta['review_note']))}"
    lines.append(review)
    st.markdown("  \n".join(line for line in lines if line))
    url = str(meta.get("url") or "")
    if url.startswith(("https://", "http://")):
        st.link_button("Open the original page", url, icon=":material/open_in_new:")
    if meta.get("source_disclaimer"):
        st.markdown(
            "The source's own disclaimer: " + escape_markdown(str(meta["source_disclaimer"]))
        )
    references = meta.get("references") or []
    note = str(meta.get("references_note") or "")
    if references or note:
        with st.expander(f"References ({len(references)})", icon=":material/format_quote:"):
            items = [
                f"{index}. {escape_markdown(_value(ref))}"
                for index, ref in enumerate(references, start=1)
            ]
            if note:
                items.append(escape_markdown(note))
            st.markdown("  \n".join(items))


def _chunks(doc: DocumentView) -> None:
    st.markdown(
        f"The cleaned text as indexed, in {len(doc.chunks)} chunks. Each box is one chunk: "
        "the unit that retrieval finds and answers cite."
    )
    for index, chunk in enumerate(doc.chunks, start=1):
        with st.container(border=True):
            where = f"**Chunk {index}**"
            if chunk.section:
                where += f" · {escape_markdown(chunk.section)}"
            where += f" · characters {chunk.start}–{chunk.end} · {code_or_text(chunk.chunk_id)}"
            st.markdown(where)
            st.markdown(escape_markdown(chunk.text))


def _matches(results: list[Candidate]) -> list[Candidate]:
    # A passage that shares no word with the search is only "close in meaning": dense
    # retrieval always returns something, even for a word the guidance never uses.
    return [c for c in results if c.lexical_rank is not None]


def _search(assistant: Any, titles: dict[str, str]) -> None:
    query = st.text_input(
        "Search the guidance",
        placeholder="e.g. sitting, shockwave, stretching",
        key="sources_query",
    )
    if not query.strip():
        return
    try:
        results = _matches(assistant.search(query.strip(), k=10))
    except InvalidQuestion as exc:
        st.warning(str(exc))
        return
    if not results:
        st.info(
            f"No passage of the guidance contains the words of “{escape_markdown(query.strip())}”.",
            icon=":material/search_off:",
        )
        return
    count = "1 passage" if len(results) == 1 else f"{len(results)} passages"
    st.markdown(f"{count} with these words, best match first")
    with st.container(border=True):
        for index, candidate in enumerate(results):
            if index:
                st.divider()
            title = escape_markdown(titles.get(candidate.doc_id, candidate.doc_id))
            section = f" · {escape_markdown(candidate.section)}" if candidate.section else ""
            st.markdown(f"**{title}**{section}")
            chunk = code_or_text(candidate.chunk_id)
            st.markdown(f"score {format_score(candidate.score)} · {chunk}")
            st.markdown(escape_markdown(candidate.text))


def main() -> None:
    """Render the Sources page."""
    page_setup("Sources")
    settings = load_settings()
    st.title("Sources")
    st.markdown(
        "PHT Guide answers only from these documents. Each one is shown with where it comes "
        "from, whether it has been reviewed, and its text exactly as the assistant searches it."
    )
    assistant = load_assistant(settings)
    documents = assistant.documents()
    titles = {doc.doc_id: _title(doc) for doc in documents}
    _search(assistant, titles)
    if not documents:
        st.info("The index holds no documents.")
        return
    st.markdown(f"Corpus version {code_or_text(assistant.corpus_version)}")
    tabs = st.tabs([escape_markdown(_tab_label(doc)) for doc in documents])
    for tab, doc in zip(tabs, documents, strict=True):
        with tab:
            st.header(escape_markdown(_title(doc)), anchor=False)
            _metadata(doc)
            _chunks(doc)


main()
