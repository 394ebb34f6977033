"""Markdown escaping and highlighting: corpus and user text must display as the text it is."""

from __future__ import annotations

import re

import pytest

from assistant.types import Answer, Citation
from ui.render import (
    REVIEW_BADGE,
    conversation_markdown,
    escape_markdown,
    format_timings,
    passage_markdown,
    review_label,
)


def _unescape(markdown: str) -> str:
    # What a CommonMark renderer shows for backslash escapes and hard breaks.
    return re.sub(r"\\(.)", r"\1", markdown.replace("  \n", "\n"))


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "**bold** _it_ `code` [link](http://x) ![img](http://x)",
        ":red[colour] $x^2$ ~~strike~~ a|b",
        "# heading",
        "- item\n+ item\n1. first\n2) second",
        "> quote",
        "---",
        "&lt; entity &amp;",
        "back\\slash",
    ],
)
def test_escape_markdown_round_trips_to_the_same_characters(text: str) -> None:
    escaped = escape_markdown(text)
    assert _unescape(escaped) == text
    assert "<" not in escaped.replace("\\<", "")
    assert not re.search(r"(?m)^(\d+[.)]|[-+>#])", escaped)


def test_escape_markdown_keeps_paragraphs_and_lines_and_drops_indentation() -> None:
    escaped = escape_markdown("    indented would be code\nnext line\n\n\nnew paragraph")
    assert escaped == "indented would be code  \nnext line\n\nnew paragraph"


def test_bullets_stay_a_list_when_asked_and_their_text_is_escaped() -> None:
    text = "You could ask:\n- Why does *sitting* hurt?\n- <b>Shockwave</b>?\nOr something else."
    assert escape_markdown(text, bullets=True) == (
        "You could ask\\:\n\n- Why does \\*sitting\\* hurt?\n- \\<b\\>Shockwave\\</b\\>?"
        "\n\nOr something else."
    )
    assert escape_markdown("- not a list") == "\\- not a list"


def test_passage_markdown_merges_neighbouring_highlights_and_mutes_the_rest() -> None:
    text = "One. Two. Three. Four."
    markdown = passage_markdown(text, ["Two.", "Three."], mark=("[", "]"), rest=("(", ")"))
    assert markdown == "(One.) [Two. Three.] (Four.)"


def test_passage_markdown_bolds_the_highlighted_sentences_only() -> None:
    text = "Sitting aggravates symptoms. Stretching <b>can</b> hinder healing. Tendons heal slowly."
    markdown = passage_markdown(text, ["Stretching <b>can</b> hinder healing."])
    assert markdown == (
        "Sitting aggravates symptoms. **Stretching \\<b\\>can\\</b\\> hinder healing.** "
        "Tendons heal slowly."
    )


def test_passage_markdown_finds_sentences_across_line_breaks_and_closes_bold_per_line() -> None:
    text = "Intro line.\nFirst half of a sentence\ncontinues here. After."
    markdown = passage_markdown(text, ["First half of a sentence continues here."])
    assert markdown == "Intro line.  \n**First half of a sentence**  \n**continues here.** After."


def test_passage_markdown_ignores_highlights_not_in_the_text() -> None:
    assert passage_markdown("Plain [1] text.", ["Not there."]) == "Plain \\[1\\] text."


def test_review_labels() -> None:
    assert review_label("ai_generated_pending_review") == (REVIEW_BADGE, True)
    assert review_label("not_independently_reviewed") == ("Not independently reviewed", False)
    assert review_label("") == ("Review status not recorded", False)
    assert review_label("peer_reviewed") == ("Peer reviewed", False)


def test_format_timings() -> None:
    assert format_timings({"retrieve": 12.34, "total": 14}) == "retrieve 12.3 ms · total 14.0 ms"


def test_conversation_markdown_has_questions_answers_sources_and_disclaimer() -> None:
    citation = Citation(
        marker=1,
        chunk_id="c1",
        doc_id="d1",
        title="Guide",
        section="Sitting",
        publisher="H2T",
        source="h2t.txt",
        text="Sitting aggravates symptoms.\nUse a cushion.",
        score=0.9,
        date="2024-10-06",
        review_status="ai_generated_pending_review",
    )
    answer = Answer(
        question="Why <does> sitting hurt?",
        status="answered",
        answer="Sitting aggravates symptoms [1].",
        citations=[citation],
        disclaimer="Not a diagnosis.",
        corpus_version="v9",
    )
    markdown = conversation_markdown(
        [
            {"role": "user", "content": "Why <does> sitting hurt?"},
            {"role": "assistant", "answer": answer},
        ]
    )
    assert "Corpus version: v9" in markdown
    assert "## You\n\nWhy \\<does\\> sitting hurt?" in markdown
    assert "Sitting aggravates symptoms [1]." in markdown
    assert "- **[1] Guide — Sitting**" in markdown
    assert "H2T · 2024-10-06; AI-generated, pending human review" in markdown
    assert "  > Sitting aggravates symptoms.  \n  > Use a cushion." in markdown
    assert markdown.startswith("# PHT Guide conversation\n\n*Not a diagnosis.*\n")
    assert markdown.count("Not a diagnosis.") == 1
