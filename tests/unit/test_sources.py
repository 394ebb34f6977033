"""Source-card helpers: [n] links, dates as stated, reference markers, LLM quotes."""

from __future__ import annotations

from typing import Any

from streamlit.testing.v1 import AppTest

from assistant.types import Answer, Citation
from ui.render import escape_markdown
from ui.sources import date_as_stated, link_markers, reference_lines, source_anchor


def _citation(**changes: Any) -> Citation:
    fields: dict[str, Any] = dict(
        marker=1, chunk_id="c1", doc_id="d1", title="Guide", section="Sitting", publisher="H2T",
        source="h2t.txt", text="Sitting aggravates symptoms. Use a cushion.", score=0.9,
    )  # fmt: skip
    fields.update(changes)
    return Citation(**fields)


def test_markers_link_to_their_cards_and_unknown_markers_stay_text() -> None:
    text = escape_markdown("Sitting hurts [1]. Cushions help [2]. See [7].")
    linked = link_markers(text, "m3", [1, 2])
    assert "[\\[1\\]](#src-m3-1)" in linked and "[\\[2\\]](#src-m3-2)" in linked
    assert "See \\[7\\]." in linked
    assert source_anchor("m 3/<x>", 1) == "src-m-3--x--1"


def test_dates_are_shown_as_stated_and_a_missing_year_is_said() -> None:
    assert date_as_stated("Updated: Oct 6") == "Updated: Oct 6 (year not stated)"
    assert date_as_stated("Updated: Oct 6 (year not stated)") == "Updated: Oct 6 (year not stated)"
    assert date_as_stated("Last updated: February 15, 2025") == "Last updated: February 15, 2025"
    assert date_as_stated("") == "date not stated"


def test_reference_markers_match_a_numbered_list_and_say_when_they_cannot() -> None:
    cited = _citation(refs=["2", "5"])
    numbered = {"references": ["Pietrzak 2015", "Goom 2016"]}
    assert reference_lines(cited, numbered) == [
        "\\[2\\] Goom 2016",
        "\\[5\\] not matched to the reference list (2 listed)",
    ]
    unnumbered = {
        "references": ["Goom 2016"],
        "references_note": "The page lists its references unnumbered.",
    }
    lines = reference_lines(_citation(refs=["1"]), unnumbered)
    assert lines[0] == "\\[1\\] not matched to the reference list (1 listed)"
    assert "unnumbered" in lines[1]
    assert reference_lines(_citation(), numbered) == []


def _card_app() -> None:
    import streamlit as st

    from ui.sources import render_sources

    render_sources(st.session_state["answer"], "m1", {}, clinician=False)


def test_llm_quotes_are_highlighted_and_shown_with_their_sentence() -> None:
    quoted = _citation(
        quotes=[{"sentence": "A cushion can help.", "quote": "Use a cushion."}],
        highlights=[],
    )
    answer = Answer(
        question="q", status="answered", answer="A cushion can help [1].", citations=[quoted],
        disclaimer="d",
    )  # fmt: skip
    at = AppTest.from_function(_card_app)
    at.session_state["answer"] = answer
    at.run()
    assert not at.exception
    texts = [m.value for m in at.markdown]
    assert ":gray[Sitting aggravates symptoms.] :orange-background[Use a cushion.]" in texts
    assert "“Use a cushion.” supports: A cushion can help." in texts
    assert at.header[0].proto.anchor == "src-m1-1"
