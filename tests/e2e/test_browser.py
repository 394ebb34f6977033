"""The real app in a real browser: `streamlit run app.py` with the real assistant and index.

Drives Debian's Chromium with Playwright. Screenshots and timings go to artifacts/ (git-ignored).
When the CI variable is set, a browser that cannot start fails the run instead of skipping it.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import free_port

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
QUESTION = "Why does sitting make my buttock pain worse?"
RED_FLAG = "I suddenly can't control my bladder and my groin is numb"
HOSTILE = "<img src=x onerror=alert(1)><script>alert(2)</script> is sitting bad?"
DB_FILENAME = "pht.sqlite3"


def _cannot_run(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"The browser test must run in CI but cannot: {reason}")
    pytest.skip(reason)


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def indexed_env(base: Path, corpus: Path | None = None) -> dict[str, str]:
    """Return an app environment whose fresh index under `base` the real `pht-ingest` built."""
    env = dict(os.environ)
    env.update(
        PHT_CHROMA_PATH=str(base / "chroma"),
        PHT_DATA_DIR=str(base / "data"),
        PHT_ANSWER_LOG="1",
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        ANONYMIZED_TELEMETRY="False",
        TOKENIZERS_PARALLELISM="false",
    )
    if corpus is not None:
        env["PHT_CORPUS_DIR"] = str(corpus)
    env.pop("PHT_CHROMA_HOST", None)
    env.pop("PHT_MODE", None)
    result = subprocess.run(
        [_bin("pht-ingest"), "--quiet"], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=900,
    )  # fmt: skip
    assert result.returncode == 0, f"pht-ingest failed:\n{result.stdout}\n{result.stderr}"
    return env


@pytest.fixture(scope="module")
def app_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment with a fresh index built by the real `pht-ingest`."""
    return indexed_env(tmp_path_factory.mktemp("e2e"))


@pytest.fixture(scope="module")
def app_url(app_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start `streamlit run app.py` on a free loopback port; yield its URL."""
    port = free_port()
    log_path = tmp_path_factory.mktemp("streamlit") / "streamlit.log"
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "app.py",
        "--server.address",
        "127.0.0.1",
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--server.fileWatcherType",
        "none",
        "--browser.gatherUsageStats",
        "false",
    ]
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=app_env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                pytest.fail(f"streamlit exited early:\n{log_path.read_text()}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.read().strip() == b"ok":
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"streamlit did not start:\n{log_path.read_text()}")
            time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
        print(f"\nstreamlit log: {log_path}")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless Chromium driven by Playwright, or a skip (a failure under CI)."""
    if not Path(CHROMIUM).exists():
        _cannot_run(f"{CHROMIUM} is missing: run scripts/ensure-chromium.sh as root")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        _cannot_run(f"Playwright is not installed: {exc}")
    manager = sync_playwright().start()
    try:
        instance = manager.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
    except Exception as exc:  # any launch failure means this machine cannot run the test
        manager.stop()
        _cannot_run(f"Chromium did not start: {exc}")
    try:
        yield instance
    finally:
        instance.close()
        manager.stop()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 1400})
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
        _shot(page, f"failed-{request.node.name}")
    context.close()
    assert dialogs == [], f"a script ran in the page: {dialogs}"


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _ask(page: Any, question: str, timings: dict[str, float] | None = None) -> Any:
    """Type a question, wait for its answer to finish, return the answer's chat message.

    With `timings`, record seconds until the first words of the answer show and until it is
    complete (every finished answer ends with the fixed disclaimer).
    """
    before = page.locator("[data-testid=stChatMessage]").count()
    box = page.locator("[data-testid=stChatInput] textarea")
    asked = time.monotonic()
    box.fill(question)
    box.press("Enter")
    reply = page.locator("[data-testid=stChatMessage]").nth(before + 1)
    reply.locator("[data-testid=stMarkdown], [data-testid=stAlert]").first.wait_for()
    first_words = time.monotonic() - asked
    reply.get_by_text("It is not a diagnosis", exact=False).wait_for()
    if timings is not None:
        timings["first_words_s"] = first_words
        timings["complete_s"] = time.monotonic() - asked
    _wait_until_idle(page)
    return reply


