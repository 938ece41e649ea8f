"""Request dependencies: the store, the settings and the authenticated caller.

Every router under ``/api/v1`` except ``/auth`` is mounted with :func:`current_principal` as a
dependency, so a route is authenticated unless it is deliberately placed in the open router.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer

from lingtan.config import Settings
from lingtan.identity import service as identity
from lingtan.identity.errors import NotAuthenticated
from lingtan.identity.roles import Principal
from lingtan.identity.tokens import KEY_MARK
from lingtan.store import Store

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
api_key_scheme = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="an API key: lt_<prefix>_<secret>"
)


# async: they only read app state, so FastAPI calls them on the event loop instead of
# sending each through the thread pool (a hop per dependency per request)
async def get_store(request: Request) -> Store:
    """The application's store."""
    store: Store = request.app.state.store
    return store


async def get_settings(request: Request) -> Settings:
    """The application's settings."""
    settings: Settings = request.app.state.settings
    return settings


StoreDep = Annotated[Store, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def current_principal(
    store: StoreDep,
    settings: SettingsDep,
    bearer: Annotated[str | None, Depends(oauth2_scheme)],
    api_key: Annotated[str | None, Depends(api_key_scheme)],
) -> Principal:
    """The caller: an API key (``X-API-Key`` or ``Authorization: Bearer lt_…``) or a user's
    access token (``Authorization: Bearer <jwt>``); 401 without valid credentials."""
    if api_key:
        return identity.principal_from_api_key(store, key=api_key)
    if bearer:
        if bearer.startswith(KEY_MARK):
            return identity.principal_from_api_key(store, key=bearer)
        return identity.principal_from_access_token(store, settings, token=bearer)
    raise NotAuthenticated("authentication required")


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
