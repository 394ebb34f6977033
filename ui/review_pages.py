"""The review app's content: the answer log with feedback, and the offline evaluation reports.

Only review_app.py uses this, after the reviewer's password was checked (ui/review_auth.py).
Evaluation reports are read from the reports/ folder only: a reviewer picks one of its files,
never types a path, so the page says nothing about any other file on the server.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import streamlit as st

from assistant.types import STATUSES
from ui.answer import render_answer
from ui.render import escape_markdown
from ui.store import AnswerStore, LoggedAnswer, export_csv

__all__ = ["REPORTS_DIR", "render_answers", "render_evaluation", "report_files"]

REPORTS_DIR = Path("reports")
"""Where `make eval` writes its reports, relative to the app's working folder."""

_LIMITS = (50, 200, 1000)
_THUMBS = {"up": "thumbs up", "down": "thumbs down"}


def report_files(folder: Path = REPORTS_DIR) -> list[Path]:
    """Return the JSON reports inside `folder`, newest first (links leading outside skipped)."""
    if not folder.is_dir():
        return []
    root = folder.resolve()
    found = []
    for path in folder.glob("*.json"):
        resolved = path.resolve()
        if resolved.parent == root and resolved.is_file():
            found.append(path)
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)


def _table(rows: list[LoggedAnswer]) -> None:
    st.dataframe(
        [
            {
                "id": row.id,
                "when (UTC)": row.created_at[:19].replace("T", " "),
                "status": row.status,
                "question": row.question,
                "feedback": _THUMBS.get(row.thumbs or "", ""),
                "comment": row.comment or "",
                "sources": len(row.citations),
                "total ms": row.timings_ms.get("total"),
                "mode": row.mode,
                "audience": row.audience,
                "conversation": row.session_id[:12],
                "corpus": row.corpus_version,
            }
            for row in rows
        ],
        hide_index=True,
        column_config={"question": st.column_config.TextColumn("question", width="large")},
    )


def _detail(rows: list[LoggedAnswer]) -> None:
    by_id = {row.id: row for row in rows}
    chosen = st.selectbox(
        "Read one answer in full",
        list(by_id),
        format_func=lambda i: f"#{i} · {by_id[i].status} · {by_id[i].question[:80]}",
        key="review_pick",
    )
    if chosen is None:
        return
    row = by_id[chosen]
    with st.container(border=True):
        st.markdown(f"**Question:** {escape_markdown(row.question)}")
        if row.thumbs or row.comment:
            thumbs = _THUMBS.get(row.thumbs or "", "")
            comment = escape_markdown(row.comment or "")
            st.markdown(f"**Feedback:** {thumbs} {comment}".rstrip())
        render_answer({"answer": row.answer()}, clinician=True, key=f"review-{row.id}")


def render_answers(store: AnswerStore) -> None:
    """Show the newest logged answers with filters, a CSV export and one answer in full."""
    if not store.enabled:
        st.info(
            "The answer log is switched off (PHT_ANSWER_LOG=0): nothing is stored, so there is "
            "nothing to review.",
            icon=":material/info:",
        )
        return
    st.markdown(
        f"Answers and feedback stored in `{store.path}` for quality review, newest first. "
        "Conversations are listed by the first characters of their key, never by their link."
    )
    left, middle, right = st.columns([4, 2, 1], vertical_alignment="bottom")
    statuses = left.multiselect("Status", STATUSES, default=list(STATUSES), key="review_status")
    negative = middle.toggle("Only thumbs-down", key="review_negative")
    limit = right.selectbox("Show", _LIMITS, index=1, key="review_limit")
    rows = store.recent(limit=int(limit), statuses=statuses, negative_only=negative)
    counts = store.counts()
    st.markdown(
        f"Showing {len(rows)} of {counts['answers']} logged answers · "
        f"{counts['feedback']} feedback entries in total"
    )
    if not rows:
        st.info("No logged answers match these filters yet.")
        return
    st.download_button(
        "Export CSV",
        data=export_csv(rows),
        file_name="pht-guide-answers.csv",
        mime="text/csv",
        icon=":material/download:",
        on_click="ignore",
    )
    _table(rows)
    _detail(rows)


def _number(value: Any) -> float | None:
    return round(float(value), 3) if isinstance(value, int | float) else None


def render_evaluation(folder: Path = REPORTS_DIR) -> None:
    """Summarise one `pht-eval --out` report chosen from the reports/ folder."""
    # The report is read as plain JSON (its format is the `pht-eval --out` contract): the
    # review app imports nothing from evals/.
    files = report_files(folder)
    if not files:
        st.info("No evaluation report in reports/ yet. Write one with:", icon=":material/info:")
        st.code("make eval", language="bash")
        return
    path = st.selectbox(
        "Report (from reports/)", files, format_func=lambda p: p.name, key="eval_report"
    )
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
        summary: dict[str, Any] = report["summary"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        st.error(f"{escape_markdown(path.name)} is not a pht-eval report: {exc}")
        return
    meta = report.get("meta", {})
    passed, total = report.get("passed_cases"), report.get("total_cases")
    checks = report.get("thresholds", [])
    failed = [c for c in checks if not c.get("ok")]
    columns = st.columns(3)
    columns[0].metric("Cases passed", f"{passed} / {total}")
    columns[1].metric("Thresholds met", f"{len(checks) - len(failed)} / {len(checks)}")
    columns[2].metric("Mode", str(meta.get("mode", "—")))
    written = escape_markdown(str(meta.get("created", "at an unknown time")))
    corpus = meta.get("corpus_version")
    st.markdown(
        f"Written {written}" + (f" · corpus {escape_markdown(str(corpus))}" if corpus else "")
    )
    if failed:
        st.warning(
            "Below threshold: "
            + "; ".join(
                escape_markdown(f"{c.get('scope')} {c.get('metric')} ({c.get('bound')})")
                for c in failed
            ),
            icon=":material/warning:",
        )
    st.dataframe(
        [
            {
                "metric": name,
                "mean": _number(values.get("mean")),
                "p95": _number(values.get("p95")),
                "min": _number(values.get("min")),
                "cases": values.get("n"),
                "at 1.0": values.get("passed"),
            }
            for name, values in summary.items()
            if isinstance(values, dict)
        ],
        hide_index=True,
    )
