"""Shared CLI plumbing: settings, error → exit-code mapping, the rich console."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from lingtan.errors import (
    Conflict,
    InvalidInput,
    LingtanError,
    NotFound,
    PermissionDenied,
    Unavailable,
)

if TYPE_CHECKING:
    from lingtan.config import Settings
    from lingtan.store import Store

console = Console()
err_console = Console(stderr=True)

#: exit codes by error class; 1 is left to unexpected failures
EXIT_CODES: dict[type[LingtanError], int] = {
    InvalidInput: 2,
    NotFound: 3,
    Conflict: 4,
    PermissionDenied: 5,
    Unavailable: 6,
}


def exit_code(err: LingtanError) -> int:
    """The process exit code for a domain error."""
    for cls, code in EXIT_CODES.items():
        if isinstance(err, cls):
            return code
    return 1


@contextlib.contextmanager
def domain_errors() -> Iterator[None]:
    """Turn a domain error into a red message on stderr and a non-zero exit."""
    try:
        yield
    except LingtanError as err:
        field = getattr(err, "field", None)
        where = f" [{field}]" if field else ""
        err_console.print(f"[bold red]error{where}:[/] {err}", highlight=False)
        raise typer.Exit(exit_code(err)) from err


def enterprise_id_of(store: Store, enterprise: str | None) -> int | None:
    """The id of the park's enterprise named by code or id (None stays None). Codes may be
    all digits, so a name that is one enterprise's code and another's id is refused rather
    than guessed."""
    if enterprise is None:
        return None
    park = store.registry.park()
    matches = {
        e.id for e in store.registry.enterprises(park.id) if enterprise in (str(e.id), e.code)
    }
    if len(matches) > 1:
        raise InvalidInput(
            f"{enterprise!r} is one enterprise's code and another's id; give the other's code",
            field="enterprise",
        )
    if not matches:
        raise NotFound(f"no enterprise with id or code {enterprise!r}")
    return matches.pop()


def settings() -> Settings:
    """Settings for this CLI invocation (environment variables ``LINGTAN_*``)."""
    from lingtan.config import load_settings

    return load_settings()
