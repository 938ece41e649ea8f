"""The park's options for API callers: every reading role sees them, park admins change them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lingtan.identity.roles import Permission, Principal, require
from lingtan.options import OptionsVersion
from lingtan.options import service as park_options
from lingtan.store import Store


def current(store: Store, *, principal: Principal) -> OptionsVersion:
    """The park's current options."""
    require(principal, Permission.READ)
    return park_options.current(store, park_id=principal.park_id)


def history(store: Store, *, principal: Principal) -> list[OptionsVersion]:
    """Every version, the defaults (version 0) first."""
    require(principal, Permission.READ)
    return park_options.history(store, park_id=principal.park_id)


def version(store: Store, *, principal: Principal, number: int) -> OptionsVersion:
    """One version."""
    require(principal, Permission.READ)
    return park_options.version(store, park_id=principal.park_id, number=number)


def change(
    store: Store,
    *,
    principal: Principal,
    changes: Mapping[str, Any],
    reason: str | None,
    expected_version: int | None,
) -> OptionsVersion:
    """A new version with ``changes`` (park admins; audited)."""
    require(principal, Permission.ADMIN_PARK)
    return park_options.change(
        store,
        park_id=principal.park_id,
        changes=changes,
        actor=principal.actor,
        reason=reason,
        expected_version=expected_version,
    )
