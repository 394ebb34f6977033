"""Browser-test plumbing: an indexed environment, a Streamlit server per module, Chromium, axe-core.

Drives Debian's Chromium with Playwright. Screenshots and timings go to artifacts/ (git-ignored);
the README's screenshots go to docs/. When the CI variable is set, a browser that cannot start
fails the run instead of skipping it.
"""

from __future__ import annotations

import json
import os
import queue
import re
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
DOCS = ROOT / "docs"
AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
FIRST_START_S = 1200
"""How long `serve` waits for the app's URL: a first start may train the triage classifier,
about 5 minutes on two busy cores, and more on a loaded machine."""
E2E_TIMEOUT_S = FIRST_START_S + 300
"""pytest-timeout for a browser test (pyproject's 600 s would cut `serve` off before its own
deadline, with a bare Timeout instead of the app's log)."""
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DB_FILENAME = "pht.sqlite3"
_URL_LINE = re.compile(r"URL:\s*(http://\S+)")


def cannot_run(reason: str) -> None:
    """Skip the test, or fail it under CI, where every browser test must run."""
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
        PYTHONUNBUFFERED="1",
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


@dataclass
class Server:
    """A running app: its URL, and when (time.monotonic) it printed that URL."""

    url: str
    url_printed_at: float
    log_path: Path


def _free_port() -> int:
    from tests.conftest import free_port

    return int(free_port())