def _wait_until_idle(page: Any) -> None:
    """Wait for the script run to end: the sidebar (download, reset) is drawn last."""
    page.wait_for_function(
        "() => document.querySelector('[data-testid=stApp]')"
        "?.getAttribute('data-test-script-state') !== 'running'"
    )


def _wait_for_row(
    db: Path, sql: str, params: tuple[Any, ...] = (), timeout_s: float = 20
) -> list[tuple[Any, ...]]:
    deadline = time.monotonic() + timeout_s
    while True:
        if db.exists():
            with sqlite3.connect(db) as conn:
                rows = conn.execute(sql, params).fetchall()
            if rows:
                return rows
        if time.monotonic() > deadline:
            return []
        time.sleep(0.2)


def _record(timings: dict[str, float]) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "e2e-timings.json"
    known = json.loads(path.read_text()) if path.exists() else {}
    known.update({k: round(v, 3) for k, v in timings.items()})
    path.write_text(json.dumps(known, indent=2) + "\n")
    print(f"\nbrowser timings (s): {known}")


def test_ask_read_sources_give_feedback(page: Any, app_url: str, app_env: dict[str, str]) -> None:
    started = time.monotonic()
    page.goto(app_url)
    box = page.locator("[data-testid=stChatInput] textarea")
    box.wait_for()
    page_ready = time.monotonic() - started
    page.get_by_text("Not sure where to start?").wait_for()
    _shot(page, "01-start")

    first: dict[str, float] = {}
    reply = _ask(page, QUESTION, first)
    from_open = time.monotonic() - started
    text = reply.locator("[data-testid=stMarkdownContainer]").first.inner_text()
    assert "[1]" in text, text
    _shot(page, "02-answer")

    db = Path(app_env["PHT_DATA_DIR"]) / DB_FILENAME
    [(answer_json,)] = _wait_for_row(
        db, "SELECT answer_json FROM answers WHERE question = ?", (QUESTION,)
    )
    logged = json.loads(answer_json)
    assert logged["status"] == "answered" and logged["citations"], logged

    sources = reply.locator("[data-testid=stExpander]").filter(has_text="Source").first
    sources.locator("summary").click()
    details = sources.locator("[data-testid=stExpanderDetails]")
    details.wait_for()
    cited = logged["citations"][0]
    details.get_by_text(cited["title"], exact=False).first.wait_for()
    page.wait_for_timeout(500)  # let the expander finish opening before the screenshot
    if cited["highlights"]:
        marked = details.locator(".stMarkdownColoredBackground").all_inner_texts()
        words = " ".join(cited["highlights"][0].split()[:4])
        assert any(words in " ".join(m.split()) for m in marked), marked
    _shot(page, "03-sources")

    reply.get_by_role("radio", name="Thumbs down").click()
    rows = _wait_for_row(
        db,
        "SELECT f.thumbs FROM feedback f JOIN answers a ON a.id = f.answer_id WHERE a.question = ?",
        (QUESTION,),
    )
    assert rows == [("down",)]
    reply.locator("textarea").fill("Please say more about cushions.")
    reply.get_by_role("button", name="Send comment").click()
    reply.get_by_text("your comment was saved").wait_for()
    assert _wait_for_row(db, "SELECT comment FROM feedback WHERE comment IS NOT NULL") == [
        ("Please say more about cushions.",)
    ]
    _shot(page, "04-feedback")

    follow_up: dict[str, float] = {}
    _ask(page, "What about stretching?", follow_up)

    with page.expect_download() as download_info:
        page.locator("[data-testid=stSidebar]").get_by_text("Download conversation").click()
    saved = download_info.value.path()
    exported = Path(saved).read_text(encoding="utf-8")
    assert QUESTION in exported and "What about stretching?" in exported
    assert "### Sources" in exported and cited["title"] in exported
    assert "It is not a diagnosis" in exported
    _record(
        {
            "server_total_first_answer_s": logged["timings_ms"].get("total", 0) / 1000,
            "page_ready_s": page_ready,
            "first_answer_first_words_s": first["first_words_s"],
            "first_answer_complete_s": first["complete_s"],
            "first_answer_complete_from_opening_s": from_open,
            "follow_up_first_words_s": follow_up["first_words_s"],
            "follow_up_complete_s": follow_up["complete_s"],
        }
    )


