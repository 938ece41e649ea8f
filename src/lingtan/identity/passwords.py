"""Password hashing with argon2id (RFC 9106) through argon2-cffi's defaults."""

from __future__ import annotations

import functools
import threading

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from lingtan.errors import InvalidInput

_hasher = PasswordHasher()
MIN_LENGTH = 8
MAX_LENGTH = 256
#: argon2id allocates its memory cost (64 MiB by default) per hash: at most this many run at
#: once, so a burst of logins queues instead of exhausting memory
MAX_CONCURRENT_HASHES = 4
_slots = threading.BoundedSemaphore(MAX_CONCURRENT_HASHES)


def check_policy(password: str, *, username: str | None = None) -> None:
    """Refuse passwords that are too short, too long or equal to the username."""
    if len(password) < MIN_LENGTH:
        raise InvalidInput(f"password must have at least {MIN_LENGTH} characters", field="password")
    if len(password) > MAX_LENGTH:
        raise InvalidInput(f"password must have at most {MAX_LENGTH} characters", field="password")
    try:
        password.encode()
    except UnicodeEncodeError as err:
        raise InvalidInput("password is not valid text", field="password") from err
    if username is not None and password.strip().lower() == username.strip().lower():
        raise InvalidInput("password must differ from the username", field="password")


def hash_password(password: str) -> str:
    """The argon2id hash (PHC string) of ``password``."""
    with _slots:
        return _hasher.hash(password)


@functools.cache
def _dummy_hash() -> str:
    """Verified against when a username is unknown, so that the answer takes as long either
    way; made on first use (hashing costs a tenth of a second, which every import of this
    module, e.g. each CLI start, would otherwise pay)."""
    return _hasher.hash("lingtan-dummy-password-for-timing")


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; with ``None`` a dummy hash is checked (same cost)."""
    if len(password) > MAX_LENGTH:
        return False  # no password that long can be set (check_policy)
    try:
        with _slots:
            ok = _hasher.verify(password_hash or _dummy_hash(), password)
        return ok and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError, UnicodeEncodeError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with weaker parameters than today's defaults."""
    return _hasher.check_needs_rehash(password_hash)
