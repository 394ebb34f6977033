"""The product's lexical support check (LLM verifier) and the language functions under it."""

from __future__ import annotations

import pytest

from assistant.compose.support import support
from assistant.language.negation import negated_stems
from assistant.language.sentences import markers_of, split_sentences, strip_markers
from assistant.language.tokens import content_stems, numbers_in, stem

NSAID = (
    "NSAIDs are recommended for short-term pain relief, but have no effect on long-term outcomes 1."
)
SURGERY = (
    "Surgery is reserved for chronic or severely impaired cases, usually after 6–12 months of "
    "failed conservative care, and has good long-term outcomes."
)
ROW = (
    "Option: Avoid excessive stretching. Evidence/Outcome: Stretching increases tendon "
    "compression and irritability."
)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("compresses", "compression"),
        ("sitting", "sit"),
        ("stretching", "stretches"),
        ("degenerative", "degeneration"),
        ("recommended", "recommendation"),
        ("injections", "injected"),
        ("modified", "modify"),
        ("irritability", "irritate"),
        ("activities", "activity"),
    ],
)
def test_stem_folds_related_forms(a: str, b: str) -> None:
    assert stem(a) == stem(b)


def test_stem_leaves_short_words_and_numbers() -> None:
    assert stem("ice") == "ice"
    assert stem("89%") == "89%"


def test_synonyms_fold_domain_terms() -> None:
    assert content_stems("ESWT") == content_stems("extracorporeal shock wave therapy")
    assert content_stems("anti-inflammatories") == content_stems("NSAIDs")
    assert content_stems("sit bone") == content_stems("ischial tuberosity")
    assert content_stems("platelet-rich plasma") == content_stems("PRP")


def test_numbers_ranges_percentages_and_words() -> None:
    found = numbers_in("after 6–12 months, up to 89% return; three to six months; 20 to 30")
    assert {"6-12", "89%", "3-6", "20-30"} <= found


def test_markers_are_read_and_stripped() -> None:
    sentence = "Sitting aggravates symptoms [1, 3]."
    assert markers_of(sentence) == [1, 3]
    assert strip_markers(sentence) == "Sitting aggravates symptoms."


def test_split_sentences_keeps_markers_and_table_rows() -> None:
    text = f"Sitting hurts [1]. NSAIDs help. [2] {ROW} [3]\n• A bullet."
    parts = split_sentences(text)
    assert parts[0] == "Sitting hurts [1]."
    assert parts[1] == "NSAIDs help. [2]"
    assert parts[2].startswith("Option: Avoid") and parts[2].endswith("[3]")
    assert parts[3] == "A bullet."


def test_negation_scope_stops_at_clause_break() -> None:
    negated, positive = negated_stems(NSAID)
    assert "longterm" in negated
    assert "shortterm" in positive


def test_support_accepts_a_clause_of_the_evidence() -> None:
    assert support("NSAIDs are recommended for short-term pain relief.", NSAID).supported


def test_support_rejects_a_denied_claim() -> None:
    result = support("NSAIDs improve long-term outcomes.", NSAID)
    assert not result.supported
    assert "negates" in result.reason


def test_support_rejects_a_negated_claim_of_a_positive_fact() -> None:
    assert not support(
        "The tendon is not sensitive to load.", "The tendon is highly sensitive to load."
    ).supported


def test_support_requires_the_claims_numbers() -> None:
    assert support(
        "Surgery is usually considered after 6 to 12 months of failed care.", SURGERY
    ).supported
    result = support("Surgery is usually considered after 3 to 6 months of failed care.", SURGERY)
    assert not result.supported
    assert "3-6" in result.reason


def test_support_rejects_antonyms() -> None:
    assert not support("Stretching reduces tendon compression.", ROW).supported


def test_support_needs_most_content_words() -> None:
    result = support("Aggressive stretching of the hamstring is recommended.", ROW)
    assert not result.supported
    assert "missing" in result.reason


def test_high_similarity_allows_one_more_missing_word() -> None:
    claim = "Resume activity guided by pain response and careful load increase."
    evidence = "Return to activity should be based on pain response and careful load increase."
    assert not support(claim, evidence).supported
    assert support(claim, evidence, similarity=0.9).supported
    assert not support(claim, evidence, similarity=0.5).supported
