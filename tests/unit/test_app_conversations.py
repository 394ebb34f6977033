"""The chat keeps a conversation across reloads, deletes it on request, regenerates and edits."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

import ui.core
from assistant.settings import Settings
from tests.unit.app_helpers import FakeAssistant, app, ask, env, fakes, rows
from ui.conversations import conversation_key, valid_token

__all__ = ["env", "fakes"]  # fixtures, used by name


def test_a_reload_with_the_url_token_brings_the_conversation_back(
    fakes: list[FakeAssistant], env: Path
) -> None:
    at = ask(app(), "Why does sitting hurt?")
    at.feedback[0].set_value(0).run()
    token = at.query_params["c"]
    assert isinstance(token, str) and valid_token(token)
    [(session,)] = rows(env, "SELECT session_id FROM answers")
    assert session == conversation_key(token)  # the log holds the key, never the token

    reloaded = app({"c": token})  # a new browser session with the same URL
    assert [m.name for m in reloaded.chat_message] == ["user", "assistant"]
    assert reloaded.chat_message[0].markdown[0].value == "Why does sitting hurt?"
    assert reloaded.feedback[0].value == 0  # the thumbs-down given before the reload
    reloaded = ask(reloaded, "And stretching?")
    assert [m["role"] for m in fakes[0].calls[-1][1]] == ["user", "assistant"]

    stranger = app({"c": "A" * 32})
    assert len(stranger.chat_message) == 0
    assert any("no longer valid" in i.value for i in stranger.info)
    assert len(app({"c": session}).chat_message) == 0  # the stored key opens nothing


def test_new_conversation_starts_fresh_and_keeps_the_old_link_working(
    fakes: list[FakeAssistant],
) -> None:
    at = ask(app(), "Why does sitting hurt?")
    old = at.query_params["c"]
    [reset] = [b for b in at.button if b.label == "New conversation"]
    reset.click().run()
    assert not at.exception
    assert len(at.chat_message) == 0 and not at.query_params.get("c")
    assert [b for b in at.button if (b.key or "").startswith("starter_")]
    at = ask(at, "And stretching?")
    assert fakes[0].calls[-1][1] == []  # the new conversation starts with no history
    assert at.query_params["c"] != old
    assert len(app({"c": old}).chat_message) == 2


def test_delete_my_conversation_removes_it_and_its_logged_answers(
    fakes: list[FakeAssistant], env: Path
) -> None:
    at = ask(app(), "Why does sitting hurt?")
    at.feedback[0].set_value(1).run()
    token = at.query_params["c"]
    other = ask(app(), "Someone else's question")
    assert rows(env, "SELECT COUNT(*) FROM answers") == [(2,)]
    at.button(key="delete_now").click().run()
    assert not at.exception
    assert any("Your conversation was deleted." in s.value for s in at.success)
    assert len(at.chat_message) == 0 and not at.query_params.get("c")
    assert rows(env, "SELECT question FROM answers") == [("Someone else's question",)]
    assert rows(env, "SELECT COUNT(*) FROM feedback") == [(0,)]
    assert len(app({"c": token}).chat_message) == 0
    assert len(app({"c": other.query_params["c"]}).chat_message) == 2


def test_regenerate_asks_the_last_question_again_in_its_place(
    fakes: list[FakeAssistant], env: Path
) -> None:
    at = ask(app(), "Why does sitting hurt?")
    at.button(key="regenerate").click().run()
    assert not at.exception
    assert [c[0] for c in fakes[0].calls] == ["Why does sitting hurt?"] * 2
    assert fakes[0].calls[1][1] == []  # the replaced answer is not history
    assert len(at.chat_message) == 2
    assert rows(env, "SELECT COUNT(*) FROM answers") == [(2,)]


def test_edit_and_resend_replaces_the_last_question(fakes: list[FakeAssistant]) -> None:
    at = ask(app(), "Why does sitting hurt?")
    at.button(key="edit").click().run()
    assert at.text_area(key="edit_text").value == "Why does sitting hurt?"
    at.text_area(key="edit_text").input("Why does sitting hurt after running?")
    [send] = [b for b in at.button if b.label == "Send again"]
    send.click().run()
    assert not at.exception
    assert fakes[0].calls[-1][0] == "Why does sitting hurt after running?"
    assert len(at.chat_message) == 2
    assert at.chat_message[0].markdown[0].value == "Why does sitting hurt after running?"


def test_the_input_shows_at_once_and_a_question_waits_for_the_loading_assistant(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()
    built: list[FakeAssistant] = []

    def slow_factory(settings: Settings) -> FakeAssistant:
        release.wait(30)
        built.append(FakeAssistant(settings))
        return built[-1]

    monkeypatch.setattr(ui.core, "build_assistant", slow_factory)
    at = app()
    assert len(at.chat_input) == 1
    assert any("Loading the guidance documents" in i.value for i in at.info)
    at.chat_input[0].set_value("Why does sitting hurt?")
    threading.Timer(0.5, release.set).start()
    at.run()
    assert not at.exception
    assert built and built[0].calls[0][0] == "Why does sitting hurt?"
    assert [m.name for m in at.chat_message] == ["user", "assistant"]


def test_a_failed_start_is_retried_on_the_next_visit(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    attempts: list[int] = []

    def flaky_factory(settings: Settings) -> FakeAssistant:
        attempts.append(1)
        if len(attempts) == 1:
            raise ConnectionError("Chroma server went away")
        return FakeAssistant(settings)

    monkeypatch.setattr(ui.core, "build_assistant", flaky_factory)
    at = app()
    assert "unexpected error (ConnectionError)" in at.error[0].value
    at = ask(app(), "Why does sitting hurt?")  # a reload: the loader starts again
    assert [m.name for m in at.chat_message] == ["user", "assistant"]
    assert len(attempts) == 2


def test_warm_assistant_builds_before_any_page_and_pages_reuse_it(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[FakeAssistant] = []

    def factory(settings: Settings) -> FakeAssistant:
        built.append(FakeAssistant(settings))
        return built[-1]

    monkeypatch.setattr(ui.core, "build_assistant", factory)
    warm = ui.core.warm_assistant(Settings.from_env())
    at = ask(app(), "Why does sitting hurt?")
    assert built == [warm] and warm.calls[0][0] == "Why does sitting hurt?"
    assert not at.info  # no "Loading" notice: it was ready before the page
