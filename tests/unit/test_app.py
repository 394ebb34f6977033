"""The chat and Sources pages, run headless by AppTest with a fake assistant patched in."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
import streamlit as st
from streamlit.testing.v1.element_tree import Error, Info, Warning

import ui.core
from assistant.disclaimer import DISCLAIMER
from assistant.errors import IndexNotReady
from assistant.settings import Settings
from assistant.types import Answer
from tests.unit.app_helpers import (
    COMPRESSION,
    SITTING,
    FakeAssistant,
    all_markdown,
    app,
    ask,
    elements,
    env,
    fakes,
    rows,
)
from ui.render import REVIEW_BADGE, escape_markdown
from ui.safety_note import SAFETY_LINE
from ui.store import DB_FILENAME, AnswerStore

__all__ = ["env", "fakes"]  # fixtures, used by name


def _labels(at: Any) -> list[str]:
    return [link.proto.label for link in at.get("page_link")]


def test_empty_chat_shows_notice_disclaimer_once_starters_and_no_review_page(
    fakes: list[FakeAssistant],
) -> None:
    at = app()
    assert at.title[0].value == "PHT Guide"
    texts = [m.value for m in at.markdown]
    assert any("stored on this computer for quality review" in t for t in texts)
    assert sum(escape_markdown(DISCLAIMER) in t for t in texts) == 1
    starters = [b for b in at.button if (b.key or "").startswith("starter_")]
    assert len(starters) == 4
    assert len(at.chat_message) == 0
    assert len(fakes) == 1
    assert "Review" not in _labels(at) and {"Chat", "Sources"} <= set(_labels(at))
    assert not at.query_params.get("c")  # nothing stored before the first question


def test_answer_links_markers_to_source_cards_with_highlights_and_a_calm_safety_line(
    fakes: list[FakeAssistant], env: Path
) -> None:
    at = ask(app(), "Why does sitting hurt?")
    assert [m.name for m in at.chat_message] == ["user", "assistant"]
    reply = at.chat_message[1]
    text = reply.markdown[0].value
    assert text.startswith(escape_markdown(COMPRESSION))
    assert "[\\[1\\]](#src-m1-1)" in text and "[\\[2\\]](#src-m1-2)" in text
    assert [(h.value, h.proto.anchor) for h in reply.header] == [
        ("\\[1\\] Why proximal hamstring tendinopathy is so challenging", "src-m1-1"),
        ("\\[2\\] Dr Oracle guidelines", "src-m1-2"),
    ]
    texts = [m.value for m in reply.markdown]
    assert any(f":orange-badge[:material/warning: {REVIEW_BADGE}]" in t for t in texts)
    assert any("Not independently reviewed" in t for t in texts)
    assert (
        f":gray[{escape_markdown(SITTING)}] :orange-background[{escape_markdown(COMPRESSION)}]"
        in texts
    )
    assert (
        ":orange-background[Aggressive stretching can hinder healing.] "
        ":gray[\\<b\\>Load\\</b\\> gradually.]" in texts
    )
    # The manifest's date as stated, with no year: said so.
    stated = escape_markdown("Updated: Oct 6 (year not stated)")
    assert any(f"H2T Physio · {stated}" in t for t in texts)
    # One short safety line that opens to the red flags; the disclaimer is not repeated.
    [safety] = [e for e in reply.expander if e.label == SAFETY_LINE]
    assert "saddle area" in safety.markdown[0].value
    assert not any(escape_markdown(DISCLAIMER) in t for t in texts)
    assert len(reply.get("feedback")) == 1
    [(question, history, audience)] = fakes[0].calls
    assert (question, history, audience) == ("Why does sitting hurt?", [], "patient")
    assert rows(env, "SELECT question, status FROM answers") == [
        ("Why does sitting hurt?", "answered")
    ]


def test_follow_up_sends_history_and_replays_earlier_turns(fakes: list[FakeAssistant]) -> None:
    at = ask(app(), "Why does sitting hurt?")
    at = ask(at, "And stretching?")
    assert len(at.chat_message) == 4
    _, history, _ = fakes[0].calls[1]
    assert [m["role"] for m in history] == ["user", "assistant"]
    assert history[1]["content"].startswith(COMPRESSION)
    assert at.chat_message[3].header[0].proto.anchor == "src-m3-1"  # anchors differ per answer
    assert len(fakes) == 1  # one assistant for every run


def test_starter_button_asks_its_question(fakes: list[FakeAssistant]) -> None:
    at = app()
    at.button(key="starter_0").click().run()
    assert not at.exception
    assert fakes[0].calls[0][0] == "Why does sitting make my buttock pain worse?"
    assert [m.name for m in at.chat_message] == ["user", "assistant"]
    assert not [b for b in at.button if (b.key or "").startswith("starter_")]


def test_urgent_answer_is_an_error_callout_with_nothing_calming_under_it(
    fakes: list[FakeAssistant],
) -> None:
    at = ask(app(), "I suddenly can't control my bladder and my groin is numb")
    reply = at.chat_message[1]
    first = elements(reply)[0]
    assert isinstance(first, Error)
    assert "urgent care" in first.value
    assert first.proto.title == "Please seek urgent medical care"
    assert not [e for e in reply.expander if e.label == SAFETY_LINE]
    assert not any(escape_markdown(DISCLAIMER) in m.value for m in reply.markdown)


def test_out_of_scope_and_not_covered_look_different(fakes: list[FakeAssistant]) -> None:
    at = ask(app(), "What pizza should I order?")
    first = elements(at.chat_message[1])[0]
    assert isinstance(first, Warning) and "only answers" in first.value
    at = ask(at, "What dose of exercise?")
    first = elements(at.chat_message[3])[0]
    assert isinstance(first, Info) and "do not give a dose" in first.value
    assert "(#src-m3-1)" in first.value
    assert any(m.value == "**Source**" for m in at.chat_message[3].markdown)


def test_feedback_and_comment_are_stored_in_sqlite(fakes: list[FakeAssistant], env: Path) -> None:
    at = ask(app(), "Why does sitting hurt?")
    [answer_id] = [r[0] for r in rows(env, "SELECT id FROM answers")]
    at.feedback[0].set_value(0).run()
    assert not at.exception
    assert rows(env, "SELECT answer_id, thumbs, comment FROM feedback") == [
        (answer_id, "down", None)
    ]
    at.text_area(key=f"comment_{answer_id}").input("Too vague about sitting.")
    at.button(key=f"comment_send_{answer_id}").click().run()
    assert not at.exception
    assert rows(env, "SELECT thumbs, comment FROM feedback ORDER BY id DESC LIMIT 1") == [
        ("down", "Too vague about sitting.")
    ]
    assert any("comment was saved" in m.value for m in at.chat_message[1].markdown)
    [row] = AnswerStore(env).recent(negative_only=True)
    assert row.answer().citations[0].chunk_id == "chunk-1"


def test_logging_off_stores_nothing_and_says_so(
    fakes: list[FakeAssistant], env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PHT_ANSWER_LOG", "0")
    at = ask(app(), "Why does sitting hurt?")
    assert any("Nothing you type here is stored" in m.value for m in at.markdown)
    assert len(at.get("feedback")) == 0
    assert not at.query_params.get("c")
    assert not (env / DB_FILENAME).exists()
    assert not env.exists() or not any(env.iterdir())


def test_clinician_view_shows_evidence_first_and_debug_behind_details(
    fakes: list[FakeAssistant],
) -> None:
    at = app()
    at.toggle(key="_clinician_toggle").set_value(True).run()
    at = ask(at, "Why does sitting hurt?")
    assert fakes[0].calls[0][2] == "clinician"
    reply = at.chat_message[1]
    texts = [m.value for m in reply.markdown]
    assert "Section: Anatomy and Compression" in texts
    assert any(t.startswith("\\[2\\] Goom et al. 2016") for t in texts)  # a matched reference
    assert any("Review note: Drafted with AI assistance." in t for t in texts)
    [details] = [e for e in reply.expander if e.label == "Details"]
    inside = [m.value for m in details.markdown]
    assert any("status **answered**" in t and "`fake-v1`" in t for t in inside)
    assert any("total 13.0 ms" in t for t in inside)
    assert any("score 0.812" in t and "`chunk-1`" in t for t in inside)
    assert "Retrieved passages: 3, not cited: 1" in inside
    table = details.dataframe[0].value
    assert list(table["chunk"]) == ["chunk-1", "chunk-2", "chunk-9"]
    assert list(table["cited"]) == [True, True, False]
    at.toggle(key="_clinician_toggle").set_value(False).run()
    assert not [e for e in at.chat_message[1].expander if e.label == "Details"]


def test_missing_index_shows_the_command_to_run(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def factory(settings: Settings) -> FakeAssistant:
        raise IndexNotReady(f"No index at {settings.chroma_path}: run `pht-ingest` first.")

    monkeypatch.setattr(ui.core, "build_assistant", factory)
    at = ask(app(), "Why does sitting hurt?")
    assert "run `pht-ingest` first" in at.error[0].value
    assert "pht-ingest" in at.code[0].value


def test_bad_setting_shows_an_error_not_a_traceback(
    fakes: list[FakeAssistant], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PHT_MODE", "telepathy")
    at = app()
    assert "PHT_MODE" in at.error[0].value


def test_html_in_a_question_shows_as_text(fakes: list[FakeAssistant]) -> None:
    question = "<script>alert('x')</script><img src=x onerror=alert(1)> sitting?"
    at = ask(app(), question)
    shown = at.chat_message[0].markdown[0].value
    assert shown == escape_markdown(question)
    assert "\\<script\\>" in shown and "\\<img" in shown
    assert fakes[0].calls[0][0] == question
    assert all(not m.proto.allow_html for m in all_markdown(at))


def test_sources_page_lists_documents_chunks_and_searches(fakes: list[FakeAssistant]) -> None:
    at = app()
    at.switch_page("pages/1_Sources.py").run()
    assert not at.exception
    assert at.title[0].value == "Sources"
    assert at.tabs[0].label == "H2T Physio"
    assert at.header[0].value == "Why PHT is challenging"
    texts = [m.value for m in at.markdown]
    assert any(REVIEW_BADGE in t for t in texts)
    stated = escape_markdown("Updated: Oct 6 (year not stated)")
    assert any(f"**Date:** {stated}" in t for t in texts)
    assert any("Sitting \\<script\\>alert(1)\\</script\\> aggravates" in t for t in texts)
    assert any("characters 0–55" in t and "`chunk-1`" in t for t in texts)
    assert all(not m.proto.allow_html for m in all_markdown(at))
    at.text_input(key="sources_query").input("sitting").run()
    assert not at.exception
    assert any("match for sitting" in m.value for m in at.markdown)
    at.text_input(key="sources_query").input("kombucha").run()
    assert "No passage of the guidance contains" in at.info[0].value


def test_unexpected_errors_show_a_message_not_a_traceback(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_factory(settings: Settings) -> FakeAssistant:
        raise ModuleNotFoundError("No module named 'assistant.somewhere'")

    monkeypatch.setattr(ui.core, "build_assistant", broken_factory)
    at = ask(app(), "Why does sitting hurt?")
    assert "unexpected error (ModuleNotFoundError)" in at.error[0].value

    class BrokenAssistant(FakeAssistant):
        def ask(self, question: str, history: Any = (), audience: str = "patient") -> Answer:
            raise RuntimeError("boom")

    st.cache_resource.clear()
    ui.core.forget_assistants()
    monkeypatch.setattr(ui.core, "build_assistant", BrokenAssistant)
    at = ask(app(), "Why does sitting hurt?")
    assert "something went wrong" in at.chat_message[1].error[0].value
    at = ask(at, "Another question")  # the page still works; failed turns join no history
    assert [m.name for m in at.chat_message] == ["user", "assistant"]
    assert at.chat_message[0].markdown[0].value == "Another question"


class _Stream:
    """Like assistant.llm.AnswerStream: pieces of verified text, then the final Answer."""

    def __init__(self, pieces: list[str], answer: Answer) -> None:
        self._pieces = pieces
        self.answer = answer

    def __iter__(self) -> Iterator[str]:
        yield from self._pieces


class StreamingAssistant(FakeAssistant):
    """LLM mode: the text arrives in pieces, and the final Answer fell back to extractive."""

    def ask_stream(
        self, question: str, history: Sequence[Mapping[str, str]] = (), audience: str = "patient"
    ) -> _Stream:
        answer = self.ask(question, history, audience)
        answer.notice = "The model's wording could not be checked: showing the quoted passages."
        return _Stream(["Sitting <b>itself</b> ", "aggravates symptoms."], answer)


def test_llm_mode_streams_pieces_then_shows_the_final_answer(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PHT_MODE", "llm")
    monkeypatch.setattr(ui.core, "build_assistant", StreamingAssistant)
    at = ask(app(), "Why does sitting hurt?")
    reply = at.chat_message[1]
    # The final Answer replaces the streamed draft: its text, its sources, its notice.
    assert reply.markdown[0].value.startswith(escape_markdown(COMPRESSION))
    assert "itself\\</b\\>" not in reply.markdown[0].value
    assert len(reply.header) == 2
    assert any("could not be checked" in m.value for m in reply.markdown)
    assert len(at.chat_message) == 2
