"""``/api/v1/users`` and ``/api/v1/keys``: park admins manage everyone, enterprise admins
their own enterprise."""

from __future__ import annotations

from fastapi import APIRouter, status

from lingtan.api.common import IdPath, Page, Paging, iso
from lingtan.api.deps import CurrentPrincipal, StoreDep
from lingtan.api.users.schemas import KeyCreate, KeyCreated, KeyOut, UserCreate, UserOut, UserUpdate
from lingtan.identity import service as identity
from lingtan.timeutil import UTC, to_us

router = APIRouter(tags=["users"])


def _user(u: identity.UserInfo) -> UserOut:
    return UserOut(
        id=u.id,
        username=u.username,
        role=u.role,  # type: ignore[arg-type]
        enterprise_id=u.enterprise_id,
        display_name=u.display_name,
        lang=u.lang,
        active=u.active,
        locked_until=iso(u.locked_until, UTC),
        created_at=iso(u.created_at, UTC) or "",
        updated_at=iso(u.updated_at, UTC) or "",
    )


def _key(k: identity.KeyInfo) -> KeyOut:
    return KeyOut(
        id=k.id,
        prefix=k.prefix,
        name=k.name,
        scope=k.scope,  # type: ignore[arg-type]
        enterprise_id=k.enterprise_id,
        points=None if k.points is None else list(k.points),
        created_by=k.created_by,
        created_at=iso(k.created_at, UTC) or "",
        revoked_at=iso(k.revoked_at, UTC),
        last_used_at=iso(k.last_used_at, UTC),
        expires_at=iso(k.expires_at, UTC),
    )


@router.get("/users", response_model=Page[UserOut])
def list_users(principal: CurrentPrincipal, store: StoreDep, page: Paging) -> Page[UserOut]:
    """Users (an enterprise admin sees its enterprise's users)."""
    rows, total = identity.list_users(store, actor=principal, limit=page.limit, offset=page.offset)
    return Page(items=[_user(u) for u in rows], total=total, limit=page.limit, offset=page.offset)


@router.post("/users", response_model=UserOut, status_code=status.HTTP_201_CREATED)
def create_user(body: UserCreate, principal: CurrentPrincipal, store: StoreDep) -> UserOut:
    """Create a user (password hashed with argon2id; audited without the password)."""
    return _user(
        identity.create_user(
            store,
            actor=principal,
            username=body.username,
            password=body.password,
            role=body.role.value,
            enterprise_id=body.enterprise_id,
            display_name=body.display_name,
            lang=body.lang,
        )
    )


@router.get("/users/{user_id}", response_model=UserOut)
def get_user(user_id: IdPath, principal: CurrentPrincipal, store: StoreDep) -> UserOut:
    """One user."""
    return _user(identity.get_user(store, actor=principal, user_id=user_id))


@router.patch("/users/{user_id}", response_model=UserOut)
def update_user(
    user_id: IdPath, body: UserUpdate, principal: CurrentPrincipal, store: StoreDep
) -> UserOut:
    """Change a user's role, enterprise, state, name, language or password; unlock it."""
    return _user(
        identity.update_user(
            store,
            actor=principal,
            user_id=user_id,
            role=None if body.role is None else body.role.value,
            enterprise_id=body.enterprise_id,
            active=body.active,
            display_name=body.display_name,
            lang=body.lang,
            unlock=body.unlock,
            password=body.password,
        )
    )


@router.get("/keys", response_model=Page[KeyOut])
def list_keys(principal: CurrentPrincipal, store: StoreDep, page: Paging) -> Page[KeyOut]:
    """API keys (prefixes only; secrets are never shown again)."""
    rows, total = identity.list_api_keys(
        store, actor=principal, limit=page.limit, offset=page.offset
    )
    return Page(items=[_key(k) for k in rows], total=total, limit=page.limit, offset=page.offset)


@router.post("/keys", response_model=KeyCreated, status_code=status.HTTP_201_CREATED)
def create_key(body: KeyCreate, principal: CurrentPrincipal, store: StoreDep) -> KeyCreated:
    """Create an API key: ``ingest`` (readings only, optionally of given points) or ``read``
    (read-only). The secret is in this answer only."""
    info, secret = identity.create_api_key(
        store,
        actor=principal,
        name=body.name,
        scope=body.scope,
        enterprise_id=body.enterprise_id,
        points=None if body.points is None else list(body.points),
        expires_at=None if body.expires_at is None else to_us(body.expires_at),
    )
    return KeyCreated(**_key(info).model_dump(), key=secret)


@router.get("/keys/{key_id}", response_model=KeyOut)
def get_key(key_id: IdPath, principal: CurrentPrincipal, store: StoreDep) -> KeyOut:
    """One API key."""
    return _key(identity.get_api_key(store, actor=principal, key_id=key_id))


@router.delete("/keys/{key_id}", response_model=KeyOut)
def revoke_key(key_id: IdPath, principal: CurrentPrincipal, store: StoreDep) -> KeyOut:
    """Revoke an API key; it stops working at once."""
    return _key(identity.revoke_api_key(store, actor=principal, key_id=key_id))
