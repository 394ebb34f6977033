"""Sources: every curated document with its manifest metadata, its chunks, and a search box."""

from __future__ import annotations

from typing import Any

import streamlit as st

from assistant.errors import InvalidQuestion
from assistant.types import DocumentView
from ui.answer import code_or_text, review_markdown
from ui.core import load_assistant, load_settings
from ui.nav import page_setup
from ui.render import escape_markdown, format_score

_FIELDS = (
    ("publisher", "Publisher"),
    ("kind", "Kind"),
    ("audience", "Written for"),
    ("date", "Date"),
    ("source", "Source"),
    ("url", "Address"),
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
    lines.append(f"**Document id:** {code_or_text(doc.doc_id)}")
    review = f"**Review status:** {review_markdown(str(meta.get('review_status', '')))}"
    if meta.get("review_note"):
        review += f"  \n{escape_markdown(str(meta['review_note']))}"
    lines.append(review)
    st.markdown("  \n".join(line for line in lines if line))
    if meta.get("source_disclaimer"):
        st.caption(
            "The source's own disclaimer: " + escape_markdown(str(meta["source_disclaimer"]))
        )
    references = meta.get("references") or []
    if references:
        with st.expander(f"References ({len(references)})", icon=":material/format_quote:"):
            items = []
            for index, ref in enumerate(references, start=1):
                if isinstance(ref, dict):
                    marker = ref.get("marker") or ref.get("id") or index
                    text = ref.get("text") or ref.get("citation") or _value(list(ref.values()))
                else:
                    marker, text = index, ref
                items.append(f"\\[{escape_markdown(str(marker))}\\] {escape_markdown(str(text))}")
            st.markdown("  \n".join(items))


def _chunks(doc: DocumentView) -> None:
    st.caption(
        f"The cleaned text as indexed, in {len(doc.chunks)} chunks. Each box is one chunk: "
        "the unit that retrieval finds and answers cite."
    )
    for index, chunk in enumerate(doc.chunks, start=1):
        with st.container(border=True):
            where = f"Chunk {index}"
            if chunk.section:
                where += f" · {escape_markdown(chunk.section)}"
            where += f" · characters {chunk.start}–{chunk.end} · {code_or_text(chunk.chunk_id)}"
            st.caption(where)
            st.markdown(escape_markdown(chunk.text))


def _search(assistant: Any, titles: dict[str, str]) -> None:
    query = st.text_input(
        "Search the guidance",
        placeholder="e.g. sitting, shockwave, stretching",
        key="sources_query",
    )
    if not query.strip():
        return
    try:
        results = assistant.search(query.strip(), k=10)
    except InvalidQuestion as exc:
        st.warning(str(exc))
        return
    if not results:
        st.info("No passage matches that search.")
        return
    st.caption(f"{len(results)} passages, best match first")
    # A scrolling box keeps the documents below within reach however many passages match.
    with st.container(height=420, border=True):
        for index, candidate in enumerate(results):
            if index:
                st.divider()
            title = escape_markdown(titles.get(candidate.doc_id, candidate.doc_id))
            section = f" · {escape_markdown(candidate.section)}" if candidate.section else ""
            st.markdown(f"**{title}**{section}")
            chunk = code_or_text(candidate.chunk_id)
            st.caption(f"score {format_score(candidate.score)} · {chunk}")
            st.markdown(escape_markdown(candidate.text))


def main() -> None:
    """Render the Sources page."""
    page_setup("Sources")
    settings = load_settings()
    st.title("Sources")
    st.caption(
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
    st.caption(f"Corpus version {code_or_text(assistant.corpus_version)}")
    tabs = st.tabs([escape_markdown(_tab_label(doc)) for doc in documents])
    for tab, doc in zip(tabs, documents, strict=True):
        with tab:
            st.subheader(escape_markdown(_title(doc)))
            _metadata(doc)
            _chunks(doc)


main()
