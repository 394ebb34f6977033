"""PHT Guide: the Streamlit chat. Thin: it asks `assistant/` and renders the Answer it returns.

Run with `make run` (or `streamlit run app.py`); the Sources and Review pages live in pages/.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import streamlit as st

from assistant.errors import InvalidQuestion, PHTError
from assistant.types import Answer
from ui.answer import render_answer
from ui.core import AssistantLike, load_assistant, load_settings, load_store
from ui.nav import page_setup
from ui.render import conversation_markdown, escape_markdown
from ui.store import AnswerStore

logger = logging.getLogger("pht_guide.app")

AVATARS = {"user": ":material/person:", "assistant": ":material/healing:"}

STARTERS = (
    "Why does sitting make my buttock pain worse?",
    "Should I stretch my hamstring?",
    "What kind of exercise helps?",
    "Why does this take so long to get better?",
)

NOTICE = (
    "Answers come only from two curated documents about proximal hamstring tendinopathy "
    "(pain where the hamstring attaches at the sit bone). General information, not a diagnosis."
)


def _init_state() -> None:
    st.session_state.setdefault("messages", [])
    st.session_state.setdefault("session_id", uuid.uuid4().hex)
    st.session_state.setdefault("pending", None)
    st.session_state.setdefault("clinician_view", False)


def _new_conversation() -> None:
    st.session_state["messages"] = []
    st.session_state["pending"] = None


def _ask_starter(question: str) -> None:
    st.session_state["pending"] = question


def _sync_clinician() -> None:
    st.session_state["clinician_view"] = bool(st.session_state.get("_clinician_toggle"))


def _history(messages: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [{"role": m["role"], "content": m["content"]} for m in messages]


def _sidebar(messages: list[dict[str, Any]]) -> None:
    with st.sidebar:
        st.toggle(
            "Clinician view",
            value=st.session_state["clinician_view"],
            key="_clinician_toggle",
            on_change=_sync_clinician,
            help="Show status, retrieval scores, chunk ids, corpus version and timings, "
            "and answer for a clinical reader.",
        )
        st.button(
            "New conversation",
            icon=":material/add_comment:",
            on_click=_new_conversation,
            disabled=not messages,
            width="stretch",
        )
        st.download_button(
            "Download conversation",
            data=conversation_markdown(messages) if messages else "",
            file_name="pht-guide-conversation.md",
            mime="text/markdown",
            icon=":material/download:",
            on_click="ignore",
            disabled=not messages,
            width="stretch",
        )


def _starters() -> None:
    st.markdown("**Not sure where to start? Try one of these:**")
    columns = st.columns(2)
    for index, question in enumerate(STARTERS):
        columns[index % 2].button(
            question,
            key=f"starter_{index}",
            on_click=_ask_starter,
            args=(question,),
            width="stretch",
        )


def _fetch(
    assistant: AssistantLike, question: str, history: list[dict[str, str]], audience: str
) -> tuple[Answer, bool]:
    """Return the Answer, and whether its text was already shown as the model wrote it."""
    ask_stream = getattr(assistant, "ask_stream", None)
    if assistant.settings.mode != "llm" or ask_stream is None:
        with st.spinner("Reading the guidance…"):
            return assistant.ask(question, history=history, audience=audience), False
    # LLM mode: show the verified text as it arrives, then the final Answer in its place
    # (which may differ: the core falls back to the extractive answer when checks fail).
    with st.spinner("Reading the guidance…"):
        stream = ask_stream(question, history=history, audience=audience)
    live = st.empty()
    text = ""
    try:
        for piece in stream:
            text += piece
            live.markdown(escape_markdown(text, bullets=True))
        return stream.answer, True
    finally:
        live.empty()


def _answer(
    question: str,
    *,
    assistant: AssistantLike,
    store: AnswerStore,
    messages: list[dict[str, Any]],
    clinician: bool,
) -> None:
    with st.chat_message("user", avatar=AVATARS["user"]):
        st.markdown(escape_markdown(question))
    with st.chat_message("assistant", avatar=AVATARS["assistant"]):
        audience = "clinician" if clinician else "patient"
        try:
            answer, shown_live = _fetch(assistant, question, _history(messages), audience)
        except InvalidQuestion as exc:
            st.warning(str(exc), icon=":material/edit_note:")
            return
        except PHTError as exc:
            logger.warning("question failed: %s", exc)
            st.error(f"Sorry, PHT Guide could not answer just now: {exc}", icon=":material/error:")
            return
        except Exception:  # a bug: keep the page usable, put the traceback in the server log
            logger.exception("question failed unexpectedly")
            st.error(
                "Sorry, something went wrong while answering. The details are in the server log.",
                icon=":material/error:",
            )
            return
        answer_id = None
        try:
            answer_id = store.log_answer(answer, session_id=st.session_state["session_id"])
        except PHTError as exc:
            logger.warning("answer not logged: %s", exc)
        messages.append({"role": "user", "content": question})
        message: dict[str, Any] = {
            "role": "assistant",
            "content": answer.answer,
            "answer": answer,
            "answer_id": answer_id,
        }
        messages.append(message)
        render_answer(message, clinician=clinician, store=store, stream=not shown_live)


def chat() -> None:
    """The chat page: history, starter questions, a new question answered and logged."""
    _init_state()
    settings = load_settings()
    store = load_store(settings)

    st.title("PHT Guide")
    stored = (
        "Your questions and the answers are stored on this computer for quality review."
        if store.enabled
        else "Nothing you type here is stored."
    )
    st.caption(f"{NOTICE} {stored}")

    messages: list[dict[str, Any]] = st.session_state["messages"]
    clinician = bool(st.session_state["clinician_view"])
    assistant = load_assistant(settings)

    prompt = st.chat_input(
        "Ask about proximal hamstring tendinopathy…", max_chars=settings.max_question_chars
    )
    if not prompt and st.session_state["pending"]:
        prompt, st.session_state["pending"] = st.session_state["pending"], None

    for message in messages:
        with st.chat_message(message["role"], avatar=AVATARS[message["role"]]):
            if message["role"] == "user":
                st.markdown(escape_markdown(message["content"]))
            else:
                render_answer(message, clinician=clinician, store=store)

    if prompt:
        _answer(
            str(prompt), assistant=assistant, store=store, messages=messages, clinician=clinician
        )
    elif not messages:
        _starters()
    # Drawn last, so that download and "New conversation" already include this answer.
    _sidebar(messages)


page_setup("Chat")
chat()
