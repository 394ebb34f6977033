"""The Streamlit pages, run headless by AppTest with a fake assistant patched into the factory."""

from __future__ import annotations

import json
import sqlite3
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Block, Element, Error, Info, Warning

from assistant.disclaimer import DISCLAIMER
from assistant.errors import IndexNotReady
from assistant.settings import Settings
from assistant.types import Answer, Candidate, Chunk, Citation, DocumentView
from ui.render import REVIEW_BADGE, escape_markdown
from ui.store import DB_FILENAME, AnswerStore

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # `ui` lives next to app.py, outside the installed packages
    sys.path.insert(0, str(ROOT))

import ui.core  # noqa: E402

APP = str(ROOT / "app.py")
TIMEOUT = 120

_SITTING = "The tendon lies close to the ischial tuberosity beneath the gluteal muscles."
_COMPRESSION = "Sitting itself aggravates symptoms, limiting rest and prolonging recovery."


def _citation(marker: int, **changes: Any) -> Citation:
    fields: dict[str, Any] = dict(
        marker=marker,
        chunk_id=f"chunk-{marker}",
        doc_id="h2t-pht-challenges",
        title="Why proximal hamstring tendinopathy is so challenging",
        section="Anatomy and Compression",
        publisher="H2T Physio",
        source="corpus/h2t-pht-challenges.txt",
        text=f"{_SITTING} {_COMPRESSION}",
        score=0.8123,
        date="2024-10-06",
        review_status="ai_generated_pending_review",
        highlights=[_COMPRESSION],
    )
    fields.update(changes)
    return Citation(**fields)


