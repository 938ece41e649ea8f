"""Schemas of the user and API key endpoints."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, Field, StringConstraints

from lingtan.api.common import CODE_PATTERN, MAX_ID, SafeText, ShortText
from lingtan.identity.roles import Role

Username = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.@\-]{2,63}$")]
Lang = Literal["zh-CN", "en"]
EnterpriseId = Annotated[int, Field(ge=1, le=MAX_ID)]
PointCode = Annotated[str, StringConstraints(pattern=CODE_PATTERN, max_length=64)]


class UserOut(BaseModel):
    """A user (no secrets)."""

    id: int
    username: str
    role: Role
    enterprise_id: int | None
    display_name: str | None
    lang: str
    active: bool
    locked_until: str | None = Field(description="set while locked after failed logins")
    created_at: str
    updated_at: str


class UserCreate(BaseModel):
    """A new user."""

    username: Username
    password: SafeText
    role: Role
    enterprise_id: EnterpriseId | None = Field(
        default=None, description="required for enterprise roles; none for park-wide roles"
    )
    display_name: SafeText | None = None
    lang: Lang = "zh-CN"


class UserUpdate(BaseModel):
    """Changes to a user (fields left out stay as they are)."""

    role: Role | None = None
    enterprise_id: EnterpriseId | None = None
    active: bool | None = None
    display_name: SafeText | None = None
    lang: Lang | None = None
    unlock: bool = Field(default=False, description="clear a lockout after failed logins")
    password: SafeText | None = Field(default=None, description="set a new password")


class KeyOut(BaseModel):
    """An API key (the secret is shown once, when it is created)."""

    id: int
    prefix: str
    name: str
    scope: Literal["ingest", "read"]
    enterprise_id: int | None
    points: list[str] | None
    created_by: str
    created_at: str
    revoked_at: str | None
    last_used_at: str | None
    expires_at: str | None = Field(description="the key stops working then; null: until revoked")


class KeyCreate(BaseModel):
    """A new API key."""

    name: ShortText
    scope: Literal["ingest", "read"] = Field(
        description="ingest: may only send readings; read: read-only access"
    )
    enterprise_id: EnterpriseId | None = Field(
        default=None, description="bind the key to one enterprise (its points, its data)"
    )
    points: list[PointCode] | None = Field(
        default=None,
        max_length=10_000,
        description="ingest keys: the only points it may send readings for",
    )
    expires_at: AwareDatetime | None = Field(
        default=None,
        description="when the key stops working (with a UTC offset); omitted: until revoked",
    )


class KeyCreated(KeyOut):
    """A new key with its secret: store it now, it is not shown again."""

    key: str = Field(description="send as X-API-Key or Authorization: Bearer")
