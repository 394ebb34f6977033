"""Review: recent logged answers with their feedback, filters, one answer in full, CSV export."""

from __future__ import annotations

import streamlit as st

from assistant.render import escape_markdown
from assistant.store import LoggedAnswer, export_csv
from assistant.types import STATUSES
from ui.answer import render_answer
from ui.core import load_settings, load_store

_LIMITS = (50, 200, 1000)
_THUMBS = {"up": "thumbs up", "down": "thumbs down"}


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
        render_answer({"answer": row.answer()}, clinician=True)


def main() -> None:
    """Render the Review page."""
    st.set_page_config(layout="wide")
    settings = load_settings()
    st.title("Review")
    store = load_store(settings)
    if not store.enabled:
        st.info(
            "The answer log is switched off (PHT_ANSWER_LOG=0): nothing is stored, so there is "
            "nothing to review.",
            icon=":material/info:",
        )
        return
    st.caption(
        f"Answers and feedback stored locally in `{store.path}` for quality review, newest first."
    )
    left, middle, right = st.columns([3, 2, 1], vertical_alignment="bottom")
    statuses = left.multiselect("Status", STATUSES, default=list(STATUSES), key="review_status")
    negative = middle.toggle("Only thumbs-down", key="review_negative")
    limit = right.selectbox("Show", _LIMITS, index=1, key="review_limit")
    rows = store.recent(limit=int(limit), statuses=statuses, negative_only=negative)
    counts = store.counts()
    st.caption(
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


main()
