"""PHT Guide review: the answer log, feedback and evaluation reports, for reviewers only.

A separate Streamlit app (`make review`, loopback only), never a page of the patient chat. It
opens after the reviewer's password is checked against the configured scrypt hash
(PHT_REVIEW_PASSWORD_HASH or `review_password_hash` in .streamlit/secrets.toml); repeated wrong
passwords lock it for a while (ui/review_auth.py).
"""

from __future__ import annotations

import logging
import math

import streamlit as st

from ui.core import load_settings, load_store
from ui.nav import FAVICON
from ui.review_auth import HashError, Lockout
from ui.review_pages import render_answers, render_evaluation

logger = logging.getLogger("pht_guide.review")

HASH_COMMAND = ".venv/bin/python -m ui.review_auth   # prints a hash line to configure"


@st.cache_resource(show_spinner=False)
def _lockout() -> Lockout:
    # One per process: wrong passwords from every browser session count together.
    return Lockout()


def _configured_hash(from_settings: str | None) -> str | None:
    if from_settings:
        return from_settings
    try:
        value = st.secrets.get("review_password_hash")
    except Exception:  # no secrets.toml, or one that does not parse: no hash from there
        return None
    return str(value) if value else None


def _sign_in(hash_line: str) -> bool:
    if st.session_state.get("reviewer"):
        return True
    st.title("PHT Guide review")
    st.markdown("For reviewers only: this app shows what patients asked.")
    lockout = _lockout()
    with st.form("sign_in"):
        password = st.text_input("Review password", type="password", key="review_password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if not submitted:
        return False
    try:
        result = lockout.attempt(password, hash_line)
    except HashError as exc:
        st.error(str(exc), icon=":material/error:")
        return False
    if result is None:
        minutes = math.ceil(lockout.locked_for() / 60)
        logger.warning("review sign-in refused: locked after repeated failures")
        st.error(
            f"Too many wrong passwords. Sign-in is locked for {minutes} more minutes.",
            icon=":material/lock:",
        )
        return False
    if not result:
        logger.warning("review sign-in failed")
        st.error("That password is not right.", icon=":material/error:")
        return False
    st.session_state["reviewer"] = True
    st.rerun()
    return True


def _sign_out() -> None:
    st.session_state.pop("reviewer", None)


def review() -> None:
    """The review page: sign in, then the answer log and the evaluation reports."""
    settings = load_settings()
    hash_line = _configured_hash(settings.review_password_hash)
    if not hash_line:
        st.title("PHT Guide review")
        st.error(
            "No review password is configured, so the review app stays closed. Make a hash, "
            "then set PHT_REVIEW_PASSWORD_HASH or review_password_hash in "
            ".streamlit/secrets.toml:",
            icon=":material/lock:",
        )
        st.code(HASH_COMMAND, language="bash")
        return
    if not _sign_in(hash_line):
        return
    st.title("PHT Guide review")
    st.button("Sign out", icon=":material/logout:", on_click=_sign_out)
    store = load_store(settings)
    answers, evaluation = st.tabs(["Answers and feedback", "Offline evaluation"])
    with answers:
        render_answers(store)
    with evaluation:
        render_evaluation()


st.set_page_config(page_title="Review · PHT Guide", page_icon=FAVICON, layout="wide")
# st.navigation with this one page: Streamlit then ignores the pages/ folder of the chat.
st.navigation(
    [st.Page(review, title="Review", icon=":material/rate_review:")], position="hidden"
).run()
