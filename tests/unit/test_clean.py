"""Cleaning rules: boilerplate goes, clinical sentences stay, metadata is lifted out."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.clean import clean_text, load_rules
from ingest.load import read_document

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
BOILERPLATE = [
    "top of page",
    "bottom of page",
    "Comments",
    "Personalize",
    "Help us tailor your experience",
    "Which best describes you?",
    "Article Review Status",
    "Under Review",
    "View editorial policy",
    "Have a follow-up question?",
    "Our Medical A.I.",
    "Medical Advisory Board",
    "visit Head 2 Toe Osteopathy",
    "Professional Medical Disclaimer",
    "Dr.Oracle assumes no liability",
]


@pytest.fixture(scope="module")
def cleaned() -> dict[str, str]:
    return {
        path.stem: clean_text(read_document(path)).text for path in sorted(CORPUS.glob("*.txt"))
    }


@pytest.mark.parametrize("phrase", BOILERPLATE)
def test_boilerplate_is_gone(cleaned: dict[str, str], phrase: str) -> None:
    for name, text in cleaned.items():
        assert phrase.lower() not in text.lower(), f"{phrase!r} left in {name}"


@pytest.mark.parametrize(
    "sentence",
    [
        "Sitting itself aggravates symptoms, limiting rest and prolonging recovery.",
        "Stretching increases tendon compression and irritability",
        "NSAIDs are recommended for short-term pain relief, but have no effect on long-term "
        "outcomes.",
        "Surgery is reserved for chronic or severely impaired cases, usually after 6–12 months",
        "with a minimum of 20 to 30 sessions of exercises often being needed.",
    ],
)
def test_clinical_sentences_are_kept(cleaned: dict[str, str], sentence: str) -> None:
    assert any(sentence in text for text in cleaned.values())


def test_reference_markers_are_lifted_with_their_offsets() -> None:
    raw = (
        "Heading\n\n  • NSAIDs help short-term 1.\n"
        "  • Outcomes were good after treatment 2, 3, 6."
    )
    clean = clean_text(raw)
    assert "short-term." in clean.text and "treatment." in clean.text
    assert " 1." not in clean.text and "2, 3, 6" not in clean.text
    assert [refs for _, refs in clean.ref_marks] == [("1",), ("2", "3", "6")]
    for offset, _ in clean.ref_marks:
        assert clean.text[offset - 1] == "."


def test_real_numbers_are_not_taken_for_markers() -> None:
    raw = "Surgery helps up to 89% return to sport.\nUsually after 6–12 months of care."
    assert clean_text(raw).text == raw
    assert clean_text(raw).ref_marks == []


def test_source_disclaimer_becomes_metadata_not_text() -> None:
    clean = clean_text(read_document(CORPUS / "droracle-hamstring-sciatica-guidelines.txt"))
    assert "intended for healthcare professionals" in clean.metadata["source_disclaimer"]
    assert "intended for healthcare professionals" not in clean.text
    assert clean.metadata["stated_date"] == "February 15, 2025"


def test_date_line_becomes_metadata() -> None:
    clean = clean_text(read_document(CORPUS / "h2t-pht-challenges.txt"))
    assert clean.metadata["stated_date"] == "Oct 6"
    assert "Updated:" not in clean.text


def test_rules_file_is_strict(tmp_path: Path) -> None:
    from assistant.errors import CorpusError

    bad = tmp_path / "rules.yaml"
    bad.write_text("line:\n  - {text: x, why: y, colour: red}\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="rules.yaml"):
        load_rules(bad)
