"""Structure-aware chunking: headings, table rows, bullets, token budget, offsets."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.types import Chunk
from ingest.chunk import chunk_document
from ingest.clean import clean_text
from ingest.load import read_document
from ingest.pipeline import build_chunks

CORPUS = Path(__file__).resolve().parents[2] / "corpus"


def words(text: str) -> int:
    """A stand-in tokenizer: one token per word, plus the two special tokens."""
    return len(text.split()) + 2


@pytest.fixture(scope="module")
def chunks() -> list[Chunk]:
    return build_chunks(CORPUS, words).chunks


def test_every_table_row_is_a_chunk_with_column_names(chunks: list[Chunk]) -> None:
    rows = [c for c in chunks if c.kind == "table_row"]
    assert len(rows) == 7
    shockwave = next(c for c in rows if "Shockwave therapy (ESWT)" in c.text)
    assert shockwave.text.startswith("Option: Shockwave therapy (ESWT). Evidence/Outcome: ")
    assert "superior pain and return-to-sport rates" in shockwave.text
    assert shockwave.section == "Evidence-Based Treatment Options"
    assert shockwave.metadata["display"].startswith("Shockwave therapy (ESWT): Demonstrated")
    assert not any("---" in c.text or "Additional Notes" in c.text for c in rows)


def test_headings_become_sections(chunks: list[Chunk]) -> None:
    by_text = {c.text[:40]: c.section for c in chunks}
    assert by_text["The tendon lies close to the ischial tub"] == "Anatomy and Compression"
    assert by_text["Tendons regenerate slowly, making recove"] == "Slow Regeneration"
    assert not any(c.text in ("Reasons for Difficulty", "Clinical Takeaways") for c in chunks)


def test_bullets_keep_their_heading(chunks: list[Chunk]) -> None:
    nsaid = next(c for c in chunks if c.text.startswith("NSAIDs are recommended"))
    assert nsaid.kind == "list_item"
    assert nsaid.section == "Key Treatment Recommendations"
    assert nsaid.refs == ("1",)
    assert not nsaid.text.startswith("•")


def test_trailing_reference_markers_become_metadata(chunks: list[Chunk]) -> None:
    outcomes = next(c for c in chunks if c.text.startswith("Treatment outcomes for proximal"))
    assert outcomes.refs == ("2", "3", "6")
    assert outcomes.text.endswith("after treatment.")


def test_offsets_map_back_to_the_cleaned_text() -> None:
    for path in sorted(CORPUS.glob("*.txt")):
        clean = clean_text(read_document(path))
        for chunk in chunk_document("doc", clean, {"title": ""}, words):
            span = clean.text[chunk.start : chunk.end]
            if chunk.kind == "table_row":
                assert span.startswith("|") and chunk.metadata["display"].split(":")[0] in span
            else:
                assert span == chunk.text


def test_long_paragraphs_are_split_under_the_budget() -> None:
    sentence = "The tendon is highly sensitive to load and needs patient progressive loading. "
    clean = clean_text("A heading\n\n" + sentence * 60)
    pieces = chunk_document("doc", clean, {"title": ""}, words, max_tokens=64)
    assert len(pieces) > 5
    assert all(words(p.text) <= 64 for p in pieces)
    assert all(clean.text[p.start : p.end] == p.text for p in pieces)
    assert all(p.section == "A heading" for p in pieces)


def test_a_sentence_longer_than_the_budget_is_cut_at_words() -> None:
    clean = clean_text("Heading\n\n" + " ".join(["tendon"] * 300) + ".")
    pieces = chunk_document("doc", clean, {"title": ""}, words, max_tokens=50)
    assert all(words(p.text) <= 50 for p in pieces)
    assert sum(len(p.text.split()) for p in pieces) == 300


def test_chunk_ids_are_stable_and_unique(chunks: list[Chunk]) -> None:
    again = build_chunks(CORPUS, words).chunks
    assert [c.chunk_id for c in chunks] == [c.chunk_id for c in again]
    assert len({c.chunk_id for c in chunks}) == len(chunks)


def test_markdown_headings_and_html_tables(tmp_path: Path) -> None:
    md = tmp_path / "a.md"
    md.write_text("# Title\n\n## Sitting\n\nSitting hurts the tendon.\n", encoding="utf-8")
    clean = clean_text(read_document(md))
    (chunk,) = chunk_document("a", clean, {"title": "Title"}, words)
    assert chunk.section == "Sitting" and chunk.text == "Sitting hurts the tendon."

    html = tmp_path / "b.html"
    html.write_text(
        "<html><nav>Menu</nav><h2>Options</h2><table><tr><th>Option</th><th>Outcome</th></tr>"
        "<tr><td>Shockwave</td><td>Less pain</td></tr></table><footer>(c)</footer></html>",
        encoding="utf-8",
    )
    clean = clean_text(read_document(html))
    (row,) = chunk_document("b", clean, {"title": ""}, words)
    assert row.kind == "table_row" and row.text == "Option: Shockwave. Outcome: Less pain."
    assert "Menu" not in clean.text and "(c)" not in clean.text
