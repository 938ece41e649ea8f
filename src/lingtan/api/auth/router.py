"""``/api/v1/auth`` (open) and ``/api/v1/me`` (authenticated)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status
from fastapi.security import OAuth2PasswordRequestForm

from lingtan.api.auth.schemas import Me, PasswordChange, RefreshRequest, TokenResponse
from lingtan.api.deps import CurrentPrincipal, SettingsDep, StoreDep
from lingtan.identity import service as identity
from lingtan.identity.roles import ROLE_PERMISSIONS

open_router = APIRouter(prefix="/auth", tags=["auth"])
router = APIRouter(prefix="/me", tags=["auth"])


def _tokens(pair: identity.TokenPair) -> TokenResponse:
    return TokenResponse(
        access_token=pair.access_token,
        expires_in=pair.expires_in,
        refresh_token=pair.refresh_token,
        role=pair.user.role,
        enterprise_id=pair.user.enterprise_id,
    )


@open_router.post("/token", response_model=TokenResponse)
def login(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    store: StoreDep,
    settings: SettingsDep,
    response: Response,
) -> TokenResponse:
    """Log in with username and password (OAuth2 password flow): a short-lived access token
    and a refresh token. Repeated failures lock the account for a while."""
    response.headers["Cache-Control"] = "no-store"
    pair = identity.login(store, settings, username=form.username, password=form.password)
    return _tokens(pair)


@open_router.post("/refresh", response_model=TokenResponse)
def refresh(
    body: RefreshRequest, store: StoreDep, settings: SettingsDep, response: Response
) -> TokenResponse:
    """Exchange a refresh token for a new access token and refresh token (rotation)."""
    response.headers["Cache-Control"] = "no-store"
    return _tokens(identity.refresh(store, settings, refresh_token=body.refresh_token))


@open_router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(body: RefreshRequest, store: StoreDep) -> Response:
    """Revoke a refresh token."""
    identity.logout(store, refresh_token=body.refresh_token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("", response_model=Me)
def me(principal: CurrentPrincipal) -> Me:
    """Who the caller is: role, enterprise, permissions."""
    return Me(
        subject=principal.subject,
        kind="api_key" if principal.key_id is not None else "user",
        role=principal.role.value,
        enterprise_id=principal.enterprise_id,
        lang=principal.lang,
        permissions=sorted(p.value for p in ROLE_PERMISSIONS[principal.role]),
        points=None if principal.points is None else sorted(principal.points),
    )


@router.post("/password", status_code=status.HTTP_204_NO_CONTENT)
def change_password(
    body: PasswordChange, principal: CurrentPrincipal, store: StoreDep, settings: SettingsDep
) -> Response:
    """Change the caller's own password (its refresh tokens are revoked). Wrong current
    passwords count towards the login lockout."""
    identity.change_own_password(
        store,
        principal=principal,
        current_password=body.current_password,
        new_password=body.new_password,
        settings=settings,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
