"""Conversations stored by token: reload, delete (with the answer log), purge, log off."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from assistant.types import Answer, Citation
from ui.conversations import (
    DB_FILENAME,
    ConversationStore,
    conversation_key,
    main,
    new_token,
    valid_token,
)


def _answer(question: str) -> Answer:
    citation = Citation(
        marker=1, chunk_id="c1", doc_id="d1", title="Guide", section="Sitting", publisher="H2T",
        source="h2t.txt", text="Sitting aggravates symptoms.", score=0.9,
    )  # fmt: skip
    return Answer(
        question=question,
        status="answered",
        answer="Sitting aggravates symptoms [1].",
        citations=[citation],
        disclaimer="Not a diagnosis.",
    )


def _messages(question: str) -> list[dict[str, object]]:
    return [
        {"role": "user", "content": question},
        {
            "role": "assistant",
            "content": "Sitting aggravates symptoms [1].",
            "answer": _answer(question),
            "answer_id": 7,
            "thumbs": "down",
        },
    ]


def _log_answer(db: Path, session_id: str, created_at: str) -> None:
    # The answer log's own tables (ui.store), reduced to the columns the purge reads.
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS answers (id INTEGER PRIMARY KEY, created_at TEXT,"
            " session_id TEXT, question TEXT)"
        )
        conn.execute(
            "CREATE TABLE IF NOT EXISTS feedback (id INTEGER PRIMARY KEY, answer_id INTEGER"
            " REFERENCES answers (id) ON DELETE CASCADE, thumbs TEXT)"
        )
        cursor = conn.execute(
            "INSERT INTO answers (created_at, session_id, question) VALUES (?, ?, 'q')",
            (created_at, session_id),
        )
        conn.execute(
            "INSERT INTO feedback (answer_id, thumbs) VALUES (?, 'up')", (cursor.lastrowid,)
        )


def _count(db: Path, table: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def test_tokens_are_unguessable_and_only_their_hash_is_stored(tmp_path: Path) -> None:
    tokens = {new_token() for _ in range(200)}
    assert len(tokens) == 200 and all(valid_token(t) for t in tokens)
    assert not valid_token("short") and not valid_token("x" * 31 + "!") and not valid_token(None)
    token = new_token()
    store = ConversationStore(tmp_path)
    store.save(token, _messages("Why does sitting hurt?"))
    raw = (tmp_path / DB_FILENAME).read_bytes()
    assert token.encode() not in raw
    with sqlite3.connect(tmp_path / DB_FILENAME) as conn:
        assert conn.execute("SELECT id FROM conversations").fetchall() == [
            (conversation_key(token),)
        ]


def test_a_reload_gets_the_same_messages_back_and_other_tokens_get_nothing(
    tmp_path: Path,
) -> None:
    store = ConversationStore(tmp_path)
    token = new_token()
    store.save(token, _messages("Why does sitting hurt?"))
    loaded = ConversationStore(tmp_path).load(token)  # a new process would do the same
    assert [m["role"] for m in loaded] == ["user", "assistant"]
    assert loaded[0]["content"] == "Why does sitting hurt?"
    answer = loaded[1]["answer"]
    assert isinstance(answer, Answer) and answer.citations[0].chunk_id == "c1"
    assert (loaded[1]["answer_id"], loaded[1]["thumbs"]) == (7, "down")
    assert store.load(new_token()) == []
    # The stored key is not a way in: only the token opens a conversation.
    assert store.load(conversation_key(token)) == []
    store.save(token, _messages("And stretching?")[:1])
    assert store.load(token) == [{"role": "user", "content": "And stretching?"}]


def test_delete_removes_the_conversation_its_answers_and_feedback_only(tmp_path: Path) -> None:
    store = ConversationStore(tmp_path)
    mine, theirs = new_token(), new_token()
    store.save(mine, _messages("mine"))
    store.save(theirs, _messages("theirs"))
    db = tmp_path / DB_FILENAME
    now = datetime.now(UTC).isoformat()
    _log_answer(db, conversation_key(mine), now)
    _log_answer(db, conversation_key(theirs), now)
    assert store.delete(mine) == 1
    assert store.load(mine) == []
    assert store.load(theirs)[0]["content"] == "theirs"
    assert (_count(db, "answers"), _count(db, "feedback"), store.count()) == (1, 1, 1)
    assert _count(db, "conversation_turns") == 2


def test_purge_deletes_what_is_older_than_the_retention_period(tmp_path: Path) -> None:
    store = ConversationStore(tmp_path)
    old, recent = new_token(), new_token()
    store.save(old, _messages("old"))
    store.save(recent, _messages("recent"))
    db = tmp_path / DB_FILENAME
    long_ago = (datetime.now(UTC) - timedelta(days=45)).isoformat(timespec="milliseconds")
    with sqlite3.connect(db) as conn:
        conn.execute(
            "UPDATE conversations SET updated_at = ? WHERE id = ?",
            (long_ago, conversation_key(old)),
        )
    _log_answer(db, conversation_key(old), long_ago)
    _log_answer(db, conversation_key(recent), datetime.now(UTC).isoformat())
    purged = store.purge(30)
    assert (purged.conversations, purged.answers) == (1, 1)
    assert store.load(old) == [] and store.load(recent)
    assert _count(db, "conversation_turns") == 2 and _count(db, "feedback") == 1
    with pytest.raises(ValueError):
        store.purge(0)


def test_disabled_store_writes_nothing(tmp_path: Path) -> None:
    store = ConversationStore(tmp_path / "data", enabled=False)
    token = new_token()
    store.save(token, _messages("q"))
    assert store.load(token) == [] and store.delete(token) == 0
    assert not (tmp_path / "data").exists()


def test_purge_command_uses_the_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PHT_DATA_DIR", str(tmp_path))
    store = ConversationStore(tmp_path)
    store.save(new_token(), _messages("q"))
    assert main(["purge", "--days", "1"]) == 0
    out = capsys.readouterr().out
    assert "Deleted 0 conversations and 0 logged answers older than 1 days" in out
    assert main(["purge", "--days", "0"]) == 1
