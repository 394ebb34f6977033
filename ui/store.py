"""The answer log and feedback: one SQLite file under `settings.data_dir`.

Every call opens its own connection and holds it for one short transaction, so Streamlit
sessions on different threads (or several app processes) can write at once. The database runs in
WAL mode, which lets readers go on while one writer commits; writers wait up to `busy_timeout_s`.

Nothing here stores settings: the LLM API key never reaches the database.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from assistant.errors import StoreError
from assistant.types import STATUSES, Answer

__all__ = [
    "DB_FILENAME",
    "MAX_COMMENT_CHARS",
    "AnswerStore",
    "LoggedAnswer",
    "StoreError",
    "Thumbs",
    "export_csv",
]

logger = logging.getLogger(__name__)

DB_FILENAME = "pht.sqlite3"
MAX_COMMENT_CHARS = 2000
"""Longer feedback comments are cut to this length."""

Thumbs = Literal["up", "down"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at     TEXT    NOT NULL,
    session_id     TEXT    NOT NULL,
    question       TEXT    NOT NULL,
    status         TEXT    NOT NULL,
    audience       TEXT    NOT NULL,
    mode           TEXT    NOT NULL,
    corpus_version TEXT    NOT NULL,
    citations_json TEXT    NOT NULL,
    timings_json   TEXT    NOT NULL,
    answer_json    TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS answers_created ON answers (created_at);
CREATE INDEX IF NOT EXISTS answers_status ON answers (status);
CREATE TABLE IF NOT EXISTS feedback (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    answer_id  INTEGER NOT NULL REFERENCES answers (id) ON DELETE CASCADE,
    thumbs     TEXT    CHECK (thumbs IN ('up', 'down')),
    comment    TEXT,
    created_at TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS feedback_answer ON feedback (answer_id);
"""

# The newest feedback row per answer decides its thumbs; the newest non-empty comment is shown.
_LATEST_FEEDBACK = """
    SELECT f.answer_id, f.thumbs,
           (SELECT c.comment FROM feedback c
             WHERE c.answer_id = f.answer_id AND c.comment IS NOT NULL AND c.comment != ''
             ORDER BY c.id DESC LIMIT 1) AS comment
      FROM feedback f
     WHERE f.id = (SELECT MAX(id) FROM feedback g WHERE g.answer_id = f.answer_id)
"""


