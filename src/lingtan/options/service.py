"""The park's options in the store: the current version, its history, and new versions.

Version 0 is the defaults of :class:`~lingtan.options.model.ParkOptions` and is never stored; a
change appends version N + 1 with who changed it, when and why (and an audit entry). Stored
versions hold every option's value, so a later release that changes a default does not change
what an earlier version meant; an option added by a later release takes its default in the
versions stored before it.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from lingtan.errors import InvalidInput, NotFound
from lingtan.options.model import OptionsVersion, ParkOptions, UsedOptions
from lingtan.store import Store
from lingtan.store.options_repo import OptionsRepo, OptionsRow
from lingtan.timeutil import to_us, utcnow


class _ChangeCount:
    """How many options versions this process has stored (thread-safe)."""

    def __init__(self) -> None:
        self._n = 0
        self._lock = threading.Lock()

    def add(self) -> None:
        with self._lock:
            self._n += 1

    @property
    def value(self) -> int:
        return self._n


_stored_here = _ChangeCount()


def local_changes() -> int:
    """The number of options versions stored by this process so far.

    Part of a cached view's key beside the stored options version: that version is read at
    most once a second by the view cache, so a change made here must show at once without a
    read (it is counted after its commit; a view computed in between already reads the new
    options and is only recomputed once more). A change stored by another process shows
    when the view cache next reads the stored version (docs/api.md, "Cached views").
    """
    return _stored_here.value


def _version(row: OptionsRow) -> OptionsVersion:
    return OptionsVersion(
        park_id=row.park_id,
        version=row.version,
        options=ParkOptions.from_dict(row.options),
        changed_at=row.changed_at,
        changed_by=row.changed_by,
        reason=row.reason,
    )


def _park_id(store: Store, park_id: int | None) -> int:
    return store.registry.park(park_id).id


def current(store: Store, *, park_id: int | None = None) -> OptionsVersion:
    """The park's options now: the newest stored version, or the defaults (version 0)."""
    pid = _park_id(store, park_id)
    with store.begin() as conn:
        row = OptionsRepo(store).latest(conn, pid)
    return OptionsVersion(pid, 0, ParkOptions()) if row is None else _version(row)


def version(store: Store, *, park_id: int | None = None, number: int) -> OptionsVersion:
    """One version of the park's options (0: the defaults)."""
    pid = _park_id(store, park_id)
    if number == 0:
        return OptionsVersion(pid, 0, ParkOptions())
    with store.begin() as conn:
        row = OptionsRepo(store).version(conn, pid, number)
    if row is None:
        raise NotFound(f"the park has no options version {number}")
    return _version(row)


def history(store: Store, *, park_id: int | None = None) -> list[OptionsVersion]:
    """Every version of the park's options, the defaults (version 0) first."""
    pid = _park_id(store, park_id)
    with store.begin() as conn:
        rows = OptionsRepo(store).history(conn, pid)
    return [OptionsVersion(pid, 0, ParkOptions()), *(_version(r) for r in rows)]


def used(
    store: Store, *, park_id: int | None = None, overrides: Mapping[str, Any] | None = None
) -> UsedOptions:
    """The options a computation uses: the park's current version with ``overrides`` (a
    what-if for one computation; the result names both)."""
    return UsedOptions.of(current(store, park_id=park_id), overrides)


def change(
    store: Store,
    *,
    changes: Mapping[str, Any],
    actor: str,
    reason: str | None = None,
    park_id: int | None = None,
    expected_version: int | None = None,
    replace_all: bool = False,
) -> OptionsVersion:
    """Store a new version of the park's options with ``changes`` applied to the current one
    (``replace_all``: to the defaults, as when a park file states its options in full).

    Nothing is stored when the result equals the current version (that version is returned).
    ``expected_version`` refuses the change (``Conflict``) when the options changed since the
    caller read them.
    """
    pid = _park_id(store, park_id)
    if reason is not None and len(reason) > 2000:
        raise InvalidInput("the reason is at most 2000 characters", field="reason")
    ParkOptions().replace(changes)  # validate before taking the write lock
    unchanged: list[OptionsVersion] = []

    def build(latest: OptionsRow | None) -> dict[str, Any]:
        base = ParkOptions() if latest is None else ParkOptions.from_dict(latest.options)
        new = (ParkOptions() if replace_all else base).replace(changes)
        if new == base:
            unchanged.append(OptionsVersion(pid, 0, base) if latest is None else _version(latest))
            raise _Unchanged
        return new.as_dict()

    now = to_us(utcnow())
    repo = OptionsRepo(store)
    try:
        with store.begin() as conn:
            row = repo.append(
                conn,
                park_id=pid,
                build=build,
                changed_at=now,
                changed_by=actor,
                reason=reason,
                expected_version=expected_version,
            )
            before = repo.version(conn, pid, row.version - 1)
            store.audit.append(
                conn,
                at=now,
                actor=actor,
                action="options.change",
                entity="park_options",
                entity_id=f"{pid}:{row.version}",
                before=None if before is None else before.options,
                after={"options": row.options, "reason": reason},
            )
    except _Unchanged:
        return unchanged[0]
    _stored_here.add()
    return _version(row)


class _Unchanged(Exception):
    """The change would store the current options again (rolls the transaction back)."""


def apply_park_file(
    store: Store, *, park_id: int, options: Mapping[str, Any] | None, actor: str
) -> OptionsVersion | None:
    """The options a park file states (in full: options it does not name take their default)
    as the park's new version; None when the file states none (the stored options stay)."""
    if options is None:
        return None
    return change(
        store,
        park_id=park_id,
        changes=options,
        actor=actor,
        reason="park file / 园区文件",
        replace_all=True,
    )
