"""The park's options: numbered versions as plain data (appended, never edited)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, insert, select

from lingtan.errors import Conflict
from lingtan.store import schema as s

if TYPE_CHECKING:
    from lingtan.store.core import Store

#: advisory-lock key serialising new versions of one installation's park options
LOCK_OPTIONS = 0x6C696E67_0005


@dataclass(frozen=True, slots=True)
class OptionsRow:
    """One stored version: the options as plain data."""

    park_id: int
    version: int
    options: dict[str, Any]
    changed_at: int
    changed_by: str
    reason: str | None


def _row(r: Any) -> OptionsRow:
    return OptionsRow(
        park_id=int(r.park_id),
        version=int(r.version),
        options=json.loads(r.options),
        changed_at=int(r.changed_at),
        changed_by=r.changed_by,
        reason=r.reason,
    )


class OptionsRepo:
    """Read and append versions of a park's options."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def latest(self, conn: Connection, park_id: int) -> OptionsRow | None:
        """The newest version of the park (None when none was stored)."""
        r = conn.execute(
            select(s.park_options)
            .where(s.park_options.c.park_id == park_id)
            .order_by(s.park_options.c.version.desc())
            .limit(1)
        ).first()
        return None if r is None else _row(r)

    def version(self, conn: Connection, park_id: int, version: int) -> OptionsRow | None:
        """One version of the park (None when absent)."""
        r = conn.execute(
            select(s.park_options).where(
                s.park_options.c.park_id == park_id, s.park_options.c.version == version
            )
        ).first()
        return None if r is None else _row(r)

    def history(self, conn: Connection, park_id: int) -> list[OptionsRow]:
        """Every stored version of the park, oldest first."""
        rows = conn.execute(
            select(s.park_options)
            .where(s.park_options.c.park_id == park_id)
            .order_by(s.park_options.c.version)
        ).all()
        return [_row(r) for r in rows]

    def append(
        self,
        conn: Connection,
        *,
        park_id: int,
        build: Callable[[OptionsRow | None], dict[str, Any]],
        changed_at: int,
        changed_by: str,
        reason: str | None,
        expected_version: int | None = None,
    ) -> OptionsRow:
        """Store the next version of the park's options: ``build`` gets the newest stored
        version (None when none) and returns the new options, all under the write lock (call it
        first in the transaction). With ``expected_version`` the write is refused
        (:class:`Conflict`) when another version was stored since the caller read it."""
        self._store.serialise(conn, LOCK_OPTIONS)
        latest = self.latest(conn, park_id)
        current = 0 if latest is None else latest.version
        if expected_version is not None and expected_version != current:
            raise Conflict(
                f"the park's options are at version {current}, not {expected_version}: "
                "read them again before changing them"
            )
        options = build(latest)
        row = OptionsRow(park_id, current + 1, options, changed_at, changed_by, reason)
        conn.execute(
            insert(s.park_options).values(
                park_id=park_id,
                version=row.version,
                options=json.dumps(options, ensure_ascii=False, sort_keys=True),
                changed_at=changed_at,
                changed_by=changed_by,
                reason=reason,
            )
        )
        return row
