"""The real chat in a real browser: `python -m ui.serve` (what `make run` starts), real assistant.

One app server for the module; each test opens its own browser context (a new visitor). The
first test measures the first page against the moment the server printed its URL.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.plumbing import (
    DB_FILENAME,
    DOCS,
    E2E_TIMEOUT_S,
    ROOT,
    Server,
    ask,
    axe_violations,
    chat_command,
    chromium,
    click_until,
    indexed_env,
    record,
    serve,
    shot,
    small_targets,
    wait_until_idle,
    wheel_up_to,
)

__all__ = ["ROOT", "_ask", "_shot", "app_url", "browser", "indexed_env", "page"]

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(E2E_TIMEOUT_S)]

QUESTION = "Why does sitting make my buttock pain worse?"
RED_FLAG = "I suddenly can't control my bladder and my groin is numb"
HOSTILE = "<img src=x onerror=alert(1)><script>alert(2)</script> is sitting bad?"
SAFETY_LINE = "Not a diagnosis. Urgent symptoms? See below."
_ask = ask
_shot = shot


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless Chromium for the module (started before the app, so it is not timed)."""
    with chromium() as instance:
        yield instance


@pytest.fixture(scope="module")
def app_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment with a fresh index built by the real `pht-ingest`."""
    return indexed_env(tmp_path_factory.mktemp("e2e"))


@pytest.fixture(scope="module")
def app_server(
    browser: Any, app_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """The chat as `make run` starts it, on a free loopback port."""
    log = tmp_path_factory.mktemp("streamlit") / "chat.log"
    with serve(chat_command(), app_env, log) as server:
        yield server


@pytest.fixture(scope="module")
def app_url(app_server: Server) -> str:
    return app_server.url


def _context(browser: Any, **options: Any) -> Any:
    options.setdefault("viewport", {"width": 1280, "height": 900})
    return browser.new_context(**options)


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = _context(browser, permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.set_default_timeout(60_000)
    dialogs: list[str] = []

    def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        shot(page, f"failed-{request.node.name}")
    context.close()
    assert dialogs == [], f"a script ran in the page: {dialogs}"


def _db(app_env: dict[str, str]) -> Path:
    return Path(app_env["PHT_DATA_DIR"]) / DB_FILENAME


def _rows(db: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if not db.exists():
        return []
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


def _wait_for_rows(
    db: Path, sql: str, params: tuple[Any, ...] = (), count: int = 1, timeout_s: float = 20
) -> list[tuple[Any, ...]]:
    deadline = time.monotonic() + timeout_s
    while True:
        rows = _rows(db, sql, params)
        if len(rows) >= count or time.monotonic() > deadline:
            return rows
        time.sleep(0.2)


def _in_viewport(page: Any, locator: Any) -> bool:
    box = locator.bounding_box()
    size = page.viewport_size
    return bool(
        box
        and box["y"] >= 0
        and box["y"] + min(box["height"], 40) <= size["height"]
        and box["x"] >= 0
        and box["x"] + box["width"] <= size["width"]
    )


# The target is 5 s (issue 15); the measured time goes to artifacts/e2e-timings.json. The
# assertion checks the structural property on a shared, noisy machine: the assistant is warm
# before the URL appears (a cold first visit used to wait 25-41 s on the model).
FIRST_ANSWER_BOUND_S = 15.0


def test_first_page_answers_soon_after_the_url(page: Any, app_server: Server) -> None:
    page.goto(app_server.url)
    page.locator("[data-testid=stChatInput] textarea").wait_for()
    page_ready = time.monotonic() - app_server.url_printed_at
    reply = ask(page, QUESTION)
    answered = time.monotonic() - app_server.url_printed_at
    assert "[1]" in reply.inner_text()
    record({"url_to_input_s": page_ready, "url_to_first_answer_s": answered})
    assert answered <= FIRST_ANSWER_BOUND_S, f"first answer {answered:.1f} s after the URL"


def test_answer_links_copy_feedback_reload_regenerate_download(
    page: Any, app_url: str, app_env: dict[str, str]
) -> None:
    page.goto(app_url)
    page.get_by_text("Not sure where to start?").wait_for()
    timings: dict[str, float] = {}
    reply = ask(page, QUESTION, timings)
    db = _db(app_env)
    [(answer_json,)] = _wait_for_rows(
        db, "SELECT answer_json FROM answers WHERE question = ? ORDER BY id DESC LIMIT 1",
        (QUESTION,),
    )  # fmt: skip
    logged = json.loads(answer_json)
    assert logged["status"] == "answered" and logged["citations"], logged
    assert "It is not a diagnosis" in logged["disclaimer"]  # the Answer keeps the disclaimer

    # Calm safety text: the full disclaimer once at the top, one short line under the answer.
    assert page.get_by_text("It is not a diagnosis", exact=False).count() == 1
    safety = reply.locator("[data-testid=stExpander]").filter(has_text=SAFETY_LINE)
    assert safety.count() == 1
    safety.locator("summary").click()
    safety.get_by_text("saddle area", exact=False).wait_for()
    page.wait_for_timeout(600)  # let the expander finish opening

    # A [n] marker is a link that scrolls to its source card, where the cited text is marked.
    cited = logged["citations"][0]
    link = reply.locator("[data-testid=stMarkdown] a[href^='#src-']").first
    target = link.get_attribute("href")[1:]
    # As a reader does: scroll back up to the answer's text with the wheel, then click.
    wheel_up_to(page, link)
    page.wait_for_timeout(300)
    link.click()
    heading = page.locator(f"[id='{target}']")
    page.wait_for_timeout(800)
    assert _in_viewport(page, heading), heading.bounding_box()
    card = reply.locator(
        "[data-testid=stVerticalBlockBorderWrapper], [data-testid=stVerticalBlock]"
    )
    card = card.filter(has=heading).last
    assert cited["title"].split()[0] in card.inner_text()
    marked = card.locator(".stMarkdownColoredBackground").all_inner_texts()
    if cited["highlights"]:
        words = " ".join(cited["highlights"][0].split()[:4])
        assert any(words in " ".join(m.split()) for m in marked), marked
    shot(page, "02-citation-followed", full_page=False)

    # Copy puts the answer's text on the clipboard.
    reply.get_by_role("button", name="Copy answer").click()
    reply.get_by_role("button", name="Copied").wait_for()
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert logged["answer"].split("[")[0].strip()[:40] in copied
    assert "Sources:" in copied and cited["title"] in copied

    # Feedback, then a reload: the conversation and the thumbs come back.
    reply.get_by_role("radio", name="Thumbs down").click()
    assert _wait_for_rows(db, "SELECT thumbs FROM feedback") == [("down",)]
    wait_until_idle(page)
    assert "c=" in page.url
    page.reload()
    page.locator("[data-testid=stChatMessage]").nth(1).wait_for()
    wait_until_idle(page)
    messages = page.locator("[data-testid=stChatMessage]")
    assert messages.count() == 2
    assert QUESTION in messages.nth(0).inner_text()
    assert messages.nth(1).get_by_role("radio", name="Thumbs down").is_checked()

    # Regenerate asks the same question again.
    page.get_by_role("button", name="Regenerate").click()
    page.locator("[data-testid=stChatMessage]").nth(1).get_by_role(
        "button", name="Copy answer"
    ).wait_for()
    wait_until_idle(page)
    rows = _wait_for_rows(db, "SELECT id FROM answers WHERE question = ?", (QUESTION,), count=2)
    assert len(rows) >= 2
    assert page.locator("[data-testid=stChatMessage]").count() == 2

    # Edit the last question and send it again.
    edit = page.get_by_label("Edit your last question")
    click_until(page.get_by_role("button", name="Edit question"), edit)
    edit.fill("What about stretching?")
    page.get_by_role("button", name="Send again").click()
    second = page.locator("[data-testid=stChatMessage]").nth(1)
    page.get_by_text("What about stretching?").first.wait_for()
    second.get_by_role("button", name="Copy answer").wait_for()
    wait_until_idle(page)
    assert page.locator("[data-testid=stChatMessage]").count() == 2

    download = page.get_by_role("button", name="Download")
    wheel_up_to(page, download)
    with page.expect_download() as download_info:
        download.click()
    exported = Path(download_info.value.path()).read_text(encoding="utf-8")
    assert "What about stretching?" in exported and "### Sources" in exported
    assert exported.count("It is not a diagnosis") == 1
    # The README's picture: the answer with its source cards, on a tall desktop window.
    page.set_viewport_size({"width": 1280, "height": 1500})
    page.wait_for_timeout(500)
    page.locator("[data-testid=stChatMessage]").nth(1).evaluate(
        "e => e.scrollIntoView({block: 'start'})"
    )
    page.wait_for_timeout(500)
    shot(page, "desktop-answer", folder=DOCS, full_page=False)
    record(
        {
            "answer_first_words_s": timings["first_words_s"],
            "answer_complete_s": timings["complete_s"],
        }
    )


def test_red_flag_shows_the_urgent_box_first_with_no_safety_line(page: Any, app_url: str) -> None:
    page.goto(app_url)
    page.locator("[data-testid=stChatInput] textarea").wait_for()
    reply = ask(page, RED_FLAG)
    first_element = reply.locator("[data-testid=stElementContainer]").first
    assert first_element.locator("[data-testid=stAlert]").count() == 1
    assert "urgent" in first_element.inner_text().lower()
    assert reply.get_by_text(SAFETY_LINE).count() == 0
    assert reply.get_by_text("It is not a diagnosis", exact=False).count() == 0
    shot(page, "05-urgent")


def test_html_in_a_question_is_shown_as_text(page: Any, app_url: str) -> None:
    page.goto(app_url)
    ask(page, HOSTILE)
    question = page.locator("[data-testid=stChatMessage]").first
    assert "<script>alert(2)</script>" in question.inner_text()
    assert page.locator("[data-testid=stChatMessage] img[src=x]").count() == 0


def test_a_second_visitor_cannot_reach_the_first_visitors_questions(
    browser: Any, app_url: str, app_env: dict[str, str]
) -> None:
    secret = "My private question about shockwave therapy and sitting"
    first, second = _context(browser), _context(browser)
    try:
        mine = first.new_page()
        mine.set_default_timeout(60_000)
        mine.goto(app_url)
        ask(mine, secret)
        wait_until_idle(mine)
        my_url = mine.url
        assert "c=" in my_url
        [(key,)] = _wait_for_rows(
            _db(app_env), "SELECT session_id FROM answers WHERE question = ?", (secret,)
        )
        theirs = second.new_page()
        theirs.set_default_timeout(60_000)
        attempts = [
            app_url,
            f"{app_url}/?c={key}",  # the key a reviewer sees in the log opens nothing
            f"{app_url}/?c=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            f"{app_url}/Review",
            f"{app_url}/Sources",
        ]
        for url in attempts:
            theirs.goto(url)
            theirs.locator("[data-testid=stApp]").wait_for()
            theirs.wait_for_timeout(1500)
            wait_until_idle(theirs)
            assert secret not in theirs.locator("body").inner_text(), url
        assert (
            theirs.locator("[data-testid=stSidebar]").get_by_role("link", name="Review").count()
            == 0
        )
        # The owner's own link still opens it.
        again = first.new_page()
        again.goto(my_url)
        again.get_by_text(secret).first.wait_for()
    finally:
        first.close()
        second.close()


def test_delete_my_conversation_deletes_it_on_the_server(
    page: Any, app_url: str, app_env: dict[str, str]
) -> None:
    question = "Is shockwave therapy any good?"
    page.goto(app_url)
    ask(page, question)
    wait_until_idle(page)
    old_url = page.url
    db = _db(app_env)
    [(key,)] = _wait_for_rows(db, "SELECT session_id FROM answers WHERE question = ?", (question,))
    assert _rows(db, "SELECT COUNT(*) FROM conversations WHERE id = ?", (key,)) == [(1,)]
    delete = page.get_by_role("button", name="Delete my conversation")
    wheel_up_to(page, delete)
    delete.click()
    page.get_by_role("button", name="Delete it now").click()
    page.get_by_text("Your conversation was deleted.").wait_for()
    assert _rows(db, "SELECT COUNT(*) FROM answers WHERE session_id = ?", (key,)) == [(0,)]
    assert _rows(db, "SELECT COUNT(*) FROM conversations WHERE id = ?", (key,)) == [(0,)]
    page.goto(old_url)
    page.get_by_text("no longer valid", exact=False).wait_for()
    assert page.locator("[data-testid=stChatMessage]").count() == 0


def test_axe_finds_nothing_serious_on_the_chat_and_sources(page: Any, app_url: str) -> None:
    page.goto(app_url)
    page.locator("[data-testid=stChatInput] textarea").wait_for()
    reply = ask(page, "Should I stretch my hamstring?")
    reply.locator("[data-testid=stExpander] summary").first.click()
    page.wait_for_timeout(500)
    assert axe_violations(page) == []
    small = small_targets(page, ".stMain button, .stMain a, summary, [data-testid=stChatInput]")
    assert small == [], small

    page.locator("[data-testid=stSidebar]").get_by_role("link", name="Clinician view").count()
    page.get_by_text("Clinician view").click()
    wait_until_idle(page)
    reply = ask(page, "Which injections are there?")
    details = reply.locator("[data-testid=stExpander]").filter(has_text="Details")
    details.locator("summary").click()
    details.locator("[data-testid=stDataFrame]").wait_for()
    shot(page, "07-clinician")

    page.get_by_role("link", name="Sources").first.click()
    page.get_by_role("heading", name="Sources").wait_for()
    page.get_by_role("tab", name="Head 2 Toe Osteopathy").click()
    page.get_by_text("year not stated", exact=False).first.wait_for()
    search = page.get_by_label("Search the guidance")
    search.fill("kombucha")
    search.press("Enter")
    page.get_by_text("No passage of the guidance contains", exact=False).wait_for()
    search.fill("shockwave")
    search.press("Enter")
    page.get_by_text("with these words, best match first").wait_for()
    wait_until_idle(page)
    assert axe_violations(page) == []
    shot(page, "08-sources-page")


def test_phone_has_new_conversation_and_sources_one_tap_away(browser: Any, app_url: str) -> None:
    context = _context(
        browser, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
        device_scale_factor=2,
    )  # fmt: skip
    try:
        phone = context.new_page()
        phone.set_default_timeout(60_000)
        phone.goto(app_url)
        ask(phone, "What kind of exercise helps?")
        # Where the reader is after an answer: at its end, far below the top of the page.
        phone.wait_for_timeout(800)
        new = phone.get_by_role("button", name="New conversation")
        sources = phone.locator(".stMain").get_by_role("link", name="Sources")
        for control in (new, sources):
            assert control.is_visible() and _in_viewport(phone, control)
            box = control.bounding_box()
            assert box["height"] >= 44 and box["width"] >= 44, box
        shot(phone, "phone", folder=DOCS, full_page=False)
        sources.tap()
        phone.get_by_role("heading", name="Sources").wait_for()
    finally:
        context.close()
