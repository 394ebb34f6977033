"""Render one Answer in Streamlit: callout by status, streamed text, sources, details, feedback.

Every piece of corpus or user text goes through `ui.render` escaping before it reaches
st.markdown; nothing here sets `unsafe_allow_html`.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator, MutableMapping
from typing import Any

import streamlit as st

from assistant.errors import StoreError
from assistant.types import Answer, Citation
from ui.render import (
    HIGHLIGHT,
    MUTED,
    escape_markdown,
    format_score,
    format_timings,
    passage_markdown,
    review_label,
)
from ui.store import MAX_COMMENT_CHARS, AnswerStore

__all__ = ["code_or_text", "render_answer", "render_citation", "review_markdown", "stream_words"]

logger = logging.getLogger(__name__)

_STREAM_SECONDS = 1.2
"""Roughly how long streaming a whole answer takes, however long it is."""

_THUMBS = {0: "down", 1: "up"}


def stream_words(markdown: str, *, seconds: float = _STREAM_SECONDS) -> Iterator[str]:
    """Yield the text word by word (with its spacing), spread over about `seconds`."""
    words = re.findall(r"\s*\S+\s*", markdown)
    delay = min(0.04, seconds / max(len(words), 1))
    for word in words:
        yield word
        time.sleep(delay)


def review_markdown(review_status: str) -> str:
    """Return the review status as Markdown: a warning badge when it needs one."""
    label, warn = review_label(review_status)
    if warn:
        return f":orange-badge[:material/warning: {label}]"
    return escape_markdown(label)


def code_or_text(value: str) -> str:
    # Chunk ids are hashes: show them as code when they are, escaped text otherwise.
    if re.fullmatch(r"[\w.:/-]+", value):
        return f"`{value}`"
    return escape_markdown(value)


def render_citation(citation: Citation, *, clinician: bool) -> None:
    """Show one cited passage: where it is from, its review status and the highlighted text."""
    heading = f"**\\[{citation.marker}\\] {escape_markdown(citation.title)}**"
    if citation.section:
        heading += f" · {escape_markdown(citation.section)}"
    st.markdown(heading)
    where = [escape_markdown(part) for part in (citation.publisher, citation.date) if part]
    st.caption(" · ".join([*where, review_markdown(citation.review_status)]))
    with st.container(border=True):
        st.markdown(
            passage_markdown(citation.text, citation.highlights, mark=HIGHLIGHT, rest=MUTED)
        )
    if clinician:
        details = [
            f"score {format_score(citation.score)}",
            f"chunk {code_or_text(citation.chunk_id)}",
            f"document {code_or_text(citation.doc_id)}",
        ]
        if citation.kind:
            details.append(f"kind {escape_markdown(citation.kind)}")
        if citation.refs:
            details.append("refs " + escape_markdown(", ".join(citation.refs)))
        st.caption(" · ".join(details))


def _render_sources(answer: Answer, *, clinician: bool) -> None:
    if not answer.citations:
        return
    label = "Source" if len(answer.citations) == 1 else f"Sources ({len(answer.citations)})"
    with st.expander(label, icon=":material/menu_book:"):
        for index, citation in enumerate(answer.citations):
            if index:
                st.divider()
            render_citation(citation, clinician=clinician)


def _render_clinician(answer: Answer) -> None:
    parts = [
        f"status **{escape_markdown(answer.status)}**",
        f"mode {escape_markdown(answer.mode)}",
        f"audience {escape_markdown(answer.audience)}",
        f"corpus {code_or_text(answer.corpus_version or 'unknown')}",
    ]
    if answer.rule_id:
        parts.append(f"rule {code_or_text(answer.rule_id)}")
    st.caption(" · ".join(parts))
    if answer.timings_ms:
        st.caption(escape_markdown(format_timings(answer.timings_ms)))
    if not answer.retrieved:
        return
    not_cited = [c for c in answer.retrieved if not c.cited]
    label = f"Retrieved passages: {len(answer.retrieved)}, not cited: {len(not_cited)}"
    with st.expander(label, icon=":material/manage_search:"):
        st.dataframe(
            [
                {
                    "cited": candidate.cited,
                    "score": round(candidate.score, 4),
                    "dense": candidate.dense_rank,
                    "lexical": candidate.lexical_rank,
                    "document": candidate.doc_id,
                    "section": candidate.section,
                    "chunk": candidate.chunk_id,
                    "text": candidate.text,
                }
                for candidate in answer.retrieved
            ],
            hide_index=True,
            column_config={
                "cited": st.column_config.CheckboxColumn("cited", width="small"),
                "text": st.column_config.TextColumn("text", width="large"),
            },
        )


def _on_thumbs(store: AnswerStore, message: MutableMapping[str, Any], key: str) -> None:
    value = st.session_state.get(key)
    thumbs = _THUMBS.get(value) if isinstance(value, int) else None
    message["thumbs"] = thumbs
    try:
        store.add_feedback(message["answer_id"], thumbs=thumbs)  # type: ignore[arg-type]
    except StoreError as exc:
        logger.warning("feedback not stored: %s", exc)
        message["feedback_error"] = str(exc)


def _on_comment(store: AnswerStore, message: MutableMapping[str, Any], key: str) -> None:
    comment = str(st.session_state.get(key) or "").strip()
    if not comment:
        return
    try:
        store.add_feedback(
            message["answer_id"],
            thumbs=message.get("thumbs"),
            comment=comment[:MAX_COMMENT_CHARS],
        )
        message["comment_sent"] = True
    except StoreError as exc:
        logger.warning("comment not stored: %s", exc)
        message["feedback_error"] = str(exc)


def _render_feedback(message: MutableMapping[str, Any], store: AnswerStore) -> None:
    answer_id = message.get("answer_id")
    if answer_id is None or not store.enabled:
        return
    key = f"feedback_{answer_id}"
    st.feedback(
        "thumbs",
        key=key,
        on_change=_on_thumbs,
        args=(store, message, key),
        persist_state="session",
    )
    if message.get("feedback_error"):
        problem = escape_markdown(message["feedback_error"])
        st.caption(f"Your feedback could not be saved: {problem}")
    elif message.get("comment_sent"):
        st.caption("Thank you: your comment was saved.")
    elif message.get("thumbs"):
        comment_key = f"comment_{answer_id}"
        with st.form(key=f"comment_form_{answer_id}", border=False):
            st.text_area(
                "Anything to add? (optional)",
                key=comment_key,
                max_chars=MAX_COMMENT_CHARS,
                height=80,
                placeholder="What was missing, unclear or wrong?",
            )
            st.form_submit_button(
                "Send comment",
                key=f"comment_send_{answer_id}",
                on_click=_on_comment,
                args=(store, message, comment_key),
            )


def render_answer(
    message: MutableMapping[str, Any],
    *,
    clinician: bool,
    store: AnswerStore | None = None,
    stream: bool = False,
) -> None:
    """Render an assistant message holding an Answer (call inside `st.chat_message`)."""
    answer: Answer = message["answer"]
    text = escape_markdown(answer.answer, bullets=True)
    if answer.status == "urgent":
        st.error(text, icon=":material/emergency:", title="Please seek urgent medical care")
    elif answer.status == "out_of_scope":
        st.warning(text, icon=":material/explore_off:", title="Outside what PHT Guide covers")
    elif answer.status == "not_covered":
        st.info(text, icon=":material/info:", title="Not covered by the guidance documents")
    elif stream:
        st.write_stream(stream_words(text))
    else:
        st.markdown(text)
    if answer.notice:
        st.caption(f":material/info: {escape_markdown(answer.notice)}")
    _render_sources(answer, clinician=clinician)
    if clinician:
        _render_clinician(answer)
    st.caption(escape_markdown(answer.disclaimer))
    if store is not None:
        _render_feedback(message, store)
