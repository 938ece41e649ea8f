"""Users, logins, tokens and API keys.

Every function takes keyword-only arguments and, where it acts for someone, the acting
:class:`Principal`; every change is written to the audit log in the same transaction (without
secrets: no password, hash, token or key ever reaches the audit log or a log line).
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from typing import Any

from lingtan.config import Settings
from lingtan.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from lingtan.identity import passwords, tokens
from lingtan.identity.errors import AccountLocked, NotAuthenticated
from lingtan.identity.roles import (
    ENTERPRISE_ROLES,
    PARK_ROLES,
    SYSTEM,
    Permission,
    Principal,
    Role,
    require,
)
from lingtan.store import Store
from lingtan.store.identity_repo import ApiKeyRow, IdentityRepo, UserRow
from lingtan.store.query_repo import QueryRepo, Tenant
from lingtan.timeutil import SECOND_US, to_us, utcnow

_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@\-]{2,63}$")
LANGS = ("zh-CN", "en")
KEY_SCOPES = ("ingest", "read")
#: how often ``last_used_at`` of an API key is written (not on every request) [s]
KEY_TOUCH_S = 60
#: the furthest an API key's expiry may be set [days] (ten years; none at all is allowed)
KEY_MAX_DAYS = 3653


def _now(now: int | None) -> int:
    return now if now is not None else to_us(utcnow())


@dataclass(frozen=True, slots=True)
class UserInfo:
    """A user as shown to administrators (no secrets)."""

    id: int
    username: str
    role: str
    enterprise_id: int | None
    display_name: str | None
    lang: str
    active: bool
    locked_until: int | None
    created_at: int
    updated_at: int

    def as_audit(self) -> dict[str, Any]:
        """What the audit log keeps of a user."""
        return {
            "username": self.username,
            "role": self.role,
            "enterprise_id": self.enterprise_id,
            "display_name": self.display_name,
            "lang": self.lang,
            "active": self.active,
        }


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """An API key as shown in lists (the secret is shown once, at creation)."""

    id: int
    prefix: str
    name: str
    scope: str
    enterprise_id: int | None
    points: tuple[str, ...] | None
    created_by: str
    created_at: int
    revoked_at: int | None
    last_used_at: int | None
    expires_at: int | None

    def as_audit(self) -> dict[str, Any]:
        """What the audit log keeps of a key."""
        return {
            "prefix": self.prefix,
            "name": self.name,
            "scope": self.scope,
            "enterprise_id": self.enterprise_id,
            "points": None if self.points is None else list(self.points),
            "expires_at": self.expires_at,
            "revoked_at": self.revoked_at,
        }


@dataclass(frozen=True, slots=True)
class TokenPair:
    """What a successful login or refresh returns."""

    access_token: str
    refresh_token: str
    expires_in: int  # seconds
    user: UserInfo


def _info(u: UserRow) -> UserInfo:
    return UserInfo(
        u.id,
        u.username,
        u.role,
        u.enterprise_id,
        u.display_name,
        u.lang,
        u.active,
        u.locked_until,
        u.created_at,
        u.updated_at,
    )


def _key_info(k: ApiKeyRow) -> KeyInfo:
    return KeyInfo(
        k.id,
        k.prefix,
        k.name,
        k.role,
        k.enterprise_id,
        k.points,
        k.created_by,
        k.created_at,
        k.revoked_at,
        k.last_used_at,
        k.expires_at,
    )


def _role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError as err:
        allowed = ", ".join(r.value for r in Role)
        raise InvalidInput(f"unknown role {value!r}; one of {allowed}", field="role") from err


def _check_binding(store: Store, role: Role, enterprise_id: int | None) -> None:
    """Enterprise roles need an existing enterprise; park-wide roles take none."""
    if role in ENTERPRISE_ROLES and enterprise_id is None:
        raise InvalidInput(f"role {role.value} needs an enterprise", field="enterprise_id")
    if role in PARK_ROLES and enterprise_id is not None:
        raise InvalidInput(
            f"role {role.value} sees the whole park and takes no enterprise", field="enterprise_id"
        )
    if enterprise_id is not None:
        QueryRepo(store).enterprise(tenant=Tenant.park_wide(), enterprise_id=enterprise_id)


def _may_manage(actor: Principal, *, role: Role, enterprise_id: int | None) -> None:
    """Park admins manage everyone; an enterprise admin manages its own enterprise's users
    (enterprise roles and integrators bound to it)."""
    require(actor, Permission.MANAGE_USERS)
    if actor.enterprise_id is None:
        return
    if enterprise_id != actor.enterprise_id or role not in {*ENTERPRISE_ROLES, Role.INTEGRATOR}:
        raise PermissionDenied("enterprise administrators manage their own enterprise's users only")


# -- users ----------------------------------------------------------------------------------
def create_user(
    store: Store,
    *,
    actor: Principal,
    username: str,
    password: str,
    role: str,
    enterprise_id: int | None = None,
    display_name: str | None = None,
    lang: str = "zh-CN",
    now: int | None = None,
) -> UserInfo:
    """Create a user with an argon2id password hash."""
    r = _role(role)
    username = username.strip()
    if not _USERNAME.match(username):
        raise InvalidInput(
            "username: 3–64 letters, digits or _ . @ -, starting with a letter or digit",
            field="username",
        )
    if lang not in LANGS:
        raise InvalidInput(f"lang must be one of {', '.join(LANGS)}", field="lang")
    passwords.check_policy(password, username=username)
    if enterprise_id is None and actor.enterprise_id is not None:
        enterprise_id = actor.enterprise_id
    _may_manage(actor, role=r, enterprise_id=enterprise_id)
    _check_binding(store, r, enterprise_id)
    t = _now(now)
    repo = IdentityRepo(store)
    hashed = passwords.hash_password(password)
    with store.begin() as conn:
        if repo.user_by_username(conn, username) is not None:
            raise Conflict("a user with this username exists")
        uid = repo.insert_user(
            conn,
            values={
                "username": username,
                "password_hash": hashed,
                "role": r.value,
                "enterprise_id": enterprise_id,
                "display_name": display_name,
                "lang": lang,
                "active": True,
                "failed_logins": 0,
                "locked_until": None,
                "created_at": t,
                "updated_at": t,
            },
        )
        user = repo.user_by_id(conn, uid)
        assert user is not None
        info = _info(user)
        store.audit.append(
            conn,
            at=t,
            actor=actor.actor,
            action="create",
            entity="user",
            entity_id=str(uid),
            enterprise_id=enterprise_id,
            after=info.as_audit(),
        )
    return info


def _require_read_accounts(actor: Principal) -> None:
    """Users and keys are read by who manages them and by who audits (the auditor reviews
    who has access; it changes nothing)."""
    if not (actor.can(Permission.MANAGE_USERS) or actor.can(Permission.READ_AUDIT)):
        require(actor, Permission.MANAGE_USERS)


def _user_in_scope(store: Store, actor: Principal, user_id: int, *, write: bool = True) -> UserRow:
    if write:
        require(actor, Permission.MANAGE_USERS)
    else:
        _require_read_accounts(actor)
    with store.begin() as conn:
        user = IdentityRepo(store).user_by_id(conn, user_id)
    if user is None or (
        actor.enterprise_id is not None and user.enterprise_id != actor.enterprise_id
    ):
        raise NotFound("user not found")
    return user


def get_user(store: Store, *, actor: Principal, user_id: int) -> UserInfo:
    """One user in the actor's scope."""
    return _info(_user_in_scope(store, actor, user_id, write=False))


