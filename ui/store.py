"""The answer log and feedback: one SQLite file under `settings.data_dir`.

Every call opens its own connection and holds it for one short transaction, so Streamlit
sessions on different threads (or several app processes) can write at once. The database runs in
WAL mode, which lets readers go on while one writer commits; writers wait up to `busy_timeout_s`.

Nothing here stores settings: the LLM API key never reaches the database.

No answer is lost silently (issue 16). `record(answer, session_id=...)` never raises and returns
a `LogReceipt`: "stored" (a row id), "spooled" (SQLite failed or stayed locked past
`busy_timeout_s`: the row went to `answers-spool.jsonl` in the data folder and is written to
SQLite when it works again, on the next successful write or read), "not_stored" (neither worked:
`receipt.notice` says so, for the page to show), or "off" (PHT_ANSWER_LOG=0). Urgent answers never
wait for the lock: they try once and spool. Every spooled row carries a `uid`, so a replay that is
interrupted and run again adds nothing twice. `log_answer` is the old call: the row id, None when
off or spooled, StoreError when not stored at all.
"""

from __future__ import annotations

import csv
import fcntl
import io
import json
import logging
import os
import sqlite3
import uuid
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from assistant.errors import StoreError
from assistant.types import STATUSES, Answer

__all__ = [
    "DB_FILENAME",
    "SPOOL_FILENAME",
    "LogReceipt",
    "MAX_COMMENT_CHARS",
    "AnswerStore",
    "LoggedAnswer",
    "StoreError",
    "Thumbs",
    "export_csv",
    "transaction",
]

logger = logging.getLogger(__name__)

DB_FILENAME = "pht.sqlite3"
SPOOL_FILENAME = "answers-spool.jsonl"
"""Rows that SQLite could not take yet, one JSON object a line, in the data folder."""
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
class LogReceipt:
    """What became of one answer sent to the log (see the module docstring)."""

    state: Literal["stored", "spooled", "not_stored", "off"]
    answer_id: int | None = None
    reason: str = ""

    @property
    def stored(self) -> bool:
        """True when the answer is in SQLite now (feedback can refer to `answer_id`)."""
        return self.state == "stored"

    @property
    def notice(self) -> str:
        """Return what the page should tell the user about this answer ("" when all is well)."""
        if self.state == "spooled":
            return (
                "This answer could not be added to the answer log just now; it is kept on this "
                "computer and will be added when the log works again."
            )
        if self.state == "not_stored":
            return f"This answer was not stored ({self.reason})."
        return ""


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


