"""PHT Guide: the Streamlit chat. Thin: it asks `assistant/` and renders the Answer it returns.

Run with `make run` (it builds the assistant before the URL is printed); the Sources page lives
in pages/. A conversation is stored server-side under an unguessable token kept in the URL
(`?c=...`), so a reload keeps it; review of stored answers is a separate app (review_app.py).
"""

from __future__ import annotations

import logging
from typing import Any

import streamlit as st

from assistant.disclaimer import DISCLAIMER
from assistant.errors import InvalidQuestion, PHTError, StoreError
from assistant.types import Answer
from ui.answer import render_answer
from ui.conversations import ConversationStore, conversation_key, new_token, valid_token
from ui.core import (
    AssistantLike,
    assistant_loader,
    load_assistant,
    load_conversations,
    load_settings,
    load_store,
)
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
    "(pain where the hamstring attaches at the sit bone)."
)


def _init_state() -> None:
    st.session_state.setdefault("messages", [])
    st.session_state.setdefault("token", None)
    st.session_state.setdefault("pending", None)
    st.session_state.setdefault("editing", False)
    st.session_state.setdefault("clinician_view", False)


def _restore(conversations: ConversationStore) -> None:
    """Open the conversation the URL names, or put this session's token back into the URL."""
    token = st.query_params.get("c")
    if token and token != st.session_state["token"]:
        messages = conversations.load(token) if valid_token(token) else []
        if messages:
            st.session_state.update(messages=messages, token=token, pending=None, editing=False)
        else:
            del st.query_params["c"]
            st.session_state["missing"] = True
    elif not token and st.session_state["token"] and conversations.enabled:
        st.query_params["c"] = st.session_state["token"]  # e.g. back from the Sources page


def _save(conversations: ConversationStore) -> None:
    if not conversations.enabled:
        return
    token = st.session_state["token"] or new_token()
    st.session_state["token"] = token
    if st.query_params.get("c") != token:
        st.query_params["c"] = token
    try:
        conversations.save(token, st.session_state["messages"])
    except StoreError as exc:
        logger.warning("conversation not stored: %s", exc)


def _new_conversation() -> None:
    st.session_state.update(messages=[], token=None, pending=None, editing=False)
    st.query_params.clear()


def _delete_conversation(conversations: ConversationStore) -> None:
    token = st.session_state["token"]
    if token:
        try:
            conversations.delete(token)
        except StoreError as exc:
            logger.warning("conversation not deleted: %s", exc)
            st.session_state["delete_error"] = str(exc)
            return
    _new_conversation()
    st.session_state["deleted"] = True


def _ask_starter(question: str) -> None:
    st.session_state["pending"] = question


def _regenerate() -> None:
    messages = st.session_state["messages"]
    st.session_state["pending"] = messages[-2]["content"]
    del messages[-2:]


def _start_edit() -> None:
    st.session_state["editing"] = True
    st.session_state["edit_text"] = st.session_state["messages"][-2]["content"]


def _send_edit() -> None:
    text = str(st.session_state.get("edit_text") or "").strip()
    st.session_state["editing"] = False
    if text:
        del st.session_state["messages"][-2:]
        st.session_state["pending"] = text


def _cancel_edit() -> None:
    st.session_state["editing"] = False


def _sync_clinician() -> None:
    st.session_state["clinician_view"] = bool(st.session_state.get("_clinician_toggle"))


