"""The one error tree of lingtan.

Services and pure libraries raise these; the API maps them to HTTP status codes once
(``api/errors.py``) and the CLI to exit codes, so callers never parse messages.
"""

from __future__ import annotations


class LingtanError(Exception):
    """Base of every error lingtan raises on purpose."""

    #: machine-readable code, stable across releases
    code: str = "error"


class InvalidInput(LingtanError, ValueError):
    """Input that breaks a documented rule; the message names the field and the rule."""

    code = "invalid_input"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotFound(LingtanError, LookupError):
    """The thing asked for does not exist, or the caller may not know that it exists."""

    code = "not_found"


class Conflict(LingtanError):
    """The request contradicts what is stored (a second retirement, a duplicate key ...)."""

    code = "conflict"


class PermissionDenied(LingtanError):
    """The caller is known but may not do this."""

    code = "permission_denied"


class TooBusy(LingtanError):
    """The caller has too much work under way (queued jobs, say); retry after some is done."""

    code = "too_many_requests"

    def __init__(self, message: str, *, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class Unavailable(LingtanError):
    """A dependency (database, broker, device) cannot be reached right now; retry later."""

    code = "unavailable"
