"""Ingest refuses what it must not index: paths outside the corpus, one file under two ids,
oversized documents and manifests, and YAML alias bombs (issue 16)."""

from __future__ import annotations

import os
import time
import tracemalloc
import zlib
from pathlib import Path

import pytest
import yaml

from assistant.errors import ConfigError, CorpusError
from assistant.settings import Settings
from ingest.load import read_document
from ingest.manifest import load_manifest
from ingest.pipeline import build_chunks

TEXT = "Sitting compresses the tendon against the sit bone.\n\nLoading helps it recover.\n"


def _entry(doc_id: str, file: str, **extra: object) -> dict[str, object]:
    return {
        "id": doc_id, "file": file, "title": f"Title {doc_id}", "publisher": "Tester",
        "kind": "test", "audience": "tests", "date": "2026", "source": "tests",
        "review_status": "not_independently_reviewed", **extra,
    }  # fmt: skip


def _corpus(root: Path, entries: list[dict[str, object]], files: dict[str, str]) -> Path:
    corpus = root / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (corpus / name).parent.mkdir(parents=True, exist_ok=True)
        (corpus / name).write_text(text, encoding="utf-8")
    (corpus / "manifest.yaml").write_text(
        yaml.safe_dump({"documents": entries}, sort_keys=False), encoding="utf-8"
    )
    return corpus


def _one_line_error(corpus: Path, settings: Settings | None = None) -> str:
    with pytest.raises(CorpusError) as caught:
        if settings is None:
            load_manifest(corpus)
        else:
            load_manifest(corpus, settings)
    message = str(caught.value)
    assert len(message.splitlines()) == 1, message
    return message


# ---------------------------------------------------------------- every file inside the corpus
def test_parent_directory_escape_is_refused_naming_the_entry(tmp_path: Path) -> None:
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "x.txt").write_text("Secret outside text.\n", encoding="utf-8")
    corpus = _corpus(tmp_path, [_entry("escape-doc", "../outside/x.txt")], {})
    message = _one_line_error(corpus)
    assert "escape-doc" in message and "outside" in message and "../outside/x.txt" in message


def test_absolute_path_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_text("Secret outside text.\n", encoding="utf-8")
    corpus = _corpus(tmp_path, [_entry("absolute-doc", str(outside))], {})
    message = _one_line_error(corpus)
    assert "absolute-doc" in message and "outside" in message


def test_symlink_to_a_file_outside_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "passwd"
    outside.write_text("root:x:0:0:root:/root:/bin/bash\n", encoding="utf-8")
    corpus = _corpus(tmp_path, [_entry("linked-doc", "passwd.txt")], {})
    (corpus / "passwd.txt").symlink_to(outside)
    message = _one_line_error(corpus)
    assert "linked-doc" in message and "passwd.txt" in message and "outside" in message
    # Nor does the pipeline read it by another route.
    with pytest.raises(CorpusError):
        build_chunks(corpus, lambda text: len(text.split()))


def test_symlinked_folder_pointing_outside_is_refused(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "x.txt").write_text(TEXT, encoding="utf-8")
    corpus = _corpus(tmp_path, [_entry("folder-doc", "sub/x.txt")], {})
    (corpus / "sub").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    assert "folder-doc" in _one_line_error(corpus)


def test_symlink_inside_the_corpus_is_fine(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path, [_entry("real-doc", "alias.txt")], {"sub/real.txt": TEXT})
    (corpus / "alias.txt").symlink_to(corpus / "sub" / "real.txt")
    assert [e.id for e in load_manifest(corpus).documents] == ["real-doc"]
    chunks = build_chunks(corpus, lambda text: len(text.split())).chunks
    assert chunks and "Sitting compresses" in chunks[0].text


