"""The audit log: appended by every write, read by auditors and park admins, never edited."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, insert, select

from lingtan.store import schema as s

if TYPE_CHECKING:
    from lingtan.store.core import Store


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, default=str)


class AuditRepo:
    """Append and list audit entries."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def append(
        self,
        conn: Connection,
        *,
        at: int,
        actor: str,
        action: str,
        entity: str,
        entity_id: str | None = None,
        enterprise_id: int | None = None,
        before: Any = None,
        after: Any = None,
    ) -> None:
        """Append one entry inside the caller's transaction (the write and its audit commit together)."""
        conn.execute(
            insert(s.audit_log).values(
                at=at,
                actor=actor,
                action=action,
                entity=entity,
                entity_id=entity_id,
                enterprise_id=enterprise_id,
                before=None
                if before is None
                else json.dumps(before, ensure_ascii=False, default=str),
                after=None if after is None else json.dumps(after, ensure_ascii=False, default=str),
            )
        )

    def append_many(self, conn: Connection, entries: Sequence[dict[str, Any]]) -> None:
        """Append several entries (keyword arguments of :meth:`append` each) in one
        statement, inside the caller's transaction."""
        if not entries:
            return
        conn.execute(
            insert(s.audit_log),
            [
                {
                    "at": e["at"],
                    "actor": e["actor"],
                    "action": e["action"],
                    "entity": e["entity"],
                    "entity_id": e.get("entity_id"),
                    "enterprise_id": e.get("enterprise_id"),
                    "before": _json(e.get("before")),
                    "after": _json(e.get("after")),
                }
                for e in entries
            ],
        )

    def list(
        self, *, limit: int = 100, offset: int = 0, entity: str | None = None
    ) -> list[dict[str, Any]]:
        """Entries newest first."""
        t = s.audit_log
        q = select(t).order_by(t.c.id.desc()).limit(limit).offset(offset)
        if entity is not None:
            q = q.where(t.c.entity == entity)
        with self._store.begin() as conn:
            return [dict(r._mapping) for r in conn.execute(q).all()]
