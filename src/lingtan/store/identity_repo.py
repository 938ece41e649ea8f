"""Users, API keys and refresh tokens (the rows behind :mod:`lingtan.identity`).

Secrets never reach this module in clear: passwords arrive as argon2 hashes, API keys and
refresh tokens as SHA-256 digests. Writes take the caller's connection so that a change and
its audit entry commit together.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, case, delete, func, insert, or_, select, update

from lingtan.store import schema as s

if TYPE_CHECKING:
    from lingtan.store.core import Store


@dataclass(frozen=True, slots=True)
class UserRow:
    """A stored user (the password hash stays inside :mod:`lingtan.identity`)."""

    id: int
    username: str
    password_hash: str
    role: str
    enterprise_id: int | None
    display_name: str | None
    lang: str
    active: bool
    failed_logins: int
    locked_until: int | None
    created_at: int
    updated_at: int
    token_version: int


@dataclass(frozen=True, slots=True)
class ApiKeyRow:
    """A stored API key (only the digest of its secret)."""

    id: int
    prefix: str
    secret_hash: str
    name: str
    role: str
    enterprise_id: int | None
    points: tuple[str, ...] | None
    created_by: str
    created_at: int
    revoked_at: int | None
    last_used_at: int | None
    expires_at: int | None


@dataclass(frozen=True, slots=True)
class RefreshRow:
    """A stored refresh token (only its digest)."""

    id: int
    token_hash: str
    user_id: int
    issued_at: int
    expires_at: int
    revoked_at: int | None
    #: the user's token version when the token was issued
    token_version: int


def _user(r: Any) -> UserRow:
    return UserRow(
        id=int(r.id),
        username=r.username,
        password_hash=r.password_hash,
        role=r.role,
        enterprise_id=r.enterprise_id,
        display_name=r.display_name,
        lang=r.lang,
        active=bool(r.active),
        failed_logins=int(r.failed_logins),
        locked_until=r.locked_until,
        created_at=int(r.created_at),
        updated_at=int(r.updated_at),
        token_version=int(r.token_version),
    )


def _key(r: Any) -> ApiKeyRow:
    return ApiKeyRow(
        id=int(r.id),
        prefix=r.prefix,
        secret_hash=r.secret_hash,
        name=r.name,
        role=r.role,
        enterprise_id=r.enterprise_id,
        points=None if r.points is None else tuple(json.loads(r.points)),
        created_by=r.created_by,
        created_at=int(r.created_at),
        revoked_at=r.revoked_at,
        last_used_at=r.last_used_at,
        expires_at=r.expires_at,
    )


def _refresh(r: Any) -> RefreshRow:
    return RefreshRow(
        id=int(r.id),
        token_hash=r.token_hash,
        user_id=int(r.user_id),
        issued_at=int(r.issued_at),
        expires_at=int(r.expires_at),
        revoked_at=r.revoked_at,
        token_version=int(r.token_version),
    )


class IdentityRepo:
    """Repository of users, API keys and refresh tokens."""

    def __init__(self, store: Store) -> None:
        self._store = store

    # -- users ------------------------------------------------------------------------------
    def user_by_username(self, conn: Connection, username: str) -> UserRow | None:
        """The user called ``username``, if any."""
        row = conn.execute(select(s.app_user).where(s.app_user.c.username == username)).first()
        return None if row is None else _user(row)

    def user_by_id(self, conn: Connection, user_id: int) -> UserRow | None:
        """The user with id ``user_id``, if any."""
        row = conn.execute(select(s.app_user).where(s.app_user.c.id == user_id)).first()
        return None if row is None else _user(row)

    def insert_user(self, conn: Connection, *, values: dict[str, Any]) -> int:
        """Insert a user row; returns its id."""
        return int(
            conn.execute(
                insert(s.app_user).values(**values).returning(s.app_user.c.id)
            ).scalar_one()
        )

    def update_user(self, conn: Connection, user_id: int, **values: Any) -> None:
        """Update columns of one user."""
        conn.execute(update(s.app_user).where(s.app_user.c.id == user_id).values(**values))

    def replace_password_hash(self, conn: Connection, user_id: int, *, old: str, new: str) -> bool:
        """Store a new hash of the same password (a rehash) unless the password changed
        meanwhile; False when it did."""
        u = s.app_user
        result = conn.execute(
            update(u).where(u.c.id == user_id, u.c.password_hash == old).values(password_hash=new)
        )
        return int(result.rowcount) == 1

    def count_failed_login(
        self,
        conn: Connection,
        user_id: int,
        *,
        threshold: int,
        locked_until: int,
        now: int,
        forget_before: int,
    ) -> int:
        """Add one failed login in a single UPDATE (concurrent failures all count); a count
        whose last failure is older than ``forget_before`` starts again at one; at
        ``threshold`` the counter restarts and the account is locked. Returns the count."""
        u = s.app_user
        stale = or_(u.c.last_failed_at.is_(None), u.c.last_failed_at < forget_before)
        failed = int(
            conn.execute(
                update(u)
                .where(u.c.id == user_id)
                .values(
                    failed_logins=case((stale, 1), else_=u.c.failed_logins + 1),
                    last_failed_at=now,
                )
                .returning(u.c.failed_logins)
            ).scalar_one()
        )
        if failed >= threshold:
            conn.execute(
                update(u)
                .where(u.c.id == user_id)
                .values(failed_logins=0, locked_until=locked_until)
            )
        return failed

    def list_users(
        self, conn: Connection, *, enterprise_id: int | None, limit: int, offset: int
    ) -> tuple[list[UserRow], int]:
        """Users in id order (those of one enterprise when ``enterprise_id`` is given)."""
        t = s.app_user
        q = select(t).order_by(t.c.id)
        c = select(func.count()).select_from(t)
        if enterprise_id is not None:
            q = q.where(t.c.enterprise_id == enterprise_id)
            c = c.where(t.c.enterprise_id == enterprise_id)
        rows = conn.execute(q.limit(limit).offset(offset)).all()
        return [_user(r) for r in rows], int(conn.execute(c).scalar_one())

    def count_users(self, conn: Connection) -> int:
        """Number of users."""
        return int(conn.execute(select(func.count()).select_from(s.app_user)).scalar_one())

    # -- failed logins of names without a usable account --------------------------------------
    def name_locked_until(self, conn: Connection, username: str) -> int | None:
        """Until when logins as ``username`` (no usable account) are locked, if they are."""
        t = s.login_failure
        locked: int | None = conn.execute(
            select(t.c.locked_until).where(t.c.username == username)
        ).scalar_one_or_none()
        return locked

    def count_name_failure(
        self,
        conn: Connection,
        username: str,
        *,
        threshold: int,
        locked_until: int,
        now: int,
        forget_before: int,
    ) -> int:
        """Add one failed login of ``username`` in a single upsert (concurrent failures all
        count); at ``threshold`` the counter restarts and the name is locked. Rows last
        touched before ``forget_before`` are deleted first — their count would start again
        and their lock has run out, as a user's does (:meth:`count_failed_login`) — so
        guessed names do not pile up. Returns the count."""
        t = s.login_failure
        conn.execute(delete(t).where(t.c.updated_at < forget_before))
        ins = self._store.dialect_insert(t).values(
            username=username, failed=1, locked_until=None, updated_at=now
        )
        failed = int(
            conn.execute(
                ins.on_conflict_do_update(
                    index_elements=[t.c.username],
                    set_={"failed": t.c.failed + 1, "updated_at": now},
                ).returning(t.c.failed)
            ).scalar_one()
        )
        if failed >= threshold:
            conn.execute(
                update(t)
                .where(t.c.username == username)
                .values(failed=0, locked_until=locked_until)
            )
        return failed

    # -- API keys ---------------------------------------------------------------------------
    def insert_key(self, conn: Connection, *, values: dict[str, Any]) -> int:
        """Insert an API key row; returns its id."""
        v = dict(values)
        if v.get("points") is not None:
            v["points"] = json.dumps(list(v["points"]), ensure_ascii=False)
        return int(
            conn.execute(insert(s.api_key).values(**v).returning(s.api_key.c.id)).scalar_one()
        )

    def key_by_prefix(self, conn: Connection, prefix: str) -> ApiKeyRow | None:
        """The key with public prefix ``prefix``, if any."""
        row = conn.execute(select(s.api_key).where(s.api_key.c.prefix == prefix)).first()
        return None if row is None else _key(row)

    def key_by_id(self, conn: Connection, key_id: int) -> ApiKeyRow | None:
        """The key with id ``key_id``, if any."""
        row = conn.execute(select(s.api_key).where(s.api_key.c.id == key_id)).first()
        return None if row is None else _key(row)

    def list_keys(
        self, conn: Connection, *, enterprise_id: int | None, limit: int, offset: int
    ) -> tuple[list[ApiKeyRow], int]:
        """Keys in id order (those of one enterprise when ``enterprise_id`` is given)."""
        t = s.api_key
        q = select(t).order_by(t.c.id)
        c = select(func.count()).select_from(t)
        if enterprise_id is not None:
            q = q.where(t.c.enterprise_id == enterprise_id)
            c = c.where(t.c.enterprise_id == enterprise_id)
        rows = conn.execute(q.limit(limit).offset(offset)).all()
        return [_key(r) for r in rows], int(conn.execute(c).scalar_one())

    def update_key(self, conn: Connection, key_id: int, **values: Any) -> None:
        """Update columns of one key."""
        conn.execute(update(s.api_key).where(s.api_key.c.id == key_id).values(**values))

    # -- refresh tokens ---------------------------------------------------------------------
    def insert_refresh(
        self,
        conn: Connection,
        *,
        token_hash: str,
        user_id: int,
        issued_at: int,
        expires_at: int,
        token_version: int,
    ) -> None:
        """Store the digest of a new refresh token issued at the user's ``token_version``."""
        conn.execute(
            insert(s.refresh_token).values(
                token_hash=token_hash,
                user_id=user_id,
                issued_at=issued_at,
                expires_at=expires_at,
                token_version=token_version,
            )
        )

    def refresh_by_hash(self, conn: Connection, token_hash: str) -> RefreshRow | None:
        """The refresh token with digest ``token_hash``, if any."""
        row = conn.execute(
            select(s.refresh_token).where(s.refresh_token.c.token_hash == token_hash)
        ).first()
        return None if row is None else _refresh(row)

    def revoke_refresh(self, conn: Connection, token_id: int, *, at: int) -> bool:
        """Revoke one refresh token; False if it was already revoked (by a concurrent call)."""
        t = s.refresh_token
        result = conn.execute(
            update(t).where(t.c.id == token_id, t.c.revoked_at.is_(None)).values(revoked_at=at)
        )
        return int(result.rowcount) == 1

    def end_sessions(self, conn: Connection, user_id: int, *, at: int) -> int:
        """End every session of a user: its live refresh tokens are revoked and its token
        version raised, so access tokens issued before stop working too. Returns how many
        refresh tokens were revoked."""
        t = s.refresh_token
        result = conn.execute(
            update(t).where(t.c.user_id == user_id, t.c.revoked_at.is_(None)).values(revoked_at=at)
        )
        u = s.app_user
        conn.execute(update(u).where(u.c.id == user_id).values(token_version=u.c.token_version + 1))
        return int(result.rowcount)
