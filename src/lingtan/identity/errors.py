"""Errors of identity and access (part of the :mod:`lingtan.errors` tree)."""

from __future__ import annotations

from lingtan.errors import LingtanError


class NotAuthenticated(LingtanError):
    """No valid credentials: missing, malformed, expired, revoked or wrong."""

    code = "not_authenticated"


class AccountLocked(NotAuthenticated):
    """Too many failed logins in a row; the account is locked for a while."""

    code = "account_locked"

    def __init__(self, message: str, *, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