@contextmanager
def transaction(path: Path, timeout_s: float, name: str) -> Iterator[sqlite3.Connection]:
    """Open the SQLite file at `path` for one transaction (commit on success, roll back on error).

    Every failure is a StoreError naming `name` and the file. Shared by the answer log and the
    conversation store, which live in the same file.
    """
    try:
        conn = sqlite3.connect(path, timeout=timeout_s)
    except sqlite3.Error as exc:
        raise StoreError(f"Cannot open {name} {path}: {exc}") from exc
    try:
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys=ON")
        # In WAL mode NORMAL syncs at checkpoints, not on every commit: a commit survives an app
        # crash (not a power cut), and a writer holds the lock for microseconds instead of an
        # fsync, so many sessions writing at once stay inside the bounded wait.
        conn.execute("PRAGMA synchronous=NORMAL")
        with conn:
            yield conn
    except sqlite3.Error as exc:
        raise StoreError(f"{name[0].upper()}{name[1:]} {path} failed: {exc}") from exc
    finally:
        conn.close()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class AnswerStore:
    """The SQLite answer log and feedback; `enabled=False` stores nothing at all."""

    def __init__(self, data_dir: Path, *, enabled: bool = True, busy_timeout_s: float = 5.0):
        self.enabled = enabled
        self.path = Path(data_dir) / DB_FILENAME
        self.spool = Path(data_dir) / SPOOL_FILENAME
        # Bounded: an answer waits at most this long for another writer's lock, then spools.
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
        with self._connect(timeout_s=30.0) as conn:
            # WAL is a property of the file: set once, every later connection uses it.
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(_SCHEMA)
            columns = {row[1] for row in conn.execute("PRAGMA table_info(answers)")}
            if "uid" not in columns:  # logs made before the spool existed
                conn.execute("ALTER TABLE answers ADD COLUMN uid TEXT")
            conn.execute("CREATE UNIQUE INDEX IF NOT EXISTS answers_uid ON answers (uid)")

    def _connect(
        self, timeout_s: float | None = None
    ) -> AbstractContextManager[sqlite3.Connection]:
        timeout = self._busy_timeout_s if timeout_s is None else timeout_s
        return transaction(self.path, timeout, "the answer log")

    def log_answer(self, answer: Answer, *, session_id: str) -> int | None:
        """Return the new row id of a logged answer; None when off or spooled (see `record`)."""
        receipt = self.record(answer, session_id=session_id)
        if receipt.state == "not_stored":
            raise StoreError(f"The answer log {self.path} failed: {receipt.reason}")
        return receipt.answer_id

    def record(self, answer: Answer, *, session_id: str) -> LogReceipt:
        """Log one answer: into SQLite, else into the spool; never raises (see LogReceipt)."""
        if not self.enabled:
            return LogReceipt("off")
        row = {
            "uid": uuid.uuid4().hex,
            "created_at": _now(),
            "session_id": session_id,
            "question": answer.question,
            "status": answer.status,
            "audience": answer.audience,
            "mode": answer.mode,
            "corpus_version": answer.corpus_version,
            "citations_json": json.dumps(
                [_citation_summary(c) for c in answer.to_dict()["citations"]]
            ),
            "timings_json": json.dumps(answer.timings_ms),
            "answer_json": answer.to_json(),
        }
        # A red flag's reply never waits for another writer's lock: one try, then the spool.
        wait = 0.0 if answer.status == "urgent" else None
        try:
            with self._connect(timeout_s=wait) as conn:
                new_id = _insert_answer(conn, row)
        except StoreError as exc:
            if isinstance(exc.__cause__, sqlite3.IntegrityError):
                return LogReceipt("not_stored", reason=str(exc))  # a bad row, not a bad log
            logger.warning("answer log unavailable, spooling the answer: %s", exc)
            return self._spool({"kind": "answer", **row}, str(exc))
        self.replay()
        return LogReceipt("stored", new_id)

    def _spool(self, line: dict[str, Any], reason: str) -> LogReceipt:
        try:
            data = (json.dumps(line, ensure_ascii=True) + "\n").encode("utf-8")
            fd = _open_current_spool(self.spool)
            try:
                before = os.fstat(fd).st_size
                # One write per line: appends of several processes do not interleave.
                if os.write(fd, data) != len(data):  # a size limit cut it: take it back
                    os.ftruncate(fd, before)
                    raise OSError(27, "File too large")
                os.fsync(fd)
            finally:
                os.close(fd)  # also releases the lock
        except OSError as exc:
            logger.error("answer NOT stored: the log failed (%s) and so did the spool (%s)",
                         reason, exc.strerror)  # fmt: skip
            return LogReceipt("not_stored", reason=f"{reason}; spool: {exc.strerror}")
        return LogReceipt("spooled", reason=reason)

    def pending(self) -> int:
        """Return how many spooled rows wait for SQLite."""
        total = 0
        for path in self._spool_files():
            try:
                total += sum(1 for line in path.read_text(encoding="utf-8").splitlines() if line)
            except OSError:
                continue
        return total

    def _spool_files(self) -> list[Path]:
        return sorted(self.spool.parent.glob(SPOOL_FILENAME + "*"))

    def replay(self) -> int:
        """Write spooled rows into SQLite; return how many were added (0 if it still fails)."""
        if not self.enabled:
            return 0
        added = 0
        for path in self._spool_files():
            claimed = path
            if path == self.spool:
                # Claim the spool (new rows go to a fresh one); a crash leaves the claim behind,
                # and the next replay takes it: uids make a second pass add nothing twice.
                claimed = path.with_name(f"{SPOOL_FILENAME}.replaying-{uuid.uuid4().hex[:8]}")
                try:
                    path.rename(claimed)
                except OSError:
                    continue
            try:
                # The lock waits for an append that began before the claim; a claim that another
                # replay holds (or has just finished) is left to it.
                with _locked(claimed, wait=claimed != path) as mine:
                    if not mine:
                        continue
                    lines = _spooled_lines(claimed)
                    with self._connect() as conn:
                        for line in lines:
                            if line.pop("kind", "answer") == "feedback":
                                added += _insert_feedback(conn, line)
                            else:
                                added += _insert_answer(conn, line, ignore_duplicate=True) > 0
                    claimed.unlink()
            except (StoreError, OSError, ValueError) as exc:
                logger.warning("spooled answers not replayed yet: %s", exc)
                return added
        if added:
            logger.info("replayed %d spooled rows into %s", added, self.path)
        return added

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
        row = {"answer_id": answer_id, "thumbs": thumbs, "comment": comment,
               "created_at": _now(), "uid": uuid.uuid4().hex}  # fmt: skip
        try:
            with self._connect() as conn:
                cursor = conn.execute(
                    "INSERT INTO feedback (answer_id, thumbs, comment, created_at)"
                    " VALUES (?, ?, ?, ?)",
                    (answer_id, thumbs, comment, row["created_at"]),
                )
                new_id = cursor.lastrowid
        except StoreError as exc:
            if isinstance(exc.__cause__, sqlite3.IntegrityError):
                raise  # feedback for an answer that does not exist: the caller's mistake
            receipt = self._spool({"kind": "feedback", **row}, str(exc))
            if receipt.state == "not_stored":
                raise
            return None
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
        self.replay()
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
        """Return how many answers and feedback rows the log holds (spooled rows added first)."""
        if not self.enabled or not self.path.exists():
            return {"answers": 0, "feedback": 0}
        self.replay()
        with self._connect() as conn:
            answers = conn.execute("SELECT COUNT(*) FROM answers").fetchone()[0]
            feedback = conn.execute("SELECT COUNT(*) FROM feedback").fetchone()[0]
        return {"answers": int(answers), "feedback": int(feedback)}


