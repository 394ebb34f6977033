"""Question sidecars are strict, and every entry maps to exactly one chunk."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.errors import CorpusError
from assistant.types import Chunk
from ingest.pipeline import build_chunks
from ingest.questions import REGISTERS, load_questions, parse_sidecar, question_id
from tests.conftest import CORPUS

_CHUNKS = [
    Chunk("doc-a:1", "doc-a", "Sitting compresses the tendon. Use a cushion.", "Sitting", 0, 10),
    Chunk("doc-a:2", "doc-a", "Stretching irritates the tendon.", "Stretching", 11, 20),
    Chunk("doc-a:3", "doc-a", "Stretching feels good but compresses it.", "Stretching", 21, 30),
    Chunk("doc-b:1", "doc-b", "Sitting compresses the tendon.", "Sitting", 0, 10),
]

_GOOD = """\
doc_id: doc-a
review_status: not_independently_reviewed
passages:
  - section: Sitting
    anchor: "use a  CUSHION"
    questions:
      patient: ["Why do chairs hurt?"]
      typo: ["does siting hurt"]
  - section: Stretching
    anchor: irritates
    questions:
      yes_no: ["Should I stretch?"]
"""


def _corpus(tmp_path: Path, text: str, name: str = "doc-a.yaml") -> Path:
    folder = tmp_path / "questions"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return tmp_path


def _load(corpus: Path) -> list[tuple[str, str, str]]:
    records = load_questions(corpus, _CHUNKS, ["doc-a", "doc-b"])
    return [(r.chunk_id, r.register, r.text) for r in records]


def test_anchor_maps_each_question_to_its_chunk(tmp_path: Path) -> None:
    assert _load(_corpus(tmp_path, _GOOD)) == [
        ("doc-a:1", "patient", "Why do chairs hurt?"),
        ("doc-a:1", "typo", "does siting hurt"),
        ("doc-a:2", "yes_no", "Should I stretch?"),
    ]


def test_question_ids_come_from_chunk_and_text() -> None:
    assert question_id("doc-a:1", "Why  do chairs hurt?") == question_id(
        "doc-a:1", "why do chairs hurt?"
    )
    assert question_id("doc-a:1", "Why?") != question_id("doc-a:2", "Why?")
    assert question_id("doc-a:1", "Why?") != question_id("doc-a:1", "How?")


def test_document_without_sidecar_has_no_questions(tmp_path: Path) -> None:
    assert load_questions(tmp_path, _CHUNKS, ["doc-a"]) == []
    # A sidecar for doc-a says nothing about doc-b.
    records = load_questions(_corpus(tmp_path, _GOOD), _CHUNKS, ["doc-a", "doc-b"])
    assert {r.doc_id for r in records} == {"doc-a"}


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("    anchor: irritates\n", "    anchor: irritates\n    weight: 2\n",
         r"doc-a\.yaml: passage #2 \(anchor 'irritates'\) field 'weight': unknown key"),
        ("      yes_no:", "      jargon:",
         r"passage #2 .* field 'questions\.jargon': unknown key \(registers: patient"),
        ("review_status: not_independently_reviewed\n",
         "review_status: not_independently_reviewed\nreviewer: me\n",
         r"field 'reviewer': unknown key"),
        ("anchor: irritates", "anchor: soothes",
         r"passage #2 \(section 'Stretching', anchor 'soothes'\): the anchor matches no passage"),
        ("anchor: irritates", "anchor: STRETCHING",
         r"passage #2 .*anchor 'STRETCHING'\): the anchor matches 2 passages"),
        ("section: Stretching", "section: Stretches",
         r"passage #2 .*has no section of that name \(it has: Sitting; Stretching\)"),
        ("anchor: irritates", "anchor: irritates\n    section: Sitting",
         r"doc-a\.yaml: line 11: duplicate key 'section'"),
        ("      yes_no: [\"Should I stretch?\"]", "      yes_no: [\"why do chairs HURT?\"]",
         r"passage #2 .*already listed under passage #1"),
        ("review_status: not_independently_reviewed", "review_status: draft",
         "review_status is 'draft'"),
        ("doc_id: doc-a", "doc_id: doc-b", "does not match the file name"),
    ],
)
def test_strict_errors_name_file_and_entry(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    assert old in _GOOD
    with pytest.raises(CorpusError, match=message):
        _load(_corpus(tmp_path, _GOOD.replace(old, new, 1)))


def test_two_entries_for_one_chunk(tmp_path: Path) -> None:
    text = _GOOD + (
        "  - section: Sitting\n    anchor: compresses\n    questions:\n      slang: [\"bum?\"]\n"
    )
    with pytest.raises(CorpusError, match=r"passage #3 .*same passage as passage #1"):
        _load(_corpus(tmp_path, text))


def test_sidecar_of_unknown_document_and_stray_files(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match=r"doc-z\.yaml: no document 'doc-z'"):
        _load(_corpus(tmp_path, _GOOD.replace("doc-a", "doc-z"), "doc-z.yaml"))
    (tmp_path / "questions" / "doc-z.yaml").unlink()
    (tmp_path / "questions" / "notes.txt").write_text("x", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"notes\.txt: only <doc_id>\.yaml"):
        _load(tmp_path)


def test_drafts_folder_is_never_read(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path, _GOOD)
    (corpus / "questions" / "drafts").mkdir()
    (corpus / "questions" / "drafts" / "doc-a.yaml").write_text("not: [valid", encoding="utf-8")
    assert len(_load(corpus)) == 3


def test_aliases_links_and_size_are_refused(tmp_path: Path) -> None:
    bomb = _GOOD.replace('patient: ["Why do chairs hurt?"]', 'patient: &q ["Why do chairs hurt?"]')
    bomb = bomb.replace('yes_no: ["Should I stretch?"]', "yes_no: *q")
    with pytest.raises(CorpusError, match="aliases are not allowed"):
        _load(_corpus(tmp_path, bomb))
    outside = tmp_path.parent / f"{tmp_path.name}-outside.yaml"
    outside.write_text(_GOOD, encoding="utf-8")
    link = tmp_path / "questions" / "doc-a.yaml"
    link.unlink()
    link.symlink_to(outside)
    with pytest.raises(CorpusError, match="outside the corpus folder"):
        _load(tmp_path)
    link.unlink()
    _corpus(tmp_path, _GOOD + "# " + "x" * 2000 + "\n")
    with pytest.raises(CorpusError, match="larger than 1,000 bytes"):
        load_questions(tmp_path, _CHUNKS, ["doc-a"], limit=1000)


def test_parse_sidecar_rejects_bad_yaml_and_long_questions(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match=r"x\.yaml: not valid YAML"):
        parse_sidecar(tmp_path / "x.yaml", "passages: [\n")
    long = _GOOD.replace("Should I stretch?", "why " * 100)
    with pytest.raises(CorpusError, match="longer than 300 characters"):
        parse_sidecar(tmp_path / "x.yaml", long)


def test_shipped_sidecars_cover_every_chunk_with_eight_varied_questions() -> None:
    # Word counts stand in for model tokens: no shipped passage is near the budget either way.
    chunks = build_chunks(CORPUS, lambda text: len(text.split())).chunks
    records = load_questions(CORPUS, chunks, {chunk.doc_id for chunk in chunks})
    per_chunk: dict[str, list[str]] = {}
    for record in records:
        per_chunk.setdefault(record.chunk_id, []).append(record.register)
    assert set(per_chunk) == {chunk.chunk_id for chunk in chunks}
    for chunk_id, registers in per_chunk.items():
        assert len(registers) >= 8, chunk_id
        assert set(registers) == set(REGISTERS), chunk_id
