"""The manifest is strict; readers name the file and the problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.errors import CorpusError
from ingest.load import read_document
from ingest.manifest import load_manifest


def test_shipped_manifest_describes_both_documents() -> None:
    corpus = Path(__file__).resolve().parents[2] / "corpus"
    manifest = load_manifest(corpus)
    by_id = {d.id: d for d in manifest.documents}
    assert set(by_id) == {"h2t-pht-challenges", "droracle-hamstring-sciatica-guidelines"}
    assert by_id["droracle-hamstring-sciatica-guidelines"].review_status == (
        "ai_generated_pending_review"
    )
    assert "healthcare professionals" in by_id["droracle-hamstring-sciatica-guidelines"].audience
    assert by_id["droracle-hamstring-sciatica-guidelines"].date == "Last updated: February 15, 2025"
    assert len(by_id["droracle-hamstring-sciatica-guidelines"].references) == 4
    assert by_id["h2t-pht-challenges"].publisher == "Head 2 Toe Osteopathy"


def test_unknown_key_names_file_entry_and_key(corpus_copy: Path) -> None:
    path = corpus_copy / "manifest.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("    kind:", "    colour: red\n    kind:", 1),
        encoding="utf-8",
    )
    with pytest.raises(CorpusError) as error:
        load_manifest(corpus_copy)
    message = str(error.value)
    assert "manifest.yaml" in message and "h2t-pht-challenges" in message
    assert "colour" in message and "unknown key" in message


def test_listed_file_that_is_missing(corpus_copy: Path) -> None:
    (corpus_copy / "h2t-pht-challenges.txt").unlink()
    with pytest.raises(CorpusError, match=r"h2t-pht-challenges\.txt.*missing"):
        load_manifest(corpus_copy)


def test_document_the_manifest_does_not_list(corpus_copy: Path) -> None:
    (corpus_copy / "extra.md").write_text("# Extra\n\nText.\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"extra\.md: not listed"):
        load_manifest(corpus_copy)


def test_duplicate_id(corpus_copy: Path) -> None:
    path = corpus_copy / "manifest.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("id: droracle-hamstring-sciatica-guidelines", "id: h2t-pht-challenges"),
        encoding="utf-8",
    )
    with pytest.raises(CorpusError, match="listed twice"):
        load_manifest(corpus_copy)


def test_invalid_yaml(corpus_copy: Path) -> None:
    (corpus_copy / "manifest.yaml").write_text("documents: [\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="not valid YAML"):
        load_manifest(corpus_copy)


def test_non_utf8_text_is_named(tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes("Caf\xe9 and tendon".encode("latin-1"))
    with pytest.raises(CorpusError, match=r"latin1\.txt: not UTF-8 .*offset 3"):
        read_document(path)


def test_empty_document_is_named(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_text("  \n\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"empty\.txt: no text"):
        read_document(path)


def test_corrupt_pdf_is_named(tmp_path: Path) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> garbage")
    with pytest.raises(CorpusError, match=r"broken\.pdf: .*PDF"):
        read_document(path)


def test_not_a_pdf_at_all(tmp_path: Path) -> None:
    path = tmp_path / "fake.pdf"
    path.write_bytes(b"hello")
    with pytest.raises(CorpusError, match=r"fake\.pdf: corrupt PDF"):
        read_document(path)


def _pdf_with_text(text: str) -> bytes:
    """Return a minimal, valid one-page PDF whose text layer says `text`."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
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
    trailer = f"trailer << /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    out += trailer.encode()
    return bytes(out)


def test_pdf_text_is_read(tmp_path: Path) -> None:
    path = tmp_path / "leaflet.pdf"
    path.write_bytes(_pdf_with_text("Sitting compresses the hamstring tendon."))
    assert "Sitting compresses the hamstring tendon." in read_document(path)


def test_url_of_the_original_page_reaches_the_citation_metadata(corpus_copy: Path) -> None:
    path = corpus_copy / "manifest.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("    kind:", '    url: "https://example.org/pht"\n    kind:', 1), "utf-8"
    )
    [first, second] = load_manifest(corpus_copy).documents
    assert first.metadata()["url"] == "https://example.org/pht"
    assert second.metadata()["url"] == ""  # no url: the card shows no link


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://example.org/x", "https://a b"])
def test_url_that_is_not_a_plain_web_address_is_refused(corpus_copy: Path, url: str) -> None:
    path = corpus_copy / "manifest.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("    kind:", f'    url: "{url}"\n    kind:', 1), "utf-8")
    with pytest.raises(CorpusError) as error:
        load_manifest(corpus_copy)
    assert "url" in str(error.value) and "h2t-pht-challenges" in str(error.value)