# ---------------------------------------------------------------- one file, one id
@pytest.mark.parametrize("spelling", ["./x.txt", "x/../x.txt", "sub/../x.txt", ".//x.txt"])
def test_one_file_under_two_spellings_is_an_error(tmp_path: Path, spelling: str) -> None:
    corpus = _corpus(
        tmp_path, [_entry("first-doc", "x.txt"), _entry("second-doc", spelling)],
        {"x.txt": TEXT, "sub/keep.md": "# kept\n"},
    )  # fmt: skip
    message = _one_line_error(corpus)
    assert "first-doc" in message and "second-doc" in message and "same file" in message


def test_symlink_and_its_target_listed_twice_is_an_error(tmp_path: Path) -> None:
    corpus = _corpus(
        tmp_path, [_entry("first-doc", "x.txt"), _entry("second-doc", "y.txt")], {"x.txt": TEXT}
    )
    (corpus / "y.txt").symlink_to(corpus / "x.txt")
    assert "same file" in _one_line_error(corpus)


def test_unusual_spelling_of_a_listed_file_counts_as_listed(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path, [_entry("only-doc", "./x.txt")], {"x.txt": TEXT})
    assert [e.id for e in load_manifest(corpus).documents] == ["only-doc"]


# ---------------------------------------------------------------- size limits
def test_document_over_the_default_limit_is_refused_before_reading(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path, [_entry("huge-doc", "huge.txt")], {})
    limit = Settings().max_document_bytes
    with (corpus / "huge.txt").open("w", encoding="utf-8") as handle:
        line = "sitting compresses the tendon against the sit bone " * 20 + "\n"
        while handle.tell() <= limit:
            handle.write(line * 100)
    started = time.perf_counter()
    message = _one_line_error(corpus)
    assert time.perf_counter() - started < 1.0
    assert "huge-doc" in message and "PHT_MAX_DOCUMENT_BYTES" in message


def test_document_limit_is_a_setting(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path, [_entry("small-doc", "small.txt")], {"small.txt": TEXT * 40})
    assert load_manifest(corpus, Settings(max_document_bytes=10_000)).documents
    message = _one_line_error(corpus, Settings(max_document_bytes=1_000))
    assert "small-doc" in message and "1,000" in message
    assert Settings.from_env({"PHT_MAX_DOCUMENT_BYTES": "5000"}).max_document_bytes == 5000
    with pytest.raises(ConfigError):
        Settings(max_document_bytes=0)


def test_reader_stops_at_the_limit_even_if_the_file_grew(tmp_path: Path) -> None:
    path = tmp_path / "grown.txt"
    path.write_text(TEXT * 1000, encoding="utf-8")
    with pytest.raises(CorpusError, match=r"grown\.txt: .*larger than"):
        read_document(path, max_bytes=1_000)
    assert "Sitting" in read_document(path, max_bytes=1_000_000)


