"""The review app in a real browser: closed without the password, open with it, axe-clean.

It reads the same SQLite file as the chat; an answer is logged here through the real store, so
this module needs no model. `streamlit run review_app.py`, as `make review` starts it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from assistant.disclaimer import DISCLAIMER
from assistant.types import Answer, Citation
from tests.e2e.plumbing import (
    E2E_TIMEOUT_S,
    Server,
    axe_violations,
    chromium,
    serve,
    shot,
    wait_until_idle,
)
from ui.review_auth import hash_password
from ui.store import AnswerStore

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(E2E_TIMEOUT_S)]

PASSWORD = "review password for the browser test"
QUESTION = "Is it normal that sitting at work hurts?"


@pytest.fixture(scope="module")
def review_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    base = tmp_path_factory.mktemp("review")
    data = base / "data"
    citation = Citation(
        marker=1, chunk_id="c1", doc_id="h2t-pht-challenges", title="Why PHT is challenging",
        section="Anatomy", publisher="Head 2 Toe Osteopathy", source="h2t", score=0.8,
        text="Sitting compresses the tendon.", highlights=["Sitting compresses the tendon."],
    )  # fmt: skip
    answer = Answer(
        question=QUESTION, status="answered", answer="Sitting compresses the tendon [1].",
        citations=[citation], disclaimer=DISCLAIMER, corpus_version="v-test",
    )  # fmt: skip
    AnswerStore(data).log_answer(answer, session_id="0" * 64)
    env = dict(os.environ)
    env.update(
        PHT_DATA_DIR=str(data),
        PHT_ANSWER_LOG="1",
        PHT_REVIEW_PASSWORD_HASH=hash_password(PASSWORD),
        PYTHONUNBUFFERED="1",
    )
    command = [sys.executable, "-m", "streamlit", "run", "review_app.py"]
    with serve(command, env, base / "review.log") as server:
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as instance:
        yield instance


def _page(browser: Any) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)
    return page


def test_review_needs_the_password_then_shows_the_log_and_is_axe_clean(
    browser: Any, review_server: Server
) -> None:
    page = _page(browser)
    try:
        page.goto(review_server.url)
        box = page.get_by_label("Review password")
        box.wait_for()
        assert QUESTION not in page.locator("body").inner_text()
        assert axe_violations(page) == []
        box.fill("not the password")
        page.get_by_role("button", name="Sign in").click()
        page.get_by_text("That password is not right.").wait_for()
        assert QUESTION not in page.locator("body").inner_text()

        box.fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("tab", name="Answers and feedback").wait_for()
        page.locator("[data-testid=stDataFrame]").first.wait_for()
        wait_until_idle(page)
        assert axe_violations(page) == []
        page.get_by_label("Read one answer in full").wait_for()
        assert QUESTION in page.locator("body").inner_text()
        shot(page, "review-app")
        page.get_by_role("tab", name="Offline evaluation").click()
        page.get_by_text("make eval").first.wait_for()
    finally:
        page.context.close()


def test_review_app_serves_none_of_the_chat_pages(browser: Any, review_server: Server) -> None:
    page = _page(browser)
    try:
        for path in ("/Sources", "/app", "/Chat"):
            page.goto(review_server.url + path)
            page.get_by_label("Review password").wait_for()
            assert page.get_by_label("Search the guidance").count() == 0
            assert page.locator("[data-testid=stChatInput]").count() == 0
    finally:
        page.context.close()
