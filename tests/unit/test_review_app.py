"""The review app (review_app.py): closed without a password, lockout, log and reports behind it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.unit.app_helpers import ROOT, TIMEOUT, FakeAssistant, app, ask, env, fakes
from ui.review_auth import hash_password
from ui.review_pages import report_files

__all__ = ["env", "fakes"]  # fixtures, used by name

REVIEW_APP = str(ROOT / "review_app.py")
PASSWORD = "a review password for tests"


@pytest.fixture(scope="module")
def password_hash() -> str:
    return hash_password(PASSWORD)


def _review() -> AppTest:
    at = AppTest.from_file(REVIEW_APP, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, at.exception
    return at


def _sign_in(at: AppTest, password: str) -> AppTest:
    at.text_input(key="review_password").input(password)
    at.button[0].click().run()  # the form's "Sign in"
    assert not at.exception, at.exception
    return at


def test_without_a_configured_hash_the_review_app_stays_closed(env: Path) -> None:
    at = _review()
    assert "No review password is configured" in at.error[0].value
    assert "ui.review_auth" in at.code[0].value
    assert not at.text_input


def test_wrong_passwords_show_nothing_and_lock_after_five(
    fakes: list[FakeAssistant], env: Path, monkeypatch: pytest.MonkeyPatch, password_hash: str
) -> None:
    ask(app(), "A patient's private question")
    monkeypatch.setenv("PHT_REVIEW_PASSWORD_HASH", password_hash)
    at = _review()
    for _ in range(4):
        at = _sign_in(at, "guess")
        assert "That password is not right." in at.error[0].value
        assert not at.dataframe
    at = _sign_in(at, "guess")
    at = _sign_in(at, PASSWORD)  # locked now: even the right password is refused
    assert "Too many wrong passwords" in at.error[0].value
    assert not at.dataframe
    assert "private question" not in json.dumps([m.value for m in at.markdown])


def test_the_right_password_opens_the_log_filters_and_exports(
    fakes: list[FakeAssistant], env: Path, monkeypatch: pytest.MonkeyPatch, password_hash: str
) -> None:
    at = ask(app(), "Why does sitting hurt?")
    at = ask(at, "What pizza should I order?")
    at.feedback[0].set_value(0).run()
    monkeypatch.setenv("PHT_REVIEW_PASSWORD_HASH", password_hash)
    at = _sign_in(_review(), PASSWORD)
    table = at.dataframe[0].value
    assert list(table["status"]) == ["out_of_scope", "answered"]
    assert list(table["feedback"]) == ["", "thumbs down"]
    assert at.get("download_button")[0].proto.label == "Export CSV"
    at.toggle(key="review_negative").set_value(True).run()
    assert list(at.dataframe[0].value["question"]) == ["Why does sitting hurt?"]
    at.toggle(key="review_negative").set_value(False).run()
    at.multiselect(key="review_status").set_value(["urgent"]).run()
    assert any("No logged answers match" in i.value for i in at.info)


def test_reports_are_chosen_from_the_reports_folder_only(
    env: Path, monkeypatch: pytest.MonkeyPatch, password_hash: str, tmp_path: Path
) -> None:
    report = {
        "meta": {"created": "2026-01-01T00:00:00+00:00", "mode": "extractive"},
        "summary": {
            "citation_precision": {"mean": 0.91, "p95": 1.0, "min": 0.5, "n": 10, "passed": 8},
        },
        "thresholds": [
            {"scope": "all", "metric": "citation_precision", "bound": "mean >= 0.95", "ok": False}
        ],
        "passed_cases": 9,
        "total_cases": 10,
        "results": [],
    }
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "eval.json").write_text(json.dumps(report))
    (tmp_path / "secret.json").write_text("{}")
    (tmp_path / "reports" / "escape.json").symlink_to(tmp_path / "secret.json")
    assert [p.name for p in report_files(tmp_path / "reports")] == ["eval.json"]
    monkeypatch.setenv("PHT_REVIEW_PASSWORD_HASH", password_hash)
    monkeypatch.chdir(tmp_path)
    at = _sign_in(_review(), PASSWORD)
    assert at.selectbox(key="eval_report").options == ["eval.json"]
    assert [m.value for m in at.metric][:2] == ["9 / 10", "0 / 1"]
    assert "citation\\_precision" in at.warning[0].value
    assert not [t for t in at.text_input if t.key == "eval_report_path"]  # no free path box
    assert os.getcwd() == str(tmp_path)
