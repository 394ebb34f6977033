"""The review app's password: scrypt hashes, a constant-time check, and a lockout after failures.

The review app shows every stored question and answer, so it opens only for someone who knows
the password whose hash is configured (PHT_REVIEW_PASSWORD_HASH, or `review_password_hash` in
.streamlit/secrets.toml). Make a hash with `.venv/bin/python -m ui.review_auth`.

A hash looks like `scrypt$16384$8$1$<salt, base64>$<key, base64>`; the password itself is never
stored. After `max_failures` wrong passwords within `window_s` seconds, every attempt (right or
wrong) is refused for `lock_s` seconds: the lock is per process, so guessing from several browser
sessions at once gains nothing.
"""

from __future__ import annotations

import base64
import getpass
import hashlib
import hmac
import secrets
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["HashError", "Lockout", "hash_password", "parse_hash", "verify_password"]

_SCHEME = "scrypt"
_N, _R, _P = 2**14, 8, 1
_KEY_BYTES = 32
_SALT_BYTES = 16
_MAX_PASSWORD_CHARS = 1024
"""Longer input is refused before hashing: scrypt's cost must not be the attacker's choice."""


class HashError(ValueError):
    """The configured password hash is not one `hash_password` writes."""


@dataclass(frozen=True)
class _Parsed:
    n: int
    r: int
    p: int
    salt: bytes
    key: bytes


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _derive(password: str, salt: bytes, n: int, r: int, p: int, size: int) -> bytes:
    # maxmem above the 32 MiB default: n=2**14, r=8 needs 16 MiB plus scrypt's working space.
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=size, maxmem=64 * 1024 * 1024
    )


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """Return the scrypt hash line to configure for `password`."""
    if not password:
        raise ValueError("The password must not be empty.")
    if len(password) > _MAX_PASSWORD_CHARS:
        raise ValueError(f"The password must be at most {_MAX_PASSWORD_CHARS} characters.")
    salt = secrets.token_bytes(_SALT_BYTES) if salt is None else salt
    key = _derive(password, salt, _N, _R, _P, _KEY_BYTES)
    return f"{_SCHEME}${_N}${_R}${_P}${_b64(salt)}${_b64(key)}"


def parse_hash(line: str) -> _Parsed:
    """Return the parts of a hash line, or raise HashError saying what is wrong with it."""
    parts = line.strip().split("$")
    if len(parts) != 6 or parts[0] != _SCHEME:
        raise HashError(
            "The review password hash must look like scrypt$16384$8$1$<salt>$<key>: "
            "make one with `.venv/bin/python -m ui.review_auth`."
        )
    try:
        n, r, p = (int(v) for v in parts[1:4])
        salt = base64.b64decode(parts[4], validate=True)
        key = base64.b64decode(parts[5], validate=True)
    except ValueError as exc:
        raise HashError(f"The review password hash is damaged: {exc}") from exc
    if n < 2**10 or n & (n - 1) or not 1 <= r <= 32 or not 1 <= p <= 16:
        raise HashError("The review password hash has unusable scrypt parameters.")
    if len(salt) < 8 or len(key) < 16:
        raise HashError("The review password hash has too short a salt or key.")
    return _Parsed(n, r, p, salt, key)


def verify_password(password: str, line: str) -> bool:
    """Return whether `password` matches the hash line (compared in constant time)."""
    parsed = parse_hash(line)
    if not password or len(password) > _MAX_PASSWORD_CHARS:
        return False
    candidate = _derive(password, parsed.salt, parsed.n, parsed.r, parsed.p, len(parsed.key))
    return hmac.compare_digest(candidate, parsed.key)


class Lockout:
    """Counts wrong passwords; after too many in a window, refuses every attempt for a while."""

    def __init__(
        self,
        *,
        max_failures: int = 5,
        window_s: float = 900.0,
        lock_s: float = 900.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self.lock_s = lock_s
        self._clock = clock
        self._failures: list[float] = []
        self._locked_until = 0.0
        self._lock = threading.Lock()

    def locked_for(self) -> float:
        """Return the seconds left until attempts are accepted again (0 when not locked)."""
        with self._lock:
            return max(0.0, self._locked_until - self._clock())

    def failure(self) -> None:
        """Record a wrong password; lock when it is one too many."""
        with self._lock:
            now = self._clock()
            self._failures = [t for t in self._failures if now - t < self.window_s]
            self._failures.append(now)
            if len(self._failures) >= self.max_failures:
                self._locked_until = now + self.lock_s
                self._failures.clear()

    def success(self) -> None:
        """Forget earlier failures after a right password."""
        with self._lock:
            self._failures.clear()

    def attempt(self, password: str, line: str) -> bool | None:
        """Return True or False for a checked password, None when locked (nothing checked)."""
        if self.locked_for() > 0:
            return None
        ok = verify_password(password, line)
        if ok:
            self.success()
        else:
            self.failure()
        return ok


def main() -> int:
    """Ask for a password twice and print the hash line to configure."""
    first = getpass.getpass("New review password: ")
    if len(first) < 12:
        sys.stderr.write("Use at least 12 characters.\n")
        return 1
    if getpass.getpass("Again: ") != first:
        sys.stderr.write("The two passwords differ.\n")
        return 1
    sys.stdout.write(hash_password(first) + "\n")
    sys.stdout.write(
        "Set it as PHT_REVIEW_PASSWORD_HASH='...' (single quotes: it contains $), or as\n"
        'review_password_hash = "..." in .streamlit/secrets.toml.\n'
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
