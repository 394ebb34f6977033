"""Sentence spans: the unit the composer quotes and ingestion splits at."""

from __future__ import annotations

from assistant.language.sentences import sentence_spans


def _sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in sentence_spans(text)]


def test_splits_at_sentence_ends_and_trims() -> None:
    text = "  Sitting hurts. Stretching irritates it!  Why? Rest 6–12 months. "
    assert _sentences(text) == ["Sitting hurts.", "Stretching irritates it!", "Why?",
                                "Rest 6–12 months."]


def test_abbreviations_and_joined_names_do_not_split() -> None:
    text = "Ask a physio, e.g. Dr. Smith, first. Dr.Oracle lists 4 references."
    assert _sentences(text) == ["Ask a physio, e.g. Dr. Smith, first.",
                                "Dr.Oracle lists 4 references."]


def test_lowercase_after_a_period_is_not_a_new_sentence() -> None:
    assert _sentences("Use ice vs. heat for relief.") == ["Use ice vs. heat for relief."]


def test_spans_index_the_original_text() -> None:
    text = "One. Two three.\n\nFour."
    assert [text[s:e] for s, e in sentence_spans(text)] == ["One.", "Two three.", "Four."]