class FakeAssistant:
    """Answers by keyword: 'bladder' is urgent, 'pizza' out of scope, 'dose' not covered."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.corpus_version = "fake-v1"
        self.calls: list[tuple[str, list[dict[str, str]], str]] = []

    def ask(
        self,
        question: str,
        history: Sequence[Mapping[str, str]] = (),
        audience: str = "patient",
    ) -> Answer:
        self.calls.append((question, [dict(m) for m in history], audience))
        lowered = question.lower()
        base: dict[str, Any] = dict(
            question=question,
            disclaimer=DISCLAIMER,
            corpus_version=self.corpus_version,
            audience=audience,
            timings_ms={"safety": 0.2, "retrieve": 11.5, "compose": 1.1, "total": 13.0},
        )
        if "bladder" in lowered:
            return Answer(
                status="urgent",
                answer="These symptoms need urgent care: go to an emergency department now.",
                citations=[],
                rule_id="cauda-equina",
                **base,
            )
        if "pizza" in lowered:
            return Answer(
                status="out_of_scope",
                answer="PHT Guide only answers questions about proximal hamstring tendinopathy.",
                citations=[],
                **base,
            )
        if "dose" in lowered:
            return Answer(
                status="not_covered",
                answer="The documents do not give a dose. They do say loading is pain-guided [1].",
                citations=[_citation(1)],
                **base,
            )
        return Answer(
            status="answered",
            answer=f"{_COMPRESSION} [1] Stretching can hinder healing [2].",
            citations=[
                _citation(1),
                _citation(
                    2,
                    chunk_id="chunk-2",
                    doc_id="droracle",
                    title="Dr Oracle guidelines",
                    section="Loading",
                    publisher="Dr Oracle",
                    review_status="not_independently_reviewed",
                    text="Aggressive stretching can hinder healing. <b>Load</b> gradually.",
                    highlights=["Aggressive stretching can hinder healing."],
                ),
            ],
            retrieved=[
                Candidate("chunk-1", "h2t-pht-challenges", "Anatomy", 0.81, "a", 1, 2, True),
                Candidate("chunk-2", "droracle", "Loading", 0.64, "b", 2, 1, True),
                Candidate("chunk-9", "droracle", "Surgery", 0.31, "not cited text", 5, 7, False),
            ],
            **base,
        )

    def search(self, query: str, k: int = 10) -> list[Candidate]:
        return [Candidate("chunk-1", "h2t-pht-challenges", "Anatomy", 0.77, f"match for {query}")]

    def documents(self) -> list[DocumentView]:
        chunk = Chunk(
            chunk_id="chunk-1",
            doc_id="h2t-pht-challenges",
            text="Sitting <script>alert(1)</script> aggravates symptoms.",
            section="Anatomy and Compression",
            start=0,
            end=55,
        )
        meta = {
            "id": "h2t-pht-challenges",
            "title": "Why PHT is challenging",
            "publisher": "H2T Physio",
            "kind": "web_article",
            "audience": "patient",
            "date": "2024-10-06",
            "review_status": "ai_generated_pending_review",
            "review_note": "Drafted with AI assistance.",
            "references": ["Goom et al. 2016"],
            "source_disclaimer": "Not medical advice.",
        }
        return [DocumentView("h2t-pht-challenges", meta, [chunk])]


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    data_dir = tmp_path / "data"
    monkeypatch.setenv("PHT_DATA_DIR", str(data_dir))
    monkeypatch.setenv("PHT_CHROMA_PATH", str(tmp_path / "chroma"))
    monkeypatch.delenv("PHT_ANSWER_LOG", raising=False)
    monkeypatch.delenv("PHT_MODE", raising=False)
    st.cache_resource.clear()
    yield data_dir
    st.cache_resource.clear()


@pytest.fixture
def fakes(env: Path, monkeypatch: pytest.MonkeyPatch) -> list[FakeAssistant]:
    built: list[FakeAssistant] = []

    def factory(settings: Settings) -> FakeAssistant:
        built.append(FakeAssistant(settings))
        return built[-1]

    monkeypatch.setattr(ui.core, "build_assistant", factory)
    return built


def _app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, at.exception
    return at


def _ask(at: AppTest, question: str) -> AppTest:
    at.chat_input[0].set_value(question).run()
    assert not at.exception, at.exception
    return at


def _elements(block: Block) -> list[Element]:
    found: list[Element] = []
    for child in block.children.values():
        if isinstance(child, Block):
            found.extend(_elements(child))
        else:
            found.append(child)
    return found


def _all_markdown(at: AppTest) -> list[Any]:
    return [*at.markdown, *at.caption]


def _rows(data_dir: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(data_dir / DB_FILENAME) as conn:
        return conn.execute(sql).fetchall()


def test_empty_chat_shows_notice_starters_and_that_questions_are_stored(
    fakes: list[FakeAssistant],
) -> None:
    at = _app()
    assert at.title[0].value == "PHT Guide"
    notice = at.caption[0].value
    assert "not a diagnosis" in notice
    assert "stored on this computer for quality review" in notice
    starters = [b for b in at.button if (b.key or "").startswith("starter_")]
    assert len(starters) == 4
    assert len(at.chat_message) == 0
    assert len(fakes) == 1
    assert [link.proto.label for link in at.get("page_link")] == ["Chat", "Sources", "Review"]


def test_answer_streams_with_markers_sources_badge_highlights_and_disclaimer(
    fakes: list[FakeAssistant], env: Path
) -> None:
    at = _ask(_app(), "Why does sitting hurt?")
    assert [m.name for m in at.chat_message] == ["user", "assistant"]
    reply = at.chat_message[1]
    assert reply.markdown[0].value.startswith(escape_markdown(_COMPRESSION))
    assert "\\[1\\]" in reply.markdown[0].value and "\\[2\\]" in reply.markdown[0].value
    [sources] = reply.expander
    assert sources.label == "Sources (2)"
    texts = [m.value for m in sources.markdown] + [c.value for c in sources.caption]
    assert any(f":orange-badge[:material/warning: {REVIEW_BADGE}]" in t for t in texts)
    assert any("Not independently reviewed" in t for t in texts)
    assert (
        f":gray[{escape_markdown(_SITTING)}] :orange-background[{escape_markdown(_COMPRESSION)}]"
        in texts
    )
    assert (
        ":orange-background[Aggressive stretching can hinder healing.] "
        ":gray[\\<b\\>Load\\</b\\> gradually.]" in texts
    )
    assert any("H2T Physio · 2024" in t for t in texts)
    assert reply.caption[-1].value == escape_markdown(DISCLAIMER)
    assert len(reply.get("feedback")) == 1
    [(question, history, audience)] = fakes[0].calls
    assert (question, history, audience) == ("Why does sitting hurt?", [], "patient")
    assert _rows(env, "SELECT question, status FROM answers") == [
        ("Why does sitting hurt?", "answered")
    ]


def test_follow_up_sends_history_and_replays_earlier_turns(fakes: list[FakeAssistant]) -> None:
    at = _ask(_app(), "Why does sitting hurt?")
    at = _ask(at, "And stretching?")
    assert len(at.chat_message) == 4
    _, history, _ = fakes[0].calls[1]
    assert [m["role"] for m in history] == ["user", "assistant"]
    assert history[1]["content"].startswith(_COMPRESSION)
    assert len(fakes) == 1  # one cached assistant for every run


def test_starter_button_asks_its_question(fakes: list[FakeAssistant]) -> None:
    at = _app()
    at.button(key="starter_0").click().run()
    assert not at.exception
    assert fakes[0].calls[0][0] == "Why does sitting make my buttock pain worse?"
    assert [m.name for m in at.chat_message] == ["user", "assistant"]
    assert not [b for b in at.button if (b.key or "").startswith("starter_")]


def test_urgent_answer_is_an_error_callout_at_the_top(fakes: list[FakeAssistant]) -> None:
    at = _ask(_app(), "I suddenly can't control my bladder and my groin is numb")
    reply = at.chat_message[1]
    first = _elements(reply)[0]
    assert isinstance(first, Error)
    assert "urgent care" in first.value
    assert first.proto.title == "Please seek urgent medical care"
    assert reply.caption[-1].value == escape_markdown(DISCLAIMER)


def test_out_of_scope_and_not_covered_look_different(fakes: list[FakeAssistant]) -> None:
    at = _ask(_app(), "What pizza should I order?")
    first = _elements(at.chat_message[1])[0]
    assert isinstance(first, Warning) and "only answers" in first.value
    at = _ask(at, "What dose of exercise?")
    first = _elements(at.chat_message[3])[0]
    assert isinstance(first, Info) and "do not give a dose" in first.value
    assert at.chat_message[3].expander[0].label == "Source"


def test_feedback_and_comment_are_stored_in_sqlite(fakes: list[FakeAssistant], env: Path) -> None:
    at = _ask(_app(), "Why does sitting hurt?")
    [answer_id] = [r[0] for r in _rows(env, "SELECT id FROM answers")]
    at.feedback[0].set_value(0).run()
    assert not at.exception
    assert _rows(env, "SELECT answer_id, thumbs, comment FROM feedback") == [
        (answer_id, "down", None)
    ]
    at.text_area(key=f"comment_{answer_id}").input("Too vague about sitting.")
    at.button(key=f"comment_send_{answer_id}").click().run()
    assert not at.exception
    assert _rows(env, "SELECT thumbs, comment FROM feedback ORDER BY id DESC LIMIT 1") == [
        ("down", "Too vague about sitting.")
    ]
    assert any("comment was saved" in c.value for c in at.chat_message[1].caption)
    [row] = AnswerStore(env).recent(negative_only=True)
    assert row.answer().citations[0].chunk_id == "chunk-1"


def test_logging_off_stores_nothing_and_says_so(
    fakes: list[FakeAssistant], env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PHT_ANSWER_LOG", "0")
    at = _ask(_app(), "Why does sitting hurt?")
    assert "Nothing you type here is stored." in at.caption[0].value
    assert len(at.get("feedback")) == 0
    assert not (env / DB_FILENAME).exists()


def test_clinician_view_shows_details_and_asks_for_a_clinician(
    fakes: list[FakeAssistant],
) -> None:
    at = _app()
    at.toggle(key="_clinician_toggle").set_value(True).run()
    at = _ask(at, "Why does sitting hurt?")
    assert fakes[0].calls[0][2] == "clinician"
    reply = at.chat_message[1]
    captions = [c.value for c in reply.caption]
    assert any("status **answered**" in c and "`fake-v1`" in c for c in captions)
    assert any("total 13.0 ms" in c for c in captions)
    assert any("score 0.812" in c and "`chunk-1`" in c for c in captions)
    retrieved = [e for e in reply.expander if e.label.startswith("Retrieved passages")]
    assert retrieved[0].label == "Retrieved passages: 3, not cited: 1"
    table = retrieved[0].dataframe[0].value
    assert list(table["chunk"]) == ["chunk-1", "chunk-2", "chunk-9"]
    assert list(table["cited"]) == [True, True, False]
    at.toggle(key="_clinician_toggle").set_value(False).run()
    assert not [e for e in at.chat_message[1].expander if e.label.startswith("Retrieved")]


def test_new_conversation_clears_the_chat(fakes: list[FakeAssistant]) -> None:
    at = _ask(_app(), "Why does sitting hurt?")
    assert len(at.chat_message) == 2
    download = at.get("download_button")[0]
    assert not download.proto.disabled
    [reset] = [b for b in at.button if b.label == "New conversation"]
    reset.click().run()
    assert not at.exception
    assert len(at.chat_message) == 0
    assert [b for b in at.button if (b.key or "").startswith("starter_")]
    at = _ask(at, "And stretching?")
    assert fakes[0].calls[-1][1] == []  # the new conversation starts with no history


def test_missing_index_shows_the_command_to_run(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def factory(settings: Settings) -> FakeAssistant:
        raise IndexNotReady(f"No index at {settings.chroma_path}: run `pht-ingest` first.")

    monkeypatch.setattr(ui.core, "build_assistant", factory)
    at = _app()
    assert "run `pht-ingest` first" in at.error[0].value
    assert "pht-ingest" in at.code[0].value
    assert len(at.chat_input) == 0


def test_bad_setting_shows_an_error_not_a_traceback(
    fakes: list[FakeAssistant], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PHT_MODE", "telepathy")
    at = _app()
    assert "PHT_MODE" in at.error[0].value


def test_html_in_a_question_shows_as_text(fakes: list[FakeAssistant]) -> None:
    question = "<script>alert('x')</script><img src=x onerror=alert(1)> sitting?"
    at = _ask(_app(), question)
    shown = at.chat_message[0].markdown[0].value
    assert shown == escape_markdown(question)
    assert "\\<script\\>" in shown and "\\<img" in shown
    assert fakes[0].calls[0][0] == question
    assert all(not m.proto.allow_html for m in _all_markdown(at))


def test_sources_page_lists_documents_chunks_and_searches(fakes: list[FakeAssistant]) -> None:
    at = _app()
    at.switch_page("pages/1_Sources.py").run()
    assert not at.exception
    assert at.title[0].value == "Sources"
    assert at.tabs[0].label == "H2T Physio"
    assert at.subheader[0].value == "Why PHT is challenging"
    texts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    assert any(REVIEW_BADGE in t for t in texts)
    assert any("Sitting \\<script\\>alert(1)\\</script\\> aggravates" in t for t in texts)
    assert any("characters 0–55" in t and "`chunk-1`" in t for t in texts)
    assert all(not m.proto.allow_html for m in _all_markdown(at))
    at.text_input(key="sources_query").input("sitting").run()
    assert not at.exception
    assert any("match for sitting" in m.value for m in at.markdown)


def test_review_page_filters_and_exports(fakes: list[FakeAssistant], env: Path) -> None:
    at = _ask(_app(), "Why does sitting hurt?")
    at = _ask(at, "What pizza should I order?")
    at.feedback[0].set_value(0).run()
    at.switch_page("pages/2_Review.py").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["status"]) == ["out_of_scope", "answered"]
    assert list(table["feedback"]) == ["", "thumbs down"]
    assert at.get("download_button")[0].proto.label == "Export CSV"
    at.toggle(key="review_negative").set_value(True).run()
    assert list(at.dataframe[0].value["question"]) == ["Why does sitting hurt?"]
    at.toggle(key="review_negative").set_value(False).run()
    at.multiselect(key="review_status").set_value(["urgent"]).run()
    assert any("No logged answers match" in i.value for i in at.info)


def test_review_page_summarises_an_eval_report(fakes: list[FakeAssistant], tmp_path: Path) -> None:
    report = {
        "meta": {"created": "2026-01-01T00:00:00+00:00", "mode": "extractive"},
        "summary": {
            "citation_precision": {"mean": 0.91, "p95": 1.0, "min": 0.5, "n": 10, "passed": 8},
        },
        "thresholds": [
            {"scope": "all", "metric": "citation_precision", "bound": "mean >= 0.95", "ok": False}
        ],
        "passed_cases": 9,
        "total_cases": 10,
        "results": [],
    }
    path = tmp_path / "eval.json"
    path.write_text(json.dumps(report))
    at = _app()
    at.switch_page("pages/2_Review.py").run()
    assert any("make eval" in c.value for c in at.code)
    at.text_input(key="eval_report_path").input(str(path)).run()
    assert not at.exception
    assert [m.value for m in at.metric][:2] == ["9 / 10", "0 / 1"]
    assert "citation\\_precision" in at.warning[0].value
    assert list(at.dataframe[-1].value["metric"]) == ["citation_precision"]


def test_unexpected_errors_show_a_message_not_a_traceback(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_factory(settings: Settings) -> FakeAssistant:
        raise ModuleNotFoundError("No module named 'assistant.somewhere'")

    monkeypatch.setattr(ui.core, "build_assistant", broken_factory)
    at = _app()
    assert "unexpected error (ModuleNotFoundError)" in at.error[0].value

    class BrokenAssistant(FakeAssistant):
        def ask(self, question: str, history: Any = (), audience: str = "patient") -> Answer:
            raise RuntimeError("boom")

    st.cache_resource.clear()
    monkeypatch.setattr(ui.core, "build_assistant", BrokenAssistant)
    at = _ask(_app(), "Why does sitting hurt?")
    assert "something went wrong" in at.chat_message[1].error[0].value
    at = _ask(at, "Another question")  # the page still works; failed turns join no history
    assert [m.name for m in at.chat_message] == ["user", "assistant"]
    assert at.chat_message[0].markdown[0].value == "Another question"


class _Stream:
    """Like assistant.compose.stream.AnswerStream: pieces of verified text, then the final Answer."""

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
    at = _ask(_app(), "Why does sitting hurt?")
    reply = at.chat_message[1]
    # The final Answer replaces the streamed draft: its text, its sources, its notice.
    assert reply.markdown[0].value.startswith(escape_markdown(_COMPRESSION))
    assert "itself\\</b\\>" not in reply.markdown[0].value
    assert reply.expander[0].label == "Sources (2)"
    assert any("could not be checked" in c.value for c in reply.caption)
    assert len(at.chat_message) == 2
