"""The SQLite answer log: rows in, rows out, feedback, filters, CSV, concurrent writers."""

from __future__ import annotations

import csv
import io
import sqlite3
import threading
from pathlib import Path

import pytest

from assistant.settings import Settings
from assistant.types import Answer, Citation
from ui.store import DB_FILENAME, MAX_COMMENT_CHARS, AnswerStore, StoreError, export_csv


def _answer(question: str = "Why does sitting hurt?", status: str = "answered") -> Answer:
    citation = Citation(
        marker=1,
        chunk_id="c1",
        doc_id="h2t-pht-challenges",
        title="Why PHT is challenging",
        section="Anatomy and Compression",
        publisher="H2T",
        source="h2t.txt",
        text="Sitting itself aggravates symptoms.",
        score=0.81,
    )
    return Answer(
        question=question,
        status=status,  # type: ignore[arg-type]
        answer="Sitting presses on the tendon [1].",
        citations=[citation],
        disclaimer="general information",
        corpus_version="v1",
        timings_ms={"retrieve": 3.0, "total": 5.5},
    )


@pytest.fixture
def store(tmp_path: Path) -> AnswerStore:
    return AnswerStore(tmp_path / "data")


def test_log_answer_stores_every_field_and_the_full_answer(store: AnswerStore) -> None:
    answer_id = store.log_answer(_answer(), session_id="s1")
    assert answer_id is not None
    [row] = store.recent()
    assert row.id == answer_id
    assert (row.question, row.status, row.mode, row.corpus_version, row.session_id) == (
        "Why does sitting hurt?",
        "answered",
        "extractive",
        "v1",
        "s1",
    )
    assert row.citations[0]["chunk_id"] == "c1"
    assert row.timings_ms["total"] == 5.5
    assert row.answer() == _answer()
    assert row.thumbs is None and row.comment is None


def test_database_is_in_wal_mode_under_data_dir(store: AnswerStore, tmp_path: Path) -> None:
    assert store.path == tmp_path / "data" / DB_FILENAME
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_latest_feedback_wins_and_comment_is_kept(store: AnswerStore) -> None:
    answer_id = store.log_answer(_answer(), session_id="s1")
    assert answer_id is not None
    store.add_feedback(answer_id, thumbs="up")
    store.add_feedback(answer_id, thumbs="down")
    store.add_feedback(answer_id, thumbs="down", comment="  missing the dose  ")
    [row] = store.recent()
    assert row.thumbs == "down"
    assert row.comment == "missing the dose"
    assert [r["thumbs"] for r in store.feedback_rows(answer_id)] == ["up", "down", "down"]


def test_comment_is_cut_to_the_limit(store: AnswerStore) -> None:
    answer_id = store.log_answer(_answer(), session_id="s1")
    assert answer_id is not None
    store.add_feedback(answer_id, thumbs="down", comment="x" * (MAX_COMMENT_CHARS + 500))
    [row] = store.recent()
    assert row.comment is not None and len(row.comment) == MAX_COMMENT_CHARS


def test_feedback_needs_an_existing_answer_and_valid_thumbs(store: AnswerStore) -> None:
    with pytest.raises(StoreError):
        store.add_feedback(999, thumbs="up")
    answer_id = store.log_answer(_answer(), session_id="s1")
    assert answer_id is not None
    with pytest.raises(ValueError):
        store.add_feedback(answer_id, thumbs="sideways")  # type: ignore[arg-type]


def test_filters_by_status_and_negative_feedback(store: AnswerStore) -> None:
    ids = {}
    for status in ("answered", "urgent", "out_of_scope", "answered"):
        ids[status] = store.log_answer(_answer(f"q {status}", status), session_id="s")
    first = store.recent()[-1].id
    store.add_feedback(first, thumbs="down")
    store.add_feedback(ids["urgent"] or 0, thumbs="up")
    assert [r.status for r in store.recent(statuses=["urgent"])] == ["urgent"]
    assert {r.status for r in store.recent(statuses=["answered", "out_of_scope"])} == {
        "answered",
        "out_of_scope",
    }
    assert store.recent(statuses=[]) == []
    assert [r.id for r in store.recent(negative_only=True)] == [first]
    assert [r.id for r in store.recent(limit=2)] == sorted(
        (r.id for r in store.recent()), reverse=True
    )[:2]
    with pytest.raises(ValueError):
        store.recent(statuses=["maybe"])


def test_logging_off_stores_nothing(tmp_path: Path) -> None:
    store = AnswerStore(tmp_path / "off", enabled=False)
    assert store.log_answer(_answer(), session_id="s") is None
    assert store.add_feedback(1, thumbs="up") is None
    assert store.recent() == []
    assert not (tmp_path / "off").exists()


def test_an_api_key_never_reaches_the_database(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, llm_api_key="sk-secret-123", mode="llm")
    store = AnswerStore(settings.data_dir, enabled=settings.answer_log)
    store.log_answer(_answer(), session_id="s")
    assert b"sk-secret-123" not in store.path.read_bytes()
    assert "sk-secret-123" not in repr(settings)


def test_unwritable_data_dir_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError, match="PHT_DATA_DIR"):
        AnswerStore(blocker / "data")


def test_export_csv_has_one_line_per_answer_and_neutralises_formulas(store: AnswerStore) -> None:
    store.log_answer(_answer('=HYPERLINK("http://x")'), session_id="s")
    answer_id = store.log_answer(_answer("plain, with a comma"), session_id="s")
    assert answer_id is not None
    store.add_feedback(answer_id, thumbs="down", comment="-wrong")
    rows = list(csv.DictReader(io.StringIO(export_csv(store.recent()))))
    assert [r["question"] for r in rows] == ["plain, with a comma", '\'=HYPERLINK("http://x")']
    assert rows[0]["thumbs"] == "down" and rows[0]["comment"] == "'-wrong"
    assert rows[0]["sources"].startswith("[1] Why PHT is challenging")
    assert rows[0]["total_ms"] == "5.5"


@pytest.mark.parametrize("shared", [True, False], ids=["one-store", "store-per-thread"])
def test_concurrent_writers_lose_no_rows(tmp_path: Path, shared: bool) -> None:
    threads_n, per_thread = 8, 25
    common = AnswerStore(tmp_path)  # as the app does: one cached store shared by sessions
    errors: list[BaseException] = []
    spooled: list[int] = []
    start = threading.Barrier(threads_n)

    def write(n: int) -> None:
        # Either the shared store, or a store per thread as separate processes would have.
        own = common if shared else AnswerStore(tmp_path)
        try:
            start.wait()
            for i in range(per_thread):
                receipt = own.record(_answer(f"t{n} q{i}"), session_id=f"s{n}")
                # A write that waited past the busy timeout is spooled, never lost.
                assert receipt.state in ("stored", "spooled"), receipt
                if receipt.answer_id is None:
                    spooled.append(1)
                    continue
                own.add_feedback(receipt.answer_id, thumbs="down" if i % 2 else "up")
        except BaseException as exc:  # collected and re-raised in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    store = AnswerStore(tmp_path)
    assert store.counts() == {
        "answers": threads_n * per_thread,
        "feedback": threads_n * per_thread - len(spooled),
    }
    assert store.pending() == 0
    if not spooled:
        assert len(store.recent(limit=10_000, negative_only=True)) == threads_n * (per_thread // 2)
    assert len({r.question for r in store.recent(limit=10_000)}) == threads_n * per_thread