def list_users(
    store: Store, *, actor: Principal, limit: int, offset: int
) -> tuple[list[UserInfo], int]:
    """Users in the actor's scope (an enterprise admin sees its enterprise's users)."""
    _require_read_accounts(actor)
    with store.begin() as conn:
        rows, total = IdentityRepo(store).list_users(
            conn, enterprise_id=actor.enterprise_id, limit=limit, offset=offset
        )
    return [_info(u) for u in rows], total


def update_user(
    store: Store,
    *,
    actor: Principal,
    user_id: int,
    role: str | None = None,
    enterprise_id: int | None = None,
    active: bool | None = None,
    display_name: str | None = None,
    lang: str | None = None,
    unlock: bool = False,
    password: str | None = None,
    now: int | None = None,
) -> UserInfo:
    """Change a user's role, binding, state, display name, language or password; unlock it.

    Deactivating a user, changing its role or binding or setting its password ends its
    sessions: refresh tokens are revoked and access tokens issued before stop working at once.
    """
    user = _user_in_scope(store, actor, user_id)
    new_role = _role(role) if role is not None else Role(user.role)
    if enterprise_id is not None:
        new_ent: int | None = enterprise_id
    else:
        new_ent = None if new_role in PARK_ROLES else user.enterprise_id
    _may_manage(actor, role=Role(user.role), enterprise_id=user.enterprise_id)
    _may_manage(actor, role=new_role, enterprise_id=new_ent)
    _check_binding(store, new_role, new_ent)
    if lang is not None and lang not in LANGS:
        raise InvalidInput(f"lang must be one of {', '.join(LANGS)}", field="lang")
    if actor.user_id == user_id and (active is False or new_role != Role(user.role)):
        raise InvalidInput("you cannot deactivate yourself or change your own role", field="role")
    values: dict[str, Any] = {}
    if new_role.value != user.role:
        values["role"] = new_role.value
    if new_ent != user.enterprise_id:
        values["enterprise_id"] = new_ent
    if active is not None and active != user.active:
        values["active"] = active
    if display_name is not None and display_name != user.display_name:
        values["display_name"] = display_name
    if lang is not None and lang != user.lang:
        values["lang"] = lang
    if unlock and (user.locked_until is not None or user.failed_logins):
        values["locked_until"] = None
        values["failed_logins"] = 0
    if password is not None:
        passwords.check_policy(password, username=user.username)
        values["password_hash"] = passwords.hash_password(password)
    t = _now(now)
    repo = IdentityRepo(store)
    with store.begin() as conn:
        if values:
            repo.update_user(conn, user_id, **values, updated_at=t)
            if {"role", "enterprise_id", "active", "password_hash"} & set(values):
                repo.end_sessions(conn, user_id, at=t)
        after = repo.user_by_id(conn, user_id)
        assert after is not None
        info = _info(after)
        if values:
            changed = sorted(values)
            store.audit.append(
                conn,
                at=t,
                actor=actor.actor,
                action="update",
                entity="user",
                entity_id=str(user_id),
                enterprise_id=after.enterprise_id,
                before={**_info(user).as_audit(), "locked_until": user.locked_until},
                after={
                    **info.as_audit(),
                    "locked_until": after.locked_until,
                    "changed": ["password" if c == "password_hash" else c for c in changed],
                },
            )
    return info


