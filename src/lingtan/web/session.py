"""Browser sessions of the dashboard: HttpOnly cookies holding the access token and the
refresh token, silent refresh, and double-submit CSRF tokens for the few forms that post.

The REST API does not accept these cookies (it takes bearer tokens and API keys only), so a
page cannot be used to drive the API from another site.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, field

from fastapi import Request, Response

from lingtan.config import Settings
from lingtan.identity import service as identity
from lingtan.identity.errors import NotAuthenticated
from lingtan.identity.roles import Principal
from lingtan.store import Store

ACCESS_COOKIE = "lingtan_session"
REFRESH_COOKIE = "lingtan_refresh"
CSRF_COOKIE = "lingtan_csrf"
LANG_COOKIE = "lingtan_lang"
#: the park a park-wide user works in, when the store holds several (the park switcher)
PARK_COOKIE = "lingtan_park"


@dataclass(slots=True)
class PendingCookies:
    """Cookies a request decided to set (a silent refresh, a new CSRF token)."""

    set: dict[str, tuple[str, int | None, bool]] = field(default_factory=dict)
    delete: list[str] = field(default_factory=list)

    def apply(self, response: Response, *, secure: bool) -> None:
        """Write them on ``response``."""
        for name, (value, max_age, http_only) in self.set.items():
            response.set_cookie(
                name,
                value,
                max_age=max_age,
                httponly=http_only,
                samesite="strict" if name == REFRESH_COOKIE else "lax",
                secure=secure,
                path="/",
            )
        for name in self.delete:
            response.delete_cookie(name, path="/")


def pending(request: Request) -> PendingCookies:
    """The cookies pending on this request."""
    found = getattr(request.state, "cookies", None)
    if found is None:
        found = PendingCookies()
        request.state.cookies = found
    return found


def secure_cookies(settings: Settings) -> bool:
    """Mark cookies Secure in production (served behind HTTPS)."""
    return settings.environment == "production"


def start(request: Request, settings: Settings, pair: identity.TokenPair) -> None:
    """Remember a fresh login (or refresh) in cookies."""
    p = pending(request)
    p.set[ACCESS_COOKIE] = (pair.access_token, None, True)
    p.set[REFRESH_COOKIE] = (pair.refresh_token, settings.refresh_token_days * 86_400, True)


def end(request: Request, store: Store) -> None:
    """Forget the session (and revoke its refresh token)."""
    refresh = request.cookies.get(REFRESH_COOKIE)
    if refresh:
        identity.logout(store, refresh_token=refresh[:200])
    pending(request).delete.extend([ACCESS_COOKIE, REFRESH_COOKIE])


def principal(request: Request, store: Store, settings: Settings) -> Principal | None:
    """The logged-in user, refreshing an expired access token silently; None if nobody."""
    token = request.cookies.get(ACCESS_COOKIE)
    if token:
        try:
            return identity.principal_from_access_token(store, settings, token=token)
        except NotAuthenticated:
            pass
    refresh = request.cookies.get(REFRESH_COOKIE)
    if not refresh:
        return None
    try:
        pair = identity.refresh(store, settings, refresh_token=refresh[:200])
    except NotAuthenticated:
        pending(request).delete.extend([ACCESS_COOKIE, REFRESH_COOKIE])
        return None
    start(request, settings, pair)
    return identity.principal_from_access_token(store, settings, token=pair.access_token)


def csrf_token(request: Request) -> str:
    """This browser's CSRF token (a new one is set when it has none)."""
    existing = request.cookies.get(CSRF_COOKIE)
    if existing and len(existing) == 43:
        return existing
    p = pending(request)
    if CSRF_COOKIE in p.set:
        return p.set[CSRF_COOKIE][0]
    token = secrets.token_urlsafe(32)
    p.set[CSRF_COOKIE] = (token, None, True)
    return token


def csrf_ok(request: Request, submitted: str | None) -> bool:
    """Whether a posted form carries this browser's CSRF token."""
    cookie = request.cookies.get(CSRF_COOKIE)
    return bool(cookie and submitted and hmac.compare_digest(cookie, submitted))
