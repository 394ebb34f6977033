"""Conversations that survive a reload: stored server-side, found again by a token in the URL.

The chat keeps an unguessable token (`secrets.token_urlsafe`, 192 bits) in the page's query
string (`?c=...`). The database stores only its SHA-256 (`conversation_key`), which is also the
session id of the answer log: a reviewer who reads the log cannot rebuild anyone's URL, and the
chat opens a conversation only from its token, never from its key.

Tables live in the answer log's SQLite file (`ui.store.DB_FILENAME`), in their own tables;
`delete` removes a conversation together with its answer-log rows and their feedback. Nothing is
written when the store is disabled (`PHT_ANSWER_LOG=0`).

`python -m ui.conversations purge [--days N]` deletes conversations and logged answers older than
the retention period (`PHT_RETENTION_DAYS`, default 30); the app also purges once at start-up.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import re
import secrets
import sqlite3
import sys
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from assistant.errors import StoreError
from assistant.types import Answer
from ui.store import transaction

__all__ = [
    "ConversationStore",
    "Purged",
    "conversation_key",
    "new_token",
    "valid_token",
]

logger = logging.getLogger(__name__)

DB_FILENAME = "pht.sqlite3"
"""The answer log's file (ui.store.DB_FILENAME): one SQLite file for everything stored."""

_TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id         TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS conversations_updated ON conversations (updated_at);
CREATE TABLE IF NOT EXISTS conversation_turns (
    conversation_id TEXT    NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    position        INTEGER NOT NULL,
    role            TEXT    NOT NULL CHECK (role IN ('user', 'assistant')),
    content         TEXT    NOT NULL,
    answer_json     TEXT,
    state_json      TEXT    NOT NULL DEFAULT '{}',
    PRIMARY KEY (conversation_id, position)
);
"""

# What of an assistant message besides its Answer comes back after a reload.
_STATE_KEYS = ("answer_id", "thumbs", "comment_sent")


def new_token() -> str:
    """Return a fresh conversation token for the URL (32 URL-safe characters)."""
    return secrets.token_urlsafe(24)


def valid_token(value: object) -> bool:
    """Return whether `value` has the form of a token `new_token` makes."""
    return isinstance(value, str) and _TOKEN.fullmatch(value) is not None


def conversation_key(token: str) -> str:
    """Return what the database stores for a token: its SHA-256, hex (the answer-log session)."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class Purged:
    """How many rows a purge removed."""

    conversations: int
    answers: int


class ConversationStore:
    """Conversations by token in the answer log's SQLite file; `enabled=False` stores nothing."""

    def __init__(self, data_dir: Path, *, enabled: bool = True, busy_timeout_s: float = 30.0):
        self.enabled = enabled
        self.path = Path(data_dir) / DB_FILENAME
        self._busy_timeout_s = busy_timeout_s
        if enabled:
            self._create()

    def _create(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"Cannot create the data folder {self.path.parent}: {exc.strerror}. "
                "Set PHT_DATA_DIR to a writable folder, or PHT_ANSWER_LOG=0 to store nothing."
            ) from exc
        with self._connect() as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(_SCHEMA)

    def _connect(self) -> AbstractContextManager[sqlite3.Connection]:
        return transaction(self.path, self._busy_timeout_s, "the conversation store")

    def load(self, token: str) -> list[dict[str, Any]]:
        """Return the messages of the conversation with this token ([] when there is none)."""
        if not self.enabled or not valid_token(token):
            return []
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT role, content, answer_json, state_json FROM conversation_turns"
                " WHERE conversation_id = ? ORDER BY position",
                (conversation_key(token),),
            ).fetchall()
        messages: list[dict[str, Any]] = []
        for role, content, answer_json, state_json in rows:
            message: dict[str, Any] = {"role": role, "content": content}
            if answer_json:
                message["answer"] = Answer.from_dict(json.loads(answer_json))
                message.update(json.loads(state_json))
            messages.append(message)
        return messages

    def save(self, token: str, messages: Sequence[Mapping[str, Any]]) -> None:
        """Store the conversation's messages in place of what was stored under this token."""
        if not self.enabled:
            return
        if not valid_token(token):
            raise ValueError("Not a conversation token: make one with new_token().")
        key = conversation_key(token)
        now = _iso(_now())
        rows = []
        for position, message in enumerate(messages):
            answer = message.get("answer")
            state = {k: message[k] for k in _STATE_KEYS if message.get(k) is not None}
            rows.append(
                (
                    key,
                    position,
                    str(message["role"]),
                    str(message.get("content", "")),
                    answer.to_json() if isinstance(answer, Answer) else None,
                    json.dumps(state),
                )
            )
        with self._connect() as conn:
            conn.execute(
                "INSERT INTO conversations (id, created_at, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at",
                (key, now, now),
            )
            conn.execute("DELETE FROM conversation_turns WHERE conversation_id = ?", (key,))
            conn.executemany(
                "INSERT INTO conversation_turns (conversation_id, position, role, content,"
                " answer_json, state_json) VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )

    def delete(self, token: str) -> int:
        """Delete the conversation and its logged answers and feedback; return answers removed."""
        if not self.enabled or not valid_token(token):
            return 0
        key = conversation_key(token)
        with self._connect() as conn:
            conn.execute("DELETE FROM conversations WHERE id = ?", (key,))
            return _delete_answers(conn, "session_id = ?", (key,))

    def purge(self, days: int, *, now: datetime | None = None) -> Purged:
        """Delete conversations and logged answers last touched more than `days` days ago."""
        if days < 1:
            raise ValueError("The retention period must be at least one day.")
        if not self.enabled or not self.path.exists():
            return Purged(0, 0)
        cutoff = _iso((now or _now()) - timedelta(days=days))
        with self._connect() as conn:
            removed = conn.execute(
                "DELETE FROM conversations WHERE updated_at < ?", (cutoff,)
            ).rowcount
            answers = _delete_answers(conn, "created_at < ?", (cutoff,))
        return Purged(int(removed), answers)

    def count(self) -> int:
        """Return how many conversations are stored."""
        if not self.enabled or not self.path.exists():
            return 0
        with self._connect() as conn:
            return int(conn.execute("SELECT COUNT(*) FROM conversations").fetchone()[0])


def _delete_answers(conn: sqlite3.Connection, where: str, params: tuple[Any, ...]) -> int:
    # The answer log's tables belong to ui.store; they may not exist yet (nothing logged).
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if "answers" not in tables:
        return 0
    if "feedback" in tables:
        conn.execute(
            f"DELETE FROM feedback WHERE answer_id IN (SELECT id FROM answers WHERE {where})",
            params,
        )
    return int(conn.execute(f"DELETE FROM answers WHERE {where}", params).rowcount)


def main(argv: Sequence[str] | None = None) -> int:
    """`purge`: delete what is older than the retention period; print what was removed."""
    from assistant.settings import Settings

    parser = argparse.ArgumentParser(prog="python -m ui.conversations")
    commands = parser.add_subparsers(dest="command", required=True)
    purge = commands.add_parser("purge", help="delete conversations and answers past retention")
    purge.add_argument("--days", type=int, default=None, help="default: PHT_RETENTION_DAYS")
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
        days = args.days if args.days is not None else settings.retention_days
        store = ConversationStore(settings.data_dir, enabled=settings.answer_log)
        purged = store.purge(days)
    except (StoreError, ValueError) as exc:
        sys.stderr.write(f"pht purge: {exc}\n")
        return 1
    sys.stdout.write(
        f"Deleted {purged.conversations} conversations and {purged.answers} logged answers "
        f"older than {days} days from {store.path}.\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