def test_red_flag_question_shows_urgent_callout_first(page: Any, app_url: str) -> None:
    page.goto(app_url)
    page.locator("[data-testid=stChatInput] textarea").wait_for()
    urgent: dict[str, float] = {}
    reply = _ask(page, RED_FLAG, urgent)
    alert = reply.locator("[data-testid=stAlert]").first
    assert "urgent" in alert.inner_text().lower()
    # The callout comes before anything else in the answer.
    first_element = reply.locator("[data-testid=stElementContainer]").first
    assert first_element.locator("[data-testid=stAlert]").count() == 1
    _shot(page, "05-urgent")
    _record({"urgent_complete_s": urgent["complete_s"]})


def test_html_in_a_question_is_shown_as_text(page: Any, app_url: str) -> None:
    page.goto(app_url)
    _ask(page, HOSTILE)
    question = page.locator("[data-testid=stChatMessage]").first
    assert "<script>alert(2)</script>" in question.inner_text()
    assert page.locator("[data-testid=stChatMessage] img[src=x]").count() == 0
    _shot(page, "06-html-as-text")


def test_clinician_view_and_sources_page(page: Any, app_url: str) -> None:
    page.goto(app_url)
    page.locator("[data-testid=stSidebar]").get_by_text("Clinician view").click()
    reply = _ask(page, "Is shockwave therapy any good?")
    reply.get_by_text("corpus", exact=False).first.wait_for()
    assert "status" in reply.inner_text()
    retrieved = reply.locator("[data-testid=stExpander]").filter(has_text="Retrieved passages")
    retrieved.locator("summary").click()
    retrieved.locator("[data-testid=stDataFrame]").wait_for()
    _shot(page, "07-clinician")

    page.locator("[data-testid=stSidebar]").get_by_role("link", name="Sources").click()
    page.get_by_role("heading", name="Sources").wait_for()
    page.locator("[data-testid=stTab]").first.wait_for()
    search = page.get_by_label("Search the guidance")
    search.fill("shockwave")
    search.press("Enter")
    page.get_by_text("passages, best match first").wait_for()
    _shot(page, "08-sources-page")

    # Opened directly (a bookmark or a reload), a page still links to the others by name.
    page.goto(f"{app_url}/Review")
    page.get_by_role("heading", name="Review").wait_for()
    sidebar = page.locator("[data-testid=stSidebar]")
    sidebar.get_by_role("link", name="Chat").click()
    page.locator("[data-testid=stChatInput] textarea").wait_for()


def test_two_sessions_at_once_share_the_assistant(
    browser: Any, app_url: str, app_env: dict[str, str]
) -> None:
    questions = ("Does shockwave therapy help?", "What kind of exercise helps?")
    contexts = [browser.new_context(viewport={"width": 1280, "height": 900}) for _ in questions]
    try:
        pages = [context.new_page() for context in contexts]
        for page in pages:
            page.set_default_timeout(60_000)
            page.goto(app_url)
            page.locator("[data-testid=stChatInput] textarea").wait_for()
        for page, question in zip(pages, questions, strict=True):
            box = page.locator("[data-testid=stChatInput] textarea")
            box.fill(question)
            box.press("Enter")  # both questions now run on the server at the same time
        for page in pages:
            reply = page.locator("[data-testid=stChatMessage]").nth(1)
            reply.get_by_text("It is not a diagnosis", exact=False).wait_for()
            assert "[1]" in reply.inner_text()
    finally:
        for context in contexts:
            context.close()
    db = Path(app_env["PHT_DATA_DIR"]) / DB_FILENAME
    rows = _wait_for_row(
        db,
        "SELECT question, session_id FROM answers WHERE question IN (?, ?)",
        questions,
    )
    assert sorted(q for q, _ in rows) == sorted(questions)
    assert len({session for _, session in rows}) == 2