@dataclass(frozen=True)
class LoggedAnswer:
    """One row of the answer log with its latest feedback, as the Review page lists it."""

    id: int
    created_at: str
    session_id: str
    question: str
    status: str
    audience: str
    mode: str
    corpus_version: str
    citations: list[dict[str, Any]]
    timings_ms: dict[str, float]
    thumbs: str | None
    comment: str | None
    answer_json: str

    def answer(self) -> Answer:
        """Return the full Answer as it was logged."""
        return Answer.from_dict(json.loads(self.answer_json))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class AnswerStore:
    """The SQLite answer log and feedback; `enabled=False` stores nothing at all."""

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
            # WAL is a property of the file: set once, every later connection uses it.
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            conn = sqlite3.connect(self.path, timeout=self._busy_timeout_s)
        except sqlite3.Error as exc:
            raise StoreError(f"Cannot open the answer log {self.path}: {exc}") from exc
        try:
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA foreign_keys=ON")
            with conn:  # one transaction: commit on success, roll back on error
                yield conn
        except sqlite3.Error as exc:
            raise StoreError(f"The answer log {self.path} failed: {exc}") from exc
        finally:
            conn.close()

    def log_answer(self, answer: Answer, *, session_id: str) -> int | None:
        """Return the new row id of a logged answer, or None when logging is off."""
        if not self.enabled:
            return None
        row = (
            _now(),
            session_id,
            answer.question,
            answer.status,
            answer.audience,
            answer.mode,
            answer.corpus_version,
            json.dumps([_citation_summary(c) for c in answer.to_dict()["citations"]]),
            json.dumps(answer.timings_ms),
            answer.to_json(),
        )
        with self._connect() as conn:
            cursor = conn.execute(
                "INSERT INTO answers (created_at, session_id, question, status, audience, mode,"
                " corpus_version, citations_json, timings_json, answer_json)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
            new_id = cursor.lastrowid
        return int(new_id or 0)

    def add_feedback(
        self, answer_id: int, *, thumbs: Thumbs | None = None, comment: str | None = None
    ) -> int | None:
        """Return the new feedback row id, or None when logging is off."""
        if not self.enabled:
            return None
        if thumbs not in (None, "up", "down"):
            raise ValueError(f"thumbs must be 'up', 'down' or None, not {thumbs!r}")
        if comment is not None:
            comment = comment.strip()[:MAX_COMMENT_CHARS] or None
        with self._connect() as conn:
            cursor = conn.execute(
                "INSERT INTO feedback (answer_id, thumbs, comment, created_at) VALUES (?, ?, ?, ?)",
                (answer_id, thumbs, comment, _now()),
            )
            new_id = cursor.lastrowid
        return int(new_id or 0)

    def recent(
        self,
        *,
        limit: int = 200,
        statuses: Sequence[str] | None = None,
        negative_only: bool = False,
    ) -> list[LoggedAnswer]:
        """Return the newest logged answers first, optionally only some statuses or thumbs-down."""
        if not self.enabled or not self.path.exists():
            return []
        where: list[str] = []
        params: list[Any] = []
        if statuses is not None:
            unknown = set(statuses) - set(STATUSES)
            if unknown:
                raise ValueError(f"Unknown status {sorted(unknown)}: use one of {STATUSES}")
            if not statuses:
                return []
            where.append(f"a.status IN ({', '.join('?' for _ in statuses)})")
            params.extend(statuses)
        if negative_only:
            where.append("fb.thumbs = 'down'")
        sql = (
            "SELECT a.*, fb.thumbs AS thumbs, fb.comment AS comment FROM answers a"
            f" LEFT JOIN ({_LATEST_FEEDBACK}) fb ON fb.answer_id = a.id"
            + (" WHERE " + " AND ".join(where) if where else "")
            + " ORDER BY a.id DESC LIMIT ?"
        )
        params.append(limit)
        with self._connect() as conn:
            rows = conn.execute(sql, params).fetchall()
        return [_logged(row) for row in rows]

    def feedback_rows(self, answer_id: int) -> list[dict[str, Any]]:
        """Return every feedback row of one answer, oldest first."""
        if not self.enabled or not self.path.exists():
            return []
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT * FROM feedback WHERE answer_id = ? ORDER BY id", (answer_id,)
            ).fetchall()
        return [dict(row) for row in rows]

    def counts(self) -> dict[str, int]:
        """Return how many answers and feedback rows the log holds."""
        if not self.enabled or not self.path.exists():
            return {"answers": 0, "feedback": 0}
        with self._connect() as conn:
            answers = conn.execute("SELECT COUNT(*) FROM answers").fetchone()[0]
            feedback = conn.execute("SELECT COUNT(*) FROM feedback").fetchone()[0]
        return {"answers": int(answers), "feedback": int(feedback)}


def _citation_summary(citation: dict[str, Any]) -> dict[str, Any]:
    keys = ("marker", "chunk_id", "doc_id", "title", "section", "score")
    return {key: citation.get(key) for key in keys}


def _logged(row: sqlite3.Row) -> LoggedAnswer:
    return LoggedAnswer(
        id=row["id"],
        created_at=row["created_at"],
        session_id=row["session_id"],
        question=row["question"],
        status=row["status"],
        audience=row["audience"],
        mode=row["mode"],
        corpus_version=row["corpus_version"],
        citations=json.loads(row["citations_json"]),
        timings_ms=json.loads(row["timings_json"]),
        thumbs=row["thumbs"],
        comment=row["comment"],
        answer_json=row["answer_json"],
    )


_CSV_COLUMNS = (
    "id",
    "created_at",
    "status",
    "question",
    "answer",
    "sources",
    "thumbs",
    "comment",
    "mode",
    "audience",
    "corpus_version",
    "total_ms",
)


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    # A cell that starts like a formula would run in a spreadsheet: make it plain text.
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def export_csv(rows: Sequence[LoggedAnswer]) -> str:
    """Return the rows as CSV text (one line per answer, spreadsheet-safe cells)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(_CSV_COLUMNS)
    for row in rows:
        answer = json.loads(row.answer_json)
        sources = "; ".join(
            f"[{c.get('marker')}] {c.get('title')} - {c.get('section')}" for c in row.citations
        )
        values = (
            row.id,
            row.created_at,
            row.status,
            row.question,
            answer.get("answer", ""),
            sources,
            row.thumbs,
            row.comment,
            row.mode,
            row.audience,
            row.corpus_version,
            row.timings_ms.get("total"),
        )
        writer.writerow([_cell(v) for v in values])
    return buffer.getvalue()
