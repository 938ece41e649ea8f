"""GHG documents of enterprises: appended, read back scoped by tenant (the newest of an
enterprise and year is in force; the earlier ones stay as the evidence trail)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, insert, select

from lingtan.store import schema as s
from lingtan.store.query_repo import Tenant, _owner

if TYPE_CHECKING:
    from lingtan.store.core import Store


@dataclass(frozen=True)
class GhgDocumentRow:
    """A stored GHG document."""

    id: int
    park_id: int
    enterprise_id: int
    year: int
    sector: str
    document: str
    sha256: str
    created_by: str
    created_at: int


def _row(r: Any) -> GhgDocumentRow:
    return GhgDocumentRow(
        id=int(r.id), park_id=int(r.park_id), enterprise_id=int(r.enterprise_id),
        year=int(r.year), sector=r.sector, document=r.document, sha256=r.sha256,
        created_by=r.created_by, created_at=int(r.created_at),
    )  # fmt: skip


class GhgRepo:
    """Append and read GHG documents."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def add(self, *, audit: dict[str, Any], **values: Any) -> GhgDocumentRow:
        """Append a document and its audit entry in one transaction."""
        t = s.ghg_document
        with self._store.begin() as conn:
            new_id = int(conn.execute(insert(t).values(**values).returning(t.c.id)).scalar_one())
            self._store.audit.append(conn, entity_id=str(new_id), **audit)
            return _row(conn.execute(select(t).where(t.c.id == new_id)).one())

    def documents(
        self,
        *,
        tenant: Tenant,
        park_id: int,
        year: int | None = None,
        enterprise_id: int | None = None,
    ) -> list[GhgDocumentRow]:
        """Every document in scope (all versions), oldest first."""
        t = s.ghg_document
        q = select(t).where(t.c.park_id == park_id, _owner(t.c.enterprise_id, tenant))
        if year is not None:
            q = q.where(t.c.year == year)
        if enterprise_id is not None:
            q = q.where(t.c.enterprise_id == enterprise_id)
        with self._store.begin() as conn:
            return [_row(r) for r in conn.execute(q.order_by(t.c.id))]

    def current(self, *, tenant: Tenant, park_id: int, year: int) -> list[GhgDocumentRow]:
        """The document in force of each enterprise in scope for ``year``."""
        t = s.ghg_document
        newest = (
            select(func.max(t.c.id))
            .where(t.c.park_id == park_id, t.c.year == year, _owner(t.c.enterprise_id, tenant))
            .group_by(t.c.enterprise_id)
        )
        with self._store.begin() as conn:
            rows = conn.execute(select(t).where(t.c.id.in_(newest)).order_by(t.c.enterprise_id))
            return [_row(r) for r in rows]
