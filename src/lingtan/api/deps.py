"""Request dependencies: the store, the settings and the authenticated caller.

Every router under ``/api/v1`` except ``/auth`` is mounted with :func:`current_principal` as a
dependency, so a route is authenticated unless it is deliberately placed in the open router.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer

from lingtan.config import Settings
from lingtan.identity import service as identity
from lingtan.identity.errors import NotAuthenticated
from lingtan.identity.parks import in_park
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


ParkQuery = Annotated[
    str | None,
    Query(
        alias="park",
        min_length=1,
        max_length=64,
        description="the park to act in, by code, when the store holds several parks "
        "(park-wide callers; an enterprise's user is always in its enterprise's park)",
    ),
]


def current_principal(
    store: StoreDep,
    settings: SettingsDep,
    bearer: Annotated[str | None, Depends(oauth2_scheme)],
    api_key: Annotated[str | None, Depends(api_key_scheme)],
    park: ParkQuery = None,
) -> Principal:
    """The caller: an API key (``X-API-Key`` or ``Authorization: Bearer lt_…``) or a user's
    access token (``Authorization: Bearer <jwt>``); 401 without valid credentials. It acts in
    the park ``park`` names (or the only park; lingtan.identity.parks)."""
    key = api_key or (bearer if bearer and bearer.startswith(KEY_MARK) else None)
    if key:
        # its own transactions: the key's last use may be written
        return in_park(store, identity.principal_from_api_key(store, key=key), park)
    if not bearer:
        raise NotAuthenticated("authentication required")
    # the user and the parks read in one transaction: every request pays this, and a cached
    # view pays little else (bench/api.py --live, 20 closed-loop clients)
    with store.reads():
        principal = identity.principal_from_access_token(store, settings, token=bearer)
        return in_park(store, principal, park)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
