"""``/api/v1/audit``: who changed what, when, before and after. Read-only for everyone:
the API has no route that edits or deletes an entry."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from lingtan.api.common import Page, Paging, iso
from lingtan.api.deps import CurrentPrincipal, StoreDep
from lingtan.identity.roles import Permission, Principal, require
from lingtan.store import Store
from lingtan.store.query_repo import QueryRepo
from lingtan.timeutil import UTC

router = APIRouter(tags=["audit"])


class AuditEntry(BaseModel):
    """One audited write."""

    id: int
    at: str
    actor: str
    action: str
    entity: str
    entity_id: str | None
    enterprise_id: int | None
    before: Any
    after: Any


def list_entries(
    store: Store,
    *,
    principal: Principal,
    entity: str | None,
    actor: str | None,
    limit: int,
    offset: int,
) -> tuple[list[dict[str, Any]], int]:
    """Audit entries, newest first (park admins and auditors)."""
    require(principal, Permission.READ_AUDIT)
    return QueryRepo(store).audit(entity=entity, actor=actor, limit=limit, offset=offset)


@router.get("/audit", response_model=Page[AuditEntry])
def get_audit(
    principal: CurrentPrincipal,
    store: StoreDep,
    page: Paging,
    entity: Annotated[str | None, Query(pattern=r"^[a-z_]{1,64}$")] = None,
    actor: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_.:@\-]{1,128}$")] = None,
) -> Page[AuditEntry]:
    """The audit log, newest first (park admins and auditors)."""
    rows, total = list_entries(
        store, principal=principal, entity=entity, actor=actor, limit=page.limit, offset=page.offset
    )
    return Page(
        items=[
            AuditEntry(
                id=r["id"],
                at=iso(r["at"], UTC) or "",
                actor=r["actor"],
                action=r["action"],
                entity=r["entity"],
                entity_id=r["entity_id"],
                enterprise_id=r["enterprise_id"],
                before=None if r["before"] is None else json.loads(r["before"]),
                after=None if r["after"] is None else json.loads(r["after"]),
            )
            for r in rows
        ],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )
