"""The audit log: appended by every write, read by auditors and park admins, never edited."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, insert, select

from lingtan.store import schema as s

if TYPE_CHECKING:
    from lingtan.store.core import Store


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
