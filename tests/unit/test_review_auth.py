"""The review app's password hash, constant-time check and lockout."""

from __future__ import annotations

import pytest

from ui.review_auth import HashError, Lockout, hash_password, parse_hash, verify_password

PASSWORD = "a long review password"


@pytest.fixture(scope="module")
def line() -> str:
    return hash_password(PASSWORD)


def test_hash_verifies_only_its_password_and_never_contains_it(line: str) -> None:
    assert line.startswith("scrypt$16384$8$1$")
    assert PASSWORD not in line
    assert verify_password(PASSWORD, line)
    assert not verify_password(PASSWORD + " ", line)
    assert not verify_password("", line)
    assert not verify_password("x" * 5000, line)


def test_same_password_gets_a_new_salt_each_time(line: str) -> None:
    other = hash_password(PASSWORD)
    assert other != line
    assert verify_password(PASSWORD, other)


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "plain-text-password",
        "pbkdf2$1000$c2FsdA==$a2V5",
        "scrypt$16384$8$1$not base64!$a2V5a2V5a2V5a2V5a2V5",
        "scrypt$1000$8$1$c2FsdHNhbHQ=$a2V5a2V5a2V5a2V5a2V5",  # n not a power of two
        "scrypt$16384$8$1$c2E=$a2V5a2V5a2V5a2V5a2V5",  # salt too short
    ],
)
def test_malformed_hashes_are_named_errors(bad: str) -> None:
    with pytest.raises(HashError):
        parse_hash(bad)
    with pytest.raises(HashError):
        verify_password(PASSWORD, bad)


def test_lockout_after_five_failures_refuses_even_the_right_password(line: str) -> None:
    now = [0.0]
    lock = Lockout(max_failures=5, window_s=60, lock_s=300, clock=lambda: now[0])
    for _ in range(4):
        assert lock.attempt("wrong", line) is False
    assert lock.locked_for() == 0
    assert lock.attempt("wrong", line) is False
    assert lock.locked_for() == 300
    now[0] = 299.0
    assert lock.attempt(PASSWORD, line) is None  # locked: nothing is checked
    now[0] = 300.5
    assert lock.attempt(PASSWORD, line) is True


def test_failures_outside_the_window_do_not_count_and_success_resets(line: str) -> None:
    now = [0.0]
    lock = Lockout(max_failures=3, window_s=60, lock_s=300, clock=lambda: now[0])
    lock.failure()
    lock.failure()
    now[0] = 61.0
    lock.failure()  # the first two fell out of the window
    assert lock.locked_for() == 0
    lock.failure()
    assert lock.attempt(PASSWORD, line) is True
    lock.failure()
    lock.failure()
    assert lock.locked_for() == 0  # the success cleared the earlier ones