@contextmanager
def serve(command: Sequence[str], env: dict[str, str], log_path: Path) -> Iterator[Server]:
    """Run a Streamlit app (`command` + address/port options) until its URL answers health."""
    port = _free_port()
    full = [
        *command,
        "--server.address", "127.0.0.1", "--server.port", str(port),
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    process = subprocess.Popen(
        full, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines: queue.Queue[tuple[float, str]] = queue.Queue()
    log = open(log_path, "w")  # noqa: SIM115  (closed in finally, after the reader thread)

    def _read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put((time.monotonic(), line))
            log.write(line)
            log.flush()

    reader = threading.Thread(target=_read, daemon=True)
    reader.start()
    url_printed_at = None
    try:
        deadline = time.monotonic() + FIRST_START_S
        while url_printed_at is None:
            if process.poll() is not None and lines.empty():
                pytest.fail(f"the app exited early:\n{log_path.read_text()}")
            if time.monotonic() > deadline:
                pytest.fail(f"the app printed no URL:\n{log_path.read_text()}")
            try:
                at, line = lines.get(timeout=0.5)
            except queue.Empty:
                continue
            if _URL_LINE.search(line):
                url_printed_at = at
        url = f"http://127.0.0.1:{port}"
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.read().strip() == b"ok":
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the app did not answer its health check:\n{log_path.read_text()}")
            time.sleep(0.1)
        yield Server(url, url_printed_at, log_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
        reader.join(timeout=5)
        log.close()
        print(f"\napp log: {log_path}")


def chat_command() -> list[str]:
    """What `make run` starts: the launcher that builds the assistant before the URL."""
    return [sys.executable, "-m", "ui.serve"]


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium driven by Playwright, or a skip (a failure under CI)."""
    if not Path(CHROMIUM).exists():
        cannot_run(f"{CHROMIUM} is missing: run scripts/ensure-chromium.sh as root")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        cannot_run(f"Playwright is not installed: {exc}")
    manager = sync_playwright().start()
    try:
        instance = manager.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
    except Exception as exc:  # any launch failure means this machine cannot run the test
        manager.stop()
        cannot_run(f"Chromium did not start: {exc}")
    try:
        yield instance
    finally:
        instance.close()
        manager.stop()


def shot(page: Any, name: str, *, folder: Path = ARTIFACTS, full_page: bool = True) -> Path:
    """Save a screenshot of the page and return its path."""
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def wait_until_idle(page: Any) -> None:
    """Wait for the script run to end."""
    page.wait_for_function(
        "() => document.querySelector('[data-testid=stApp]')"
        "?.getAttribute('data-test-script-state') !== 'running'"
    )


def wheel_up_to(page: Any, locator: Any, step: int = 300, tries: int = 40) -> None:
    """Scroll up with the mouse wheel, as a reader does, until `locator` is fully on screen.

    A chat page sticks to its bottom while its content grows (Streamlit's scroll container);
    only a user's wheel or touch lets go of it. A scroll made by a script (Playwright's own
    scroll-into-view) can be pulled back to the bottom, so the tests scroll the way people do.
    """
    size = page.viewport_size
    page.mouse.move(size["width"] * 0.6, size["height"] * 0.45)
    for _ in range(tries):
        box = locator.bounding_box()
        if box and box["y"] >= 0 and box["y"] + box["height"] <= size["height"]:
            return
        page.mouse.wheel(0, -step if not box or box["y"] < 0 else step)
        page.wait_for_timeout(100)
    raise AssertionError(f"could not scroll {locator} into view: {locator.bounding_box()}")


def click_until(button: Any, appears: Any, tries: int = 3, wait_ms: float = 15_000) -> None:
    """Click `button` until `appears` is visible, as a person clicks again when nothing happened.

    While the chat container scrolls itself to the bottom, a click can land where the button
    was a moment before; one missed click must not fail the test, three would.
    """
    for attempt in range(tries):
        button.click()
        try:
            appears.wait_for(state="visible", timeout=wait_ms)
            return
        except Exception:  # noqa: BLE001 (playwright's TimeoutError): click again
            if attempt == tries - 1:
                raise


def ask(page: Any, question: str, timings: dict[str, float] | None = None) -> Any:
    """Type a question, wait for its answer to finish, return the answer's chat message.

    With `timings`, record seconds until the first words of the answer show and until it is
    complete (every finished answer has its "Copy answer" button).
    """
    before = page.locator("[data-testid=stChatMessage]").count()
    box = page.locator("[data-testid=stChatInput] textarea")
    asked = time.monotonic()
    box.fill(question)
    box.press("Enter")
    reply = page.locator("[data-testid=stChatMessage]").nth(before + 1)
    reply.locator("[data-testid=stMarkdown], [data-testid=stAlert]").first.wait_for()
    first_words = time.monotonic() - asked
    reply.get_by_role("button", name="Copy answer").wait_for()
    if timings is not None:
        timings["first_words_s"] = first_words
        timings["complete_s"] = time.monotonic() - asked
    wait_until_idle(page)
    return reply


def record(timings: dict[str, float]) -> None:
    """Add timings to artifacts/e2e-timings.json and print them."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "e2e-timings.json"
    known = json.loads(path.read_text()) if path.exists() else {}
    known.update({k: round(v, 3) for k, v in timings.items()})
    path.write_text(json.dumps(known, indent=2) + "\n")
    print(f"\nbrowser timings (s): {known}")


def axe_violations(page: Any, impacts: Sequence[str] = ("serious", "critical")) -> list[dict]:
    """Run axe-core in the page; return its violations of these impacts (id, impact, targets)."""
    if not AXE.exists():
        cannot_run(f"axe-core is missing at {AXE}: run `make axe` (npm ci in tests/e2e)")
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ['violations']});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.slice(0, 5).map(n => n.target.join(' ')),
                count: v.nodes.length,
            }));
        }"""
    )
    return [v for v in found if v["impact"] in impacts]


def small_targets(page: Any, selector: str, minimum: float = 44.0) -> list[str]:
    """Return the visible elements matching `selector` smaller than `minimum` px either way."""
    found = page.evaluate(
        """([selector, minimum]) => [...document.querySelectorAll(selector)]
            .filter(e => e.offsetParent !== null)
            .map(e => [e, e.getBoundingClientRect()])
            .filter(([e, r]) => r.width > 0 && (r.width < minimum || r.height < minimum))
            .map(([e, r]) => {
                const name = (e.innerText || e.getAttribute('aria-label') || '').trim();
                const size = `${Math.round(r.width)}x${Math.round(r.height)}`;
                return `${e.tagName.toLowerCase()} "${name.slice(0, 40)}" ${size}`;
            })""",
        [selector, minimum],
    )
    return list(found)