def change_own_password(
    store: Store,
    *,
    principal: Principal,
    current_password: str,
    new_password: str,
    settings: Settings | None = None,
    now: int | None = None,
) -> None:
    """A user changes its own password (knowing the current one).

    A wrong current password counts as a failed login (``settings`` lockout), so a stolen
    access token cannot be used to guess the password."""
    if principal.user_id is None:
        raise PermissionDenied("API keys have no password")
    t = _now(now)
    repo = IdentityRepo(store)
    with store.begin() as conn:
        user = repo.user_by_id(conn, principal.user_id)
    if user is None:
        raise InvalidInput("the current password is not correct", field="current_password")
    if user.locked_until is not None and user.locked_until > t:
        raise AccountLocked(
            "account locked after repeated failed password checks; try again later",
            retry_after_s=max(1, (user.locked_until - t) // SECOND_US),
        )
    if not passwords.verify_password(user.password_hash, current_password):
        _count_failure(store, settings or Settings(), user, t)
        raise InvalidInput("the current password is not correct", field="current_password")
    passwords.check_policy(new_password, username=user.username)
    hashed = passwords.hash_password(new_password)
    with store.begin() as conn:
        repo.update_user(conn, user.id, password_hash=hashed, updated_at=t)
        # every session ends, this one included: whoever held a copied token is out
        repo.end_sessions(conn, user.id, at=t)
        store.audit.append(
            conn,
            at=t,
            actor=principal.actor,
            action="change_password",
            entity="user",
            entity_id=str(user.id),
            enterprise_id=user.enterprise_id,
        )


# -- login, refresh, logout -----------------------------------------------------------------
def _count_failure(store: Store, settings: Settings, user: UserRow, t: int) -> None:
    """One failed password check (login or password change): counted atomically; at
    ``settings.lockout_threshold`` the account is locked and the lock audited. Failures
    count in a row within ``settings.lockout_minutes`` of each other, as for a name without
    an account (:func:`_count_name_failure`)."""
    window = settings.lockout_minutes * 60 * SECOND_US
    with store.begin() as conn:
        failed = IdentityRepo(store).count_failed_login(
            conn,
            user.id,
            threshold=settings.lockout_threshold,
            locked_until=t + window,
            now=t,
            forget_before=t - window,
        )
        if failed >= settings.lockout_threshold:
            store.audit.append(
                conn,
                at=t,
                actor="system",
                action="lock",
                entity="user",
                entity_id=str(user.id),
                enterprise_id=user.enterprise_id,
                after={"failed_logins": failed, "lockout_minutes": settings.lockout_minutes},
            )


def _count_name_failure(store: Store, settings: Settings, name: str, t: int) -> None:
    """A failed login of a name without a usable account, counted like a user's."""
    window = settings.lockout_minutes * 60 * SECOND_US
    with store.begin() as conn:
        IdentityRepo(store).count_name_failure(
            conn,
            name,
            threshold=settings.lockout_threshold,
            locked_until=t + window,
            now=t,
            forget_before=t - window,
        )


def _issue(
    store: Store, conn: Any, settings: Settings, user: UserRow, t: int
) -> tuple[str, str, int]:
    ttl = settings.access_token_minutes * 60
    access = tokens.issue_access_token(
        secret=settings.secret_key,
        user_id=user.id,
        username=user.username,
        role=user.role,
        version=user.token_version,
        now_s=t // SECOND_US,
        ttl_s=ttl,
    )
    refresh = tokens.new_refresh_token()
    IdentityRepo(store).insert_refresh(
        conn,
        token_hash=tokens.digest(refresh),
        user_id=user.id,
        issued_at=t,
        expires_at=t + settings.refresh_token_days * 86_400 * SECOND_US,
        token_version=user.token_version,
    )
    return access, refresh, ttl


def login(
    store: Store, settings: Settings, *, username: str, password: str, now: int | None = None
) -> TokenPair:
    """Check a password and issue an access token and a refresh token.

    ``settings.lockout_threshold`` failures in a row lock the account for
    ``settings.lockout_minutes``; while locked even the right password is refused.
    Unknown users and wrong passwords get the same answer and take the same time, and a name
    without a usable account (unknown or deactivated) is counted and locked like a real one:
    no sequence of answers tells whether a username exists.
    """
    t = _now(now)
    repo = IdentityRepo(store)
    name = username.strip()
    user = None
    name_locked: int | None = None
    if _USERNAME.match(name):
        with store.begin() as conn:
            user = repo.user_by_username(conn, name)
            if user is None or not user.active:
                name_locked = repo.name_locked_until(conn, name)
    usable = user is not None and user.active
    locked_until = user.locked_until if usable and user is not None else name_locked
    if locked_until is not None and locked_until > t:
        raise AccountLocked(
            "account locked after repeated failed logins; try again later",
            retry_after_s=max(1, (locked_until - t) // SECOND_US),
        )
    ok = passwords.verify_password(None if user is None else user.password_hash, password)
    if user is None or not user.active:
        if _USERNAME.match(name):  # other strings cannot be usernames: nothing to hide
            _count_name_failure(store, settings, name, t)
        raise NotAuthenticated("incorrect username or password")
    if not ok:
        _count_failure(store, settings, user, t)
        raise NotAuthenticated("incorrect username or password")
    rehash = (
        passwords.hash_password(password) if passwords.needs_rehash(user.password_hash) else None
    )
    with store.begin() as conn:
        # the password was checked outside any transaction (hashing is slow): if it was
        # changed or the sessions ended meanwhile (both raise the token version), the check
        # is void; if guesses locked the account meanwhile, even the right password waits
        current = repo.user_by_id(conn, user.id)
        if current is None or not current.active or current.token_version != user.token_version:
            raise NotAuthenticated("the account changed while signing in; sign in again")
        if current.locked_until is not None and current.locked_until > t:
            raise AccountLocked(
                "account locked after repeated failed logins; try again later",
                retry_after_s=max(1, (current.locked_until - t) // SECOND_US),
            )
        if current.failed_logins or current.locked_until is not None:
            repo.update_user(conn, user.id, failed_logins=0, locked_until=None)
        if rehash is not None:
            # of the same password, and only if it is still the stored one
            repo.replace_password_hash(conn, user.id, old=user.password_hash, new=rehash)
        access, refresh, ttl = _issue(store, conn, settings, current, t)
    return TokenPair(access, refresh, ttl, _info(current))


def refresh(
    store: Store, settings: Settings, *, refresh_token: str, now: int | None = None
) -> TokenPair:
    """Exchange a refresh token for a new pair (the old one is revoked: rotation).

    Presenting a token revoked by rotation (or logout) again means it was copied: every session
    of the user ends (refresh tokens revoked, access tokens refused). A token that ended with
    its sessions (a password, role or binding change: the token version has moved on since)
    is merely stale, as in a browser tab left open, and is refused without ending the sessions
    opened since.
    """
    t = _now(now)
    repo = IdentityRepo(store)
    with store.begin() as conn:
        row = repo.refresh_by_hash(conn, tokens.digest(refresh_token))
        if row is not None and row.revoked_at is not None:
            owner = repo.user_by_id(conn, row.user_id)
            if owner is not None and owner.token_version == row.token_version:
                repo.end_sessions(conn, row.user_id, at=t)
    if row is None or row.revoked_at is not None or row.expires_at <= t:
        raise NotAuthenticated("invalid or expired refresh token")
    with store.begin() as conn:
        user = repo.user_by_id(conn, row.user_id)
        if (
            user is None
            or not user.active
            or (user.locked_until or 0) > t
            # issued before the sessions ended, though written after (a racing login/refresh)
            or user.token_version != row.token_version
        ):
            raise NotAuthenticated("invalid or expired refresh token")
        # the revocation is the claim: of two concurrent exchanges of one token, one wins
        if not repo.revoke_refresh(conn, row.id, at=t):
            raise NotAuthenticated("invalid or expired refresh token")
        access, new_refresh, ttl = _issue(store, conn, settings, user, t)
    return TokenPair(access, new_refresh, ttl, _info(user))


def logout(store: Store, *, refresh_token: str, now: int | None = None) -> None:
    """Revoke a refresh token (unknown tokens are ignored)."""
    t = _now(now)
    repo = IdentityRepo(store)
    with store.begin() as conn:
        row = repo.refresh_by_hash(conn, tokens.digest(refresh_token))
        if row is not None:
            repo.revoke_refresh(conn, row.id, at=t)


def principal_from_access_token(store: Store, settings: Settings, *, token: str) -> Principal:
    """The caller an access token stands for (the user is re-read: changes apply at once;
    a token issued before the user's sessions were ended is refused)."""
    claims = tokens.verify_access_token(token, secret=settings.secret_key)
    with store.begin() as conn:
        user = IdentityRepo(store).user_by_id(conn, claims.user_id)
    if user is None or not user.active:
        raise NotAuthenticated("invalid access token")
    if claims.version != user.token_version:
        raise NotAuthenticated("access token no longer valid; sign in again")
    return Principal(
        subject=user.username,
        role=Role(user.role),
        enterprise_id=user.enterprise_id,
        user_id=user.id,
        lang=user.lang,
    )


# -- API keys -------------------------------------------------------------------------------
def create_api_key(
    store: Store,
    *,
    actor: Principal,
    name: str,
    scope: str,
    enterprise_id: int | None = None,
    points: list[str] | None = None,
    expires_at: int | None = None,
    now: int | None = None,
) -> tuple[KeyInfo, str]:
    """Create an API key; returns it and its secret (shown once, never stored in clear).

    ``scope`` ``ingest``: the key may only send readings — of ``points`` when given, else of
    every point of its enterprise (of the park when unbound). ``read``: read-only access to
    its enterprise (to the park when unbound). ``expires_at`` [µs since the epoch]: the key
    stops working then (None: until revoked — a data collector must not stop unannounced).
    """
    t = _now(now)
    if expires_at is not None and not t < expires_at <= t + KEY_MAX_DAYS * 86_400 * SECOND_US:
        raise InvalidInput(
            f"expires_at must be in the future and at most {KEY_MAX_DAYS} days ahead",
            field="expires_at",
        )
    if scope not in KEY_SCOPES:
        raise InvalidInput(f"scope must be one of {', '.join(KEY_SCOPES)}", field="scope")
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidInput("name: 1–200 characters", field="name")
    if enterprise_id is None and actor.enterprise_id is not None:
        enterprise_id = actor.enterprise_id
    role = Role.INTEGRATOR if scope == "ingest" else (
        Role.ENTERPRISE_VIEWER if enterprise_id is not None else Role.PARK_VIEWER
    )  # fmt: skip
    _may_manage(actor, role=role, enterprise_id=enterprise_id)
    if enterprise_id is not None:
        QueryRepo(store).enterprise(tenant=actor.tenant, enterprise_id=enterprise_id)
    if points is not None:
        if scope != "ingest":
            raise InvalidInput("points restrict ingest keys only", field="points")
        wanted = sorted({p.strip() for p in points if p.strip()})
        if not wanted:
            raise InvalidInput("points: name at least one point", field="points")
        allowed = set(QueryRepo(store).point_codes(tenant=Tenant(enterprise_id)).values())
        outside = [p for p in wanted if p not in allowed]
        if outside:
            raise InvalidInput(
                f"{len(outside)} of the points are not points of the key's scope", field="points"
            )
        points = wanted
    secret, prefix = tokens.new_api_key()
    repo = IdentityRepo(store)
    with store.begin() as conn:
        kid = repo.insert_key(
            conn,
            values={
                "prefix": prefix,
                "secret_hash": tokens.digest(secret),
                "name": name,
                "role": scope,
                "enterprise_id": enterprise_id,
                "points": points,
                "created_by": actor.actor,
                "created_at": t,
                "expires_at": expires_at,
            },
        )
        row = repo.key_by_id(conn, kid)
        assert row is not None
        info = _key_info(row)
        store.audit.append(
            conn,
            at=t,
            actor=actor.actor,
            action="create",
            entity="api_key",
            entity_id=str(kid),
            enterprise_id=enterprise_id,
            after=info.as_audit(),
        )
    return info, secret


def _key_in_scope(store: Store, actor: Principal, key_id: int, *, write: bool = True) -> ApiKeyRow:
    if write:
        require(actor, Permission.MANAGE_USERS)
    else:
        _require_read_accounts(actor)
    with store.begin() as conn:
        row = IdentityRepo(store).key_by_id(conn, key_id)
    if row is None or (
        actor.enterprise_id is not None and row.enterprise_id != actor.enterprise_id
    ):
        raise NotFound("API key not found")
    return row


def get_api_key(store: Store, *, actor: Principal, key_id: int) -> KeyInfo:
    """One key in the actor's scope."""
    return _key_info(_key_in_scope(store, actor, key_id, write=False))


def list_api_keys(
    store: Store, *, actor: Principal, limit: int, offset: int
) -> tuple[list[KeyInfo], int]:
    """Keys in the actor's scope."""
    _require_read_accounts(actor)
    with store.begin() as conn:
        rows, total = IdentityRepo(store).list_keys(
            conn, enterprise_id=actor.enterprise_id, limit=limit, offset=offset
        )
    return [_key_info(k) for k in rows], total


def revoke_api_key(
    store: Store, *, actor: Principal, key_id: int, now: int | None = None
) -> KeyInfo:
    """Revoke a key (idempotent); it stops working at once."""
    row = _key_in_scope(store, actor, key_id)
    if row.revoked_at is not None:
        return _key_info(row)
    t = _now(now)
    repo = IdentityRepo(store)
    with store.begin() as conn:
        repo.update_key(conn, key_id, revoked_at=t)
        after = repo.key_by_id(conn, key_id)
        assert after is not None
        store.audit.append(
            conn,
            at=t,
            actor=actor.actor,
            action="revoke",
            entity="api_key",
            entity_id=str(key_id),
            enterprise_id=row.enterprise_id,
            before=_key_info(row).as_audit(),
            after=_key_info(after).as_audit(),
        )
    return _key_info(after)


def principal_from_api_key(store: Store, *, key: str, now: int | None = None) -> Principal:
    """The caller an API key stands for; ``NotAuthenticated`` for unknown, revoked or expired
    keys."""
    prefix = tokens.api_key_prefix(key)
    if prefix is None:
        raise NotAuthenticated("invalid API key")
    repo = IdentityRepo(store)
    with store.begin() as conn:
        row = repo.key_by_prefix(conn, prefix)
    if (
        row is None
        or row.revoked_at is not None
        or not hmac.compare_digest(row.secret_hash, tokens.digest(key))
    ):
        raise NotAuthenticated("invalid API key")
    t = _now(now)
    if row.expires_at is not None and row.expires_at <= t:
        # the holder proved it has the secret: telling it why saves an integrator a search
        raise NotAuthenticated("API key expired")
    if row.last_used_at is None or t - row.last_used_at > KEY_TOUCH_S * SECOND_US:
        with store.begin() as conn:
            repo.update_key(conn, row.id, last_used_at=t)
    if row.role == "ingest":
        role = Role.INTEGRATOR
    else:
        role = Role.ENTERPRISE_VIEWER if row.enterprise_id is not None else Role.PARK_VIEWER
    return Principal(
        subject=f"key:{row.prefix}",
        role=role,
        enterprise_id=row.enterprise_id,
        key_id=row.id,
        points=None if row.points is None else frozenset(row.points),
    )


def bootstrap_needed(store: Store) -> bool:
    """True while no user exists (the first park admin is created from the command line)."""
    with store.begin() as conn:
        return IdentityRepo(store).count_users(conn) == 0


__all__ = [
    "SYSTEM",
    "KeyInfo",
    "TokenPair",
    "UserInfo",
    "bootstrap_needed",
    "change_own_password",
    "create_api_key",
    "create_user",
    "get_api_key",
    "get_user",
    "list_api_keys",
    "list_users",
    "login",
    "logout",
    "principal_from_access_token",
    "principal_from_api_key",
    "refresh",
    "revoke_api_key",
    "update_user",
]
