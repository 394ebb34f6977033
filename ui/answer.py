"""Render one Answer in Streamlit: callout by status, linked [n] markers, source cards, feedback.

Every piece of corpus or user text goes through `ui.render` escaping before it reaches
st.markdown; nothing here sets `unsafe_allow_html`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any

import streamlit as st

from assistant.errors import StoreError
from assistant.types import Answer, Citation
from ui.copy_button import answer_plain_text, copy_button
from ui.render import escape_markdown, format_score, format_timings
from ui.safety_note import render_safety_line
from ui.sources import link_markers, render_sources, review_markdown
from ui.store import MAX_COMMENT_CHARS, AnswerStore

__all__ = ["code_or_text", "render_answer", "review_markdown"]

logger = logging.getLogger(__name__)

_THUMBS = {0: "down", 1: "up"}

Changed = Callable[[], None]
"""Called after feedback changed a message (the chat stores the conversation again)."""


def code_or_text(value: str) -> str:
    """Return an id as inline code when it is a plain token, escaped text otherwise."""
    if re.fullmatch(r"[\w.:/-]+", value):
        return f"`{value}`"
    return escape_markdown(value)


def _citation_details(citation: Citation) -> str:
    details = [
        f"\\[{citation.marker}\\] score {format_score(citation.score)}",
        f"chunk {code_or_text(citation.chunk_id)}",
        f"document {code_or_text(citation.doc_id)}",
    ]
    if citation.kind:
        details.append(f"kind {escape_markdown(citation.kind)}")
    return " · ".join(details)


def _render_details(answer: Answer) -> None:
    # Debug data for whoever checks the pipeline: behind "Details", after the evidence.
    with st.expander("Details", icon=":material/tune:"):
        parts = [
            f"status **{escape_markdown(answer.status)}**",
            f"mode {escape_markdown(answer.mode)}",
            f"audience {escape_markdown(answer.audience)}",
            f"corpus {code_or_text(answer.corpus_version or 'unknown')}",
        ]
        if answer.rule_id:
            parts.append(f"rule {code_or_text(answer.rule_id)}")
        for name in ("urgent_category", "language"):
            value = getattr(answer, name, None)
            if value:
                parts.append(f"{name.replace('_', ' ')} {escape_markdown(str(value))}")
        st.markdown(" · ".join(parts))
        if answer.timings_ms:
            st.markdown(escape_markdown(format_timings(answer.timings_ms)))
        for citation in answer.citations:
            st.markdown(_citation_details(citation))
        if not answer.retrieved:
            return
        not_cited = [c for c in answer.retrieved if not c.cited]
        st.markdown(f"Retrieved passages: {len(answer.retrieved)}, not cited: {len(not_cited)}")
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


def _on_thumbs(
    store: AnswerStore, message: MutableMapping[str, Any], key: str, changed: Changed | None
) -> None:
    value = st.session_state.get(key)
    thumbs = _THUMBS.get(value) if isinstance(value, int) else None
    message["thumbs"] = thumbs
    try:
        store.add_feedback(message["answer_id"], thumbs=thumbs)  # type: ignore[arg-type]
    except StoreError as exc:
        logger.warning("feedback not stored: %s", exc)
        message["feedback_error"] = str(exc)
    if changed is not None:
        changed()


def _on_comment(
    store: AnswerStore, message: MutableMapping[str, Any], key: str, changed: Changed | None
) -> None:
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
    if changed is not None:
        changed()


def _render_feedback(
    message: MutableMapping[str, Any], store: AnswerStore, changed: Changed | None
) -> None:
    answer_id = message.get("answer_id")
    if answer_id is None or not store.enabled:
        return
    key = f"feedback_{answer_id}"
    if key not in st.session_state and message.get("thumbs") in ("up", "down"):
        # After a reload the stored thumbs come back selected.
        st.session_state[key] = 1 if message["thumbs"] == "up" else 0
    st.feedback("thumbs", key=key, on_change=_on_thumbs, args=(store, message, key, changed))
    if message.get("feedback_error"):
        problem = escape_markdown(message["feedback_error"])
        st.markdown(f"Your feedback could not be saved: {problem}")
    elif message.get("comment_sent"):
        st.markdown("Thank you: your comment was saved.")
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
                args=(store, message, comment_key, changed),
            )


def answer_markdown(answer: Answer, key: str) -> str:
    """Return the answer text as escaped Markdown whose [n] markers link to their sources."""
    text = escape_markdown(answer.answer, bullets=True)
    return link_markers(text, key, [c.marker for c in answer.citations])


def render_answer(
    message: MutableMapping[str, Any],
    *,
    clinician: bool,
    key: str,
    store: AnswerStore | None = None,
    documents: Mapping[str, Mapping[str, Any]] | None = None,
    changed: Changed | None = None,
) -> None:
    """Render an assistant message holding an Answer (call inside `st.chat_message`).

    `key` names this answer on the page (anchors and widget keys); `documents` maps a doc id
    to its manifest metadata, for dates as stated and links to the original.
    """
    answer: Answer = message["answer"]
    text = answer_markdown(answer, key)
    if answer.status == "urgent":
        st.error(text, icon=":material/emergency:", title="Please seek urgent medical care")
    elif answer.status == "out_of_scope":
        st.warning(text, icon=":material/explore_off:", title="Outside what PHT Guide covers")
    elif answer.status == "not_covered":
        st.info(text, icon=":material/info:", title="Not covered by the guidance documents")
    else:
        st.markdown(text)
    if answer.notice:
        st.markdown(f":material/info: {escape_markdown(answer.notice)}")
    if message.get("log_notice"):  # the answer log could not take this answer (see LogReceipt)
        st.caption(escape_markdown(message["log_notice"]))
    render_sources(answer, key, documents or {}, clinician=clinician)
    if clinician:
        _render_details(answer)
    if answer.status != "urgent":
        # The urgent box says what to do; a safety line under it would only dilute it.
        render_safety_line(key)
    with st.container(horizontal=True, vertical_alignment="center", gap="small"):
        copy_button(answer_plain_text(answer), key=f"copy_{key}")
        if store is not None:
            _render_feedback(message, store, changed)
