"""Shared CLI plumbing: settings, error → exit-code mapping, the rich console."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Any

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
    from lingtan.store import ParkRecord, Store
    from lingtan.wording import Wording

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


#: ``--park CODE`` of every command that works on one park (``LINGTAN_PARK`` by default)
ParkOption = Annotated[
    str | None,
    typer.Option(
        "--park",
        envvar="LINGTAN_PARK",
        help="park code, when the store holds several parks (default: LINGTAN_PARK, or the "
        "only park) / 园区编码",
    ),
]


def park_of(store: Store, code: str | None) -> ParkRecord:
    """The park named by ``code``; without a code, the store's only park. Several parks and no
    code is a clear error that lists the codes."""
    return store.registry.park_by_code(code)


def enterprise_id_of(
    store: Store, enterprise: str | None, park_id: int | None = None
) -> int | None:
    """The id of the park's enterprise named by code or id (None stays None). Codes may be
    all digits, so a name that is one enterprise's code and another's id is refused rather
    than guessed."""
    if enterprise is None:
        return None
    park = store.registry.park(park_id)
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


def enterprise_in_park(store: Store, enterprise: str | None, park: str | None) -> int | None:
    """The enterprise named by id or code in the park ``park`` names (the only park without
    one); None stays None — a park-wide binding needs no park."""
    if enterprise is None:
        return None
    return enterprise_id_of(store, enterprise, park_of(store, park).id)


def wording(lang: str) -> Wording:
    """The wording of ``lang`` (``zh`` or ``en``) for what the services say: Chinese output
    shows names, not codes or record ids (lingtan/wording/zh-CN.yaml)."""
    from lingtan.reports.localise import wording as _wording

    return _wording("zh" if lang.startswith("zh") else "en")


def overrides(**options: Any) -> dict[str, Any]:
    """The park options a command overrides for one run: those given (not None)."""
    return {name: value for name, value in options.items() if value is not None}


def settings() -> Settings:
    """Settings for this CLI invocation (environment variables ``LINGTAN_*``)."""
    from lingtan.config import load_settings

    return load_settings()
