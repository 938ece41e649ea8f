"""Indicator profiles a park uploaded: appended one version at a time, read back by park (the
park's own data: every role of the park reads them, park administrators add versions)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from lingtan.errors import Conflict
from lingtan.store import schema as s

if TYPE_CHECKING:
    from lingtan.store.core import Store


@dataclass(frozen=True)
class ProfileRow:
    """A stored version of a park's profile."""

    id: int
    park_id: int
    profile_id: str
    version: int
    document: str
    sha256: str
    reason: str | None
    created_by: str
    created_at: int


def _row(r: Any) -> ProfileRow:
    return ProfileRow(
        id=int(r.id), park_id=int(r.park_id), profile_id=r.profile_id, version=int(r.version),
        document=r.document, sha256=r.sha256, reason=r.reason, created_by=r.created_by,
        created_at=int(r.created_at),
    )  # fmt: skip


class ProfilesRepo:
    """Append and read the versions of a park's indicator profiles."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def add(self, *, audit: dict[str, Any], **values: Any) -> ProfileRow:
        """Append a version and its audit entry in one transaction; ``Conflict`` when the
        version is not newer than the stored ones (checked inside the transaction, and by the
        unique key against a concurrent upload)."""
        t = s.indicator_profile
        try:
            with self._store.begin() as conn:
                latest = conn.execute(
                    select(func.max(t.c.version)).where(
                        t.c.park_id == values["park_id"], t.c.profile_id == values["profile_id"]
                    )
                ).scalar()
                if latest is not None and values["version"] <= int(latest):
                    raise Conflict(
                        f"profile {values['profile_id']} version {latest} is stored: a revision "
                        f"is a new version (version: {int(latest) + 1} or later)"
                    )
                new_id = int(
                    conn.execute(insert(t).values(**values).returning(t.c.id)).scalar_one()
                )
                self._store.audit.append(conn, entity_id=str(new_id), **audit)
                return _row(conn.execute(select(t).where(t.c.id == new_id)).one())
        except IntegrityError as err:
            raise Conflict(
                f"profile {values['profile_id']} version {values['version']} is stored already"
            ) from err

    def versions(self, *, park_id: int, profile_id: str | None = None) -> list[ProfileRow]:
        """Every stored version of the park's profiles (or of one), oldest first."""
        t = s.indicator_profile
        q = select(t).where(t.c.park_id == park_id)
        if profile_id is not None:
            q = q.where(t.c.profile_id == profile_id)
        with self._store.begin() as conn:
            return [_row(r) for r in conn.execute(q.order_by(t.c.profile_id, t.c.version))]

    def latest(self, *, park_id: int) -> dict[str, ProfileRow]:
        """The newest version of each of the park's profiles, by profile id."""
        out: dict[str, ProfileRow] = {}
        for r in self.versions(park_id=park_id):
            out[r.profile_id] = r
        return out