def _open_current_spool(spool: Path) -> int:
    """Return an fd of the spool file at `spool`, opened for appending and locked exclusively.

    A replay claims the spool by renaming it, then takes this lock before reading: a writer that
    opened the file before the rename either finishes first (its line is read) or gets the lock
    after the claimed file is gone, sees that `spool` is no longer its file, and opens the new one.
    """
    for _ in range(50):
        fd = os.open(spool, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            if os.fstat(fd).st_ino == os.stat(spool).st_ino:
                return fd
        except FileNotFoundError:
            pass  # claimed between open and stat: open the new one
        except OSError:
            os.close(fd)
            raise
        os.close(fd)
    raise OSError(11, "The spool kept moving (another process replays it); try again")


@contextmanager
def _locked(path: Path, *, wait: bool) -> Iterator[bool]:
    """Hold an exclusive lock on `path`; yield False if it is taken (`wait=False`) or gone."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        yield False
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield os.fstat(fd).st_nlink > 0  # replayed and removed while we waited: nothing to do
    finally:
        os.close(fd)


def _spooled_lines(path: Path) -> list[dict[str, Any]]:
    """Return the rows of a spool file; a line cut short (a crash mid-write) is set aside."""
    rows: list[dict[str, Any]] = []
    for text in path.read_text("utf-8", errors="replace").splitlines():
        try:
            row = json.loads(text) if text.strip() else None
        except ValueError:
            row = None
            with path.with_name(SPOOL_FILENAME.replace(".jsonl", ".bad")).open("a") as bad:
                bad.write(text + "\n")
            logger.error("a spooled row in %s was unreadable; kept in the .bad file", path)
        if isinstance(row, dict):
            rows.append(row)
    return rows


_ANSWER_COLUMNS = ("uid", "created_at", "session_id", "question", "status", "audience", "mode",
                   "corpus_version", "citations_json", "timings_json", "answer_json")  # fmt: skip


def _insert_answer(
    conn: sqlite3.Connection, row: dict[str, Any], *, ignore_duplicate: bool = False
) -> int:
    """Insert one answer row; return its id (0 when its uid was already there)."""
    verb = "INSERT OR IGNORE" if ignore_duplicate else "INSERT"
    cursor = conn.execute(
        f"{verb} INTO answers ({', '.join(_ANSWER_COLUMNS)})"
        f" VALUES ({', '.join('?' for _ in _ANSWER_COLUMNS)})",
        [row.get(column) for column in _ANSWER_COLUMNS],
    )
    return int(cursor.lastrowid or 0) if cursor.rowcount else 0


def _insert_feedback(conn: sqlite3.Connection, row: dict[str, Any]) -> int:
    exists = conn.execute("SELECT 1 FROM answers WHERE id = ?", (row.get("answer_id"),)).fetchone()
    if exists is None:
        return 0
    conn.execute(
        "INSERT INTO feedback (answer_id, thumbs, comment, created_at) VALUES (?, ?, ?, ?)",
        (row.get("answer_id"), row.get("thumbs"), row.get("comment"), row.get("created_at")),
    )
    return 1


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
