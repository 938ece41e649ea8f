"""Schemas of the auth endpoints."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from lingtan.api.common import SafeText


class TokenResponse(BaseModel):
    """An OAuth2 token response with a refresh token."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth2 token type
    expires_in: int = Field(description="lifetime of the access token [s]")
    refresh_token: str
    role: str
    enterprise_id: int | None


class RefreshRequest(BaseModel):
    """A refresh token to exchange or revoke."""

    refresh_token: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_\-]+$")


class Me(BaseModel):
    """The authenticated caller."""

    subject: str
    kind: Literal["user", "api_key"]
    role: str
    enterprise_id: int | None
    lang: str
    permissions: list[str]
    points: list[str] | None = Field(
        default=None, description="points an ingest key may write (None: its whole scope)"
    )


class PasswordChange(BaseModel):
    """The caller's current and new password."""

    current_password: SafeText
    new_password: SafeText