def _history(messages: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [{"role": m["role"], "content": m["content"]} for m in messages]


def _actions(
    messages: list[dict[str, Any]], conversations: ConversationStore, bar: Any, actions: Any
) -> None:
    # In the page, not the sidebar: on a phone each is one tap away, never behind a menu.
    with bar:
        st.button(
            "New conversation",
            icon=":material/add_comment:",
            on_click=_new_conversation,
            disabled=not messages,
        )
        st.page_link("pages/1_Sources.py", label="Sources", icon=":material/menu_book:")
    with actions:
        st.download_button(
            "Download",
            data=conversation_markdown(messages) if messages else "",
            file_name="pht-guide-conversation.md",
            mime="text/markdown",
            icon=":material/download:",
            on_click="ignore",
            disabled=not messages,
            help="The conversation with its sources and the disclaimer, as a Markdown file.",
        )
        with st.popover("Delete my conversation", icon=":material/delete:", disabled=not messages):
            stored = "from this computer " if conversations.enabled else ""
            st.markdown(f"This removes the conversation {stored}for good, with its feedback.")
            st.button(
                "Delete it now",
                type="primary",
                on_click=_delete_conversation,
                args=(conversations,),
                key="delete_now",
            )
        st.toggle(
            "Clinician view",
            value=st.session_state["clinician_view"],
            key="_clinician_toggle",
            on_change=_sync_clinician,
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
) -> Answer:
    """Return the Answer; in LLM mode, show the verified text as the model writes it."""
    ask_stream = getattr(assistant, "ask_stream", None)
    if assistant.settings.mode != "llm" or ask_stream is None:
        with st.spinner("Reading the guidance…"):
            return assistant.ask(question, history=history, audience=audience)
    # The final Answer then takes the draft's place (the core falls back to the extractive
    # answer when the checks fail).
    with st.spinner("Reading the guidance…"):
        stream = ask_stream(question, history=history, audience=audience)
    live = st.empty()
    text = ""
    try:
        for piece in stream:
            text += piece
            live.markdown(escape_markdown(text, bullets=True))
        return stream.answer  # type: ignore[no-any-return]
    finally:
        live.empty()


def _answer(
    question: str,
    *,
    store: AnswerStore,
    conversations: ConversationStore,
    messages: list[dict[str, Any]],
) -> bool:
    """Answer one question in the chat, store and show it; return whether it joined the chat."""
    settings = load_settings()
    clinician = bool(st.session_state["clinician_view"])
    with st.chat_message("user", avatar=AVATARS["user"]):
        st.markdown(escape_markdown(question))
    with st.chat_message("assistant", avatar=AVATARS["assistant"]):
        assistant = load_assistant(settings)
        audience = "clinician" if clinician else "patient"
        try:
            answer = _fetch(assistant, question, _history(messages), audience)
        except InvalidQuestion as exc:
            st.warning(str(exc), icon=":material/edit_note:")
            return False
        except PHTError as exc:
            logger.warning("question failed: %s", exc)
            st.error(f"Sorry, PHT Guide could not answer just now: {exc}", icon=":material/error:")
            return False
        except Exception:  # a bug: keep the page usable, put the traceback in the server log
            logger.exception("question failed unexpectedly")
            st.error(
                "Sorry, something went wrong while answering. The details are in the server log.",
                icon=":material/error:",
            )
            return False
        # Never raises: the receipt says whether the answer reached the log, the spool or neither.
        receipt = store.record(answer, session_id=_session_id(store))
        messages.append({"role": "user", "content": question})
        message = {
            "role": "assistant",
            "content": answer.answer,
            "answer": answer,
            "answer_id": receipt.answer_id,
            "log_notice": receipt.notice,
        }
        messages.append(message)
        _save(conversations)
        # Shown at once, as composed: no word-by-word replay of text that is already complete.
        render_answer(
            message,
            clinician=clinician,
            key=f"m{len(messages) - 1}",
            store=store,
            documents=_documents(assistant.corpus_version, assistant),
            changed=lambda: _save(conversations),
        )
    return True


def _session_id(store: AnswerStore) -> str:
    # The answer log's session is the conversation's key, so deleting one deletes the other.
    if not store.enabled:
        return ""
    if st.session_state["token"] is None:
        st.session_state["token"] = new_token()
    return conversation_key(st.session_state["token"])


@st.cache_resource(show_spinner=False, max_entries=4)
def _documents(corpus_version: str, _assistant: AssistantLike) -> dict[str, dict[str, Any]]:
    return {doc.doc_id: dict(doc.metadata) for doc in _assistant.documents()}


@st.fragment(run_every=2)
def _wait_for_assistant() -> None:
    # The page stays usable while the assistant loads; when it is ready, redraw once.
    if assistant_loader(load_settings()).ready():
        st.rerun()


def _last_turn_tools() -> None:
    if st.session_state["editing"]:
        with st.form("edit_form", border=True):
            st.text_area("Edit your last question", key="edit_text", max_chars=2000)
            with st.container(horizontal=True):
                st.form_submit_button("Send again", type="primary", on_click=_send_edit)
                st.form_submit_button("Cancel", on_click=_cancel_edit)
        return
    with st.container(horizontal=True, gap="small", key="last_turn_tools"):
        st.button("Regenerate", icon=":material/refresh:", on_click=_regenerate, key="regenerate")
        st.button("Edit question", icon=":material/edit:", on_click=_start_edit, key="edit")


def chat() -> None:
    """The chat page: history, starter questions, a new question answered, logged and kept."""
    _init_state()
    settings = load_settings()
    store = load_store(settings)
    conversations = load_conversations(settings)
    loader = assistant_loader(settings)  # starts loading at once, on its own thread
    _restore(conversations)

    st.title("PHT Guide")
    stored = (
        "Your questions and the answers are stored on this computer for quality review and "
        "so that this conversation survives a reload; delete it whenever you like."
        if store.enabled
        else "Nothing you type here is stored: a reload starts a new conversation."
    )
    st.markdown(f"{NOTICE} {stored}")
    st.markdown(f"**Please read:** {escape_markdown(DISCLAIMER)}")

    messages: list[dict[str, Any]] = st.session_state["messages"]
    # Filled in last, so that Download and Delete already include this run's answer. The bar
    # (New conversation, Sources) stays at the top of the screen as the chat scrolls.
    bar = st.container(horizontal=True, gap="small", key="chat_bar")
    actions = st.container(horizontal=True, gap="small", key="chat_actions")
    if st.session_state.pop("deleted", False):
        st.success("Your conversation was deleted.", icon=":material/check_circle:")
    if st.session_state.pop("missing", False):
        st.info(
            "That conversation link is no longer valid (deleted or expired): here is a new one."
        )

    prompt = st.chat_input(
        "Ask about proximal hamstring tendinopathy…", max_chars=settings.max_question_chars
    )
    if not prompt and st.session_state["pending"]:
        prompt, st.session_state["pending"] = st.session_state["pending"], None

    ready = loader.ready() or loader.wait(1.0)
    documents: dict[str, dict[str, Any]] = {}
    if ready and loader.failed():
        load_assistant(settings, loader)  # shows what went wrong and stops; a reload retries
    if ready:
        assistant = loader.result()
        documents = _documents(assistant.corpus_version, assistant)
    clinician = bool(st.session_state["clinician_view"])
    for index, message in enumerate(messages):
        with st.chat_message(message["role"], avatar=AVATARS[message["role"]]):
            if message["role"] == "user":
                st.markdown(escape_markdown(message["content"]))
            else:
                render_answer(
                    message, clinician=clinician, key=f"m{index}", store=store,
                    documents=documents, changed=lambda: _save(conversations),
                )  # fmt: skip

    if prompt:
        if _answer(str(prompt), store=store, conversations=conversations, messages=messages):
            _last_turn_tools()
    elif not messages:
        if not ready:
            st.info(
                "Loading the guidance documents (first start only). Type your question now: "
                "it is answered as soon as they are ready.",
                icon=":material/hourglass_top:",
            )
            _wait_for_assistant()
        _starters()
    elif messages[-1]["role"] == "assistant":
        _last_turn_tools()
    _actions(messages, conversations, bar, actions)


page_setup("Chat")
chat()
