"""Shared by the AppTest modules: a keyword fake assistant, fixtures, and tree helpers."""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Block, Element

from assistant.disclaimer import DISCLAIMER
from assistant.settings import Settings
from assistant.types import Answer, Candidate, Chunk, Citation, DocumentView
from ui.store import DB_FILENAME

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # `ui` lives next to app.py, outside the installed packages
    sys.path.insert(0, str(ROOT))

import ui.core  # noqa: E402

APP = str(ROOT / "app.py")
TIMEOUT = 120

SITTING = "The tendon lies close to the ischial tuberosity beneath the gluteal muscles."
COMPRESSION = "Sitting itself aggravates symptoms, limiting rest and prolonging recovery."


def citation(marker: int, **changes: Any) -> Citation:
    fields: dict[str, Any] = dict(
        marker=marker,
        chunk_id=f"chunk-{marker}",
        doc_id="h2t-pht-challenges",
        title="Why proximal hamstring tendinopathy is so challenging",
        section="Anatomy and Compression",
        publisher="H2T Physio",
        source="corpus/h2t-pht-challenges.txt",
        text=f"{SITTING} {COMPRESSION}",
        score=0.8123,
        date="2024-10-06",
        review_status="ai_generated_pending_review",
        highlights=[COMPRESSION],
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
                citations=[citation(1)],
                **base,
            )
        return Answer(
            status="answered",
            answer=f"{COMPRESSION} [1] Stretching can hinder healing [2].",
            citations=[
                citation(1, refs=["2"]),
                citation(
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
        # Like hybrid retrieval: dense always finds something, BM25 only shared words.
        lexical = None if "kombucha" in query else 1
        return [
            Candidate(
                "chunk-1", "h2t-pht-challenges", "Anatomy", 0.77, f"match for {query}", 1, lexical
            )
        ]

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
            "date": "Updated: Oct 6",
            "review_status": "ai_generated_pending_review",
            "review_note": "Drafted with AI assistance.",
            "references": ["Pietrzak 2015", "Goom et al. 2016"],
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
    monkeypatch.delenv("PHT_REVIEW_PASSWORD_HASH", raising=False)
    st.cache_resource.clear()
    ui.core.forget_assistants()
    yield data_dir
    st.cache_resource.clear()
    ui.core.forget_assistants()


@pytest.fixture
def fakes(env: Path, monkeypatch: pytest.MonkeyPatch) -> list[FakeAssistant]:
    built: list[FakeAssistant] = []

    def factory(settings: Settings) -> FakeAssistant:
        built.append(FakeAssistant(settings))
        return built[-1]

    monkeypatch.setattr(ui.core, "build_assistant", factory)
    return built


def app(query: Mapping[str, str] | None = None) -> AppTest:
    """Run the chat once (with these query parameters) and check it raised nothing."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params.update(query or {})
    at.run()
    assert not at.exception, at.exception
    return at


def ask(at: AppTest, question: str) -> AppTest:
    """Send a question through the chat input."""
    at.chat_input[0].set_value(question).run()
    assert not at.exception, at.exception
    return at


def elements(block: Block) -> list[Element]:
    found: list[Element] = []
    for child in block.children.values():
        if isinstance(child, Block):
            found.extend(elements(child))
        else:
            found.append(child)
    return found


def all_markdown(at: AppTest) -> list[Any]:
    return [*at.markdown, *at.caption]


def rows(data_dir: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(data_dir / DB_FILENAME) as conn:
        return conn.execute(sql).fetchall()
