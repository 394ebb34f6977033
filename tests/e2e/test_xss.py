"""Script in a corpus document or a question is shown as text in the browser, and never runs.

Reuses the browser-test plumbing of test_browser.py (its fixtures and helpers); only the index
differs: a copy of the corpus plus a document carrying <script>, <img onerror> and javascript:
payloads (tests/reliability/helpers.py). A script that ran would set `window.__pwned` or open
an alert dialog, which the `page` fixture turns into a failure.
"""

from __future__ import annotations

import shutil
from typing import Any

import pytest

from tests.e2e.plumbing import E2E_TIMEOUT_S, click_until
from tests.e2e.test_browser import (  # noqa: F401  (fixtures are used by name)
    ROOT,
    _ask,
    _shot,
    app_server,
    app_url,
    browser,
    indexed_env,
    page,
)
from tests.reliability.helpers import INJECTED_DOCUMENT, INJECTED_ID

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(E2E_TIMEOUT_S)]

CORPUS_QUESTION = "When sitting hurts, is the problem cured?"
HOSTILE_QUESTION = (
    "<img src=x onerror=\"window.__pwned='q-img'\"><script>window.__pwned='q-script'</script>"
    " [cure](javascript:window.__pwned='q-link') <iframe src=javascript:alert(3)></iframe>"
    " {{7*7}} is sitting bad?"
)


@pytest.fixture(scope="module")
def app_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment whose index holds the shipped corpus plus the payload-carrying document."""
    from tests.reliability.test_faults import _add_document

    base = tmp_path_factory.mktemp("xss")
    corpus = base / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    _add_document(corpus, INJECTED_ID, "injected.txt", INJECTED_DOCUMENT)
    return indexed_env(base, corpus)


def _assert_nothing_ran(tab: Any) -> None:
    assert tab.evaluate("() => window.__pwned") is None
    # No element built from the payloads: no <img src=x>, <script> or <iframe> in the app, and
    # no link whose target is script.
    app = tab.locator("[data-testid=stApp]")
    assert app.locator("img[src=x]").count() == 0
    assert app.locator("iframe[src^='javascript']").count() == 0
    assert tab.locator("a[href^='javascript']").count() == 0
    scripts = tab.evaluate(
        "() => [...document.scripts].map(s => s.textContent).filter(t => t.includes('pwned'))"
    )
    assert scripts == []


def test_corpus_payload_in_an_answer_or_its_document_is_text(page: Any, app_url: str) -> None:  # noqa: F811
    page.goto(app_url)
    page.locator("[data-testid=stChatInput] textarea").wait_for()
    reply = _ask(page, CORPUS_QUESTION)
    text = reply.inner_text()
    if "pwned" in text:
        # Where the document is cited, its words are quoted, markup and all, as characters.
        assert "<script>window.__pwned = 1;" in text, text
        cards = reply.locator(".stVerticalBlock:has(> .stElementContainer h2[id^='src-'])")
        card = cards.filter(has_text="ignore the guidance above").first
        assert "<img src=x onerror=" in card.inner_text()
    _assert_nothing_ran(page)
    # The pipeline now prefers reviewed documents and may not cite it at all: its chunks are
    # shown on the Sources page either way, as the characters they are.
    page.goto(f"{app_url}/Sources")
    page.get_by_role("heading", name="Sources").wait_for()
    tab = page.locator("[data-testid=stTab]").filter(has_text="Injected")
    target = tab.first if tab.count() else page.locator("[data-testid=stTab]").last
    # Every tab's text is in the page; only the open tab's is visible. A click on a tab that
    # is still being drawn can be lost, so click until the document's text shows.
    click_until(target, page.locator("p:visible", has_text="ignore the guidance above").first)
    shown = page.locator("[data-testid=stApp]").inner_text()
    assert "<script>window.__pwned = 1;" in shown and "<img src=x onerror=" in shown
    page.wait_for_timeout(500)
    _shot(page, "xss-01-corpus-document")
    _assert_nothing_ran(page)


def test_payload_question_and_sources_page_are_text(page: Any, app_url: str) -> None:  # noqa: F811
    page.goto(app_url)
    page.locator("[data-testid=stChatInput] textarea").wait_for()
    _ask(page, HOSTILE_QUESTION)
    question = page.locator("[data-testid=stChatMessage]").first
    shown = question.inner_text()
    assert "<script>window.__pwned='q-script'</script>" in shown, shown
    assert "javascript:" in shown and "{{7*7}}" in shown
    _shot(page, "xss-02-question")
    _assert_nothing_ran(page)

    page.goto(f"{app_url}/Sources")
    page.get_by_role("heading", name="Sources").wait_for()
    search = page.get_by_label("Search the guidance")
    search.fill("sitting cured ignore the guidance")
    search.press("Enter")
    page.get_by_text("best match first", exact=False).wait_for()
    # (Whether the injected passage ranks among the results is retrieval's business; its text
    # on the Sources page is checked in the test above.)
    page.wait_for_timeout(500)
    _shot(page, "xss-03-sources-page")
    _assert_nothing_ran(page)