def _compressed_pdf(text: str, repeat: int) -> bytes:
    """Return a one-page PDF whose Flate-compressed content shows `text` `repeat` times."""
    ops = b"BT /F1 12 Tf 72 720 Td " + b"".join(
        f"({text}) Tj 0 -1 Td ".encode() for _ in range(repeat)
    ) + b"ET"
    stream = zlib.compress(ops, 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" /Filter /FlateDecode >>\nstream\n"
        + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer << /Size {len(objects) + 1} /Root 1 0 R >>\n".encode()
    out += f"startxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def test_pdf_whose_text_outgrows_the_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bomb.pdf"
    path.write_bytes(_compressed_pdf("Sitting compresses the tendon", 2000))
    size = path.stat().st_size
    assert size < 5_000  # ~60 kB of text in a few kB of file
    assert "Sitting compresses" in read_document(path, max_bytes=1_000_000)
    with pytest.raises(CorpusError, match=r"bomb\.pdf: its text is larger than"):
        read_document(path, max_bytes=size * 4)


def test_manifest_over_its_limit_is_refused(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path, [_entry("note-doc", "x.txt", review_note="n" * 5000)],
                     {"x.txt": TEXT})  # fmt: skip
    assert load_manifest(corpus).documents
    message = _one_line_error(corpus, Settings(max_manifest_bytes=2_000))
    assert "manifest.yaml" in message and "PHT_MAX_MANIFEST_BYTES" in message


def test_total_corpus_size_is_bounded(tmp_path: Path) -> None:
    files = {f"d{n}.txt": TEXT * 20 for n in range(3)}
    entries = [_entry(f"doc-{n}", f"d{n}.txt") for n in range(3)]
    corpus = _corpus(tmp_path, entries, files)
    one = len((TEXT * 20).encode())
    assert load_manifest(corpus, Settings(max_corpus_bytes=3 * one)).documents
    message = _one_line_error(corpus, Settings(max_corpus_bytes=3 * one - 1))
    assert "PHT_MAX_CORPUS_BYTES" in message and "doc-2" in message


# ---------------------------------------------------------------- YAML aliases
def _alias_manifest(corpus: Path, value_chars: int, aliases: int) -> None:
    refs = "\n".join("      - *big" for _ in range(aliases))
    text = (
        "documents:\n"
        "  - id: bomb-doc\n    file: x.txt\n    title: t\n    publisher: p\n    kind: k\n"
        "    audience: a\n    date: d\n    source: s\n    review_status: clinically_reviewed\n"
        f"    review_note: &big \"{'x' * value_chars}\"\n"
        f"    references:\n{refs}\n"
    )
    (corpus / "manifest.yaml").write_text(text, encoding="utf-8")


def test_alias_bomb_of_the_issue_fails_fast_without_allocating(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path, [], {"x.txt": TEXT})
    _alias_manifest(corpus, 1_000_000, 300)  # 300 MB once expanded
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(CorpusError) as caught:
            build_chunks(corpus, lambda text: len(text.split()))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 5.0
    assert peak < 60_000_000, peak
    assert "manifest.yaml" in str(caught.value)


def test_aliases_that_expand_past_the_limit_are_refused(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path, [], {"x.txt": TEXT})
    _alias_manifest(corpus, 20_000, 300)  # a 20 kB file, 6 MB once expanded
    assert (corpus / "manifest.yaml").stat().st_size < Settings().max_manifest_bytes
    message = _one_line_error(corpus)
    assert "alias" in message and "PHT_MAX_MANIFEST_BYTES" in message


def test_nested_aliases_billion_laughs_are_refused_fast(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path, [], {"x.txt": TEXT})
    lines = ["a0: &a0 [\"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\"]"]
    for level in range(1, 12):
        inner = ", ".join([f"*a{level - 1}"] * 8)
        lines.append(f"a{level}: &a{level} [{inner}]")
    lines.append("documents: *a11")
    (corpus / "manifest.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    started = time.perf_counter()
    assert "alias" in _one_line_error(corpus)
    assert time.perf_counter() - started < 2.0


def test_a_few_small_aliases_are_still_allowed(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path, [], {"x.txt": TEXT, "y.txt": TEXT.upper()})
    text = (
        "documents:\n"
        "  - &base {id: first-doc, file: x.txt, title: t, publisher: &pub Publisher, kind: k,"
        " audience: a, date: d, source: s, review_status: clinically_reviewed}\n"
        "  - {id: second-doc, file: y.txt, title: t2, publisher: *pub, kind: k,"
        " audience: a, date: d, source: s, review_status: clinically_reviewed}\n"
    )
    (corpus / "manifest.yaml").write_text(text, encoding="utf-8")
    manifest = load_manifest(corpus)
    assert [d.publisher for d in manifest.documents] == ["Publisher", "Publisher"]


def test_fifo_in_the_corpus_is_not_read(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path, [_entry("pipe-doc", "pipe.txt")], {})
    os.mkfifo(corpus / "pipe.txt")
    assert "pipe-doc" in _one_line_error(corpus)  # must not block reading a pipe
