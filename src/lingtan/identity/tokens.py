"""Signed access tokens (JWT, HS256) and opaque secrets (refresh tokens, API keys).

Access tokens are short-lived and carry only the user id, its role and the user's token
version; the API re-reads the user on every request, so deactivating a user or changing a role
takes effect at once, and a token issued before the version was raised (a password change, a
reused refresh token) is refused.
Refresh tokens and API keys are random strings of which only the SHA-256 digest is stored.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

import jwt

from lingtan.identity.errors import NotAuthenticated

ALGORITHM = "HS256"
ISSUER = "lingtan"
ACCESS = "access"
#: public marker of lingtan API keys (``lt_<prefix>_<secret>``)
KEY_MARK = "lt_"


@dataclass(frozen=True, slots=True)
class AccessClaims:
    """What a verified access token says."""

    user_id: int
    username: str
    role: str
    expires_at: int  # epoch seconds
    version: int  # the user's token version at issue


def _signing_key(secret: str) -> bytes:
    """The HS256 key: SHA-256 of the configured secret under a purpose label (always 32
    bytes, and distinct from any other use of the same secret)."""
    return hashlib.sha256(b"lingtan access token\x00" + secret.encode()).digest()


def issue_access_token(
    *, secret: str, user_id: int, username: str, role: str, version: int, now_s: int, ttl_s: int
) -> str:
    """A signed access token valid for ``ttl_s`` seconds from ``now_s``, bound to the user's
    token ``version``."""
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "sub": str(user_id),
        "name": username,
        "role": role,
        "typ": ACCESS,
        "ver": version,
        "iat": now_s,
        "exp": now_s + ttl_s,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, _signing_key(secret), algorithm=ALGORITHM)


def verify_access_token(token: str, *, secret: str) -> AccessClaims:
    """Verify signature, issuer, type and expiry; ``NotAuthenticated`` otherwise."""
    try:
        claims = jwt.decode(
            token,
            _signing_key(secret),
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "iss", "ver"]},
        )
    except jwt.ExpiredSignatureError as err:
        raise NotAuthenticated("access token expired") from err
    except jwt.PyJWTError as err:
        raise NotAuthenticated("invalid access token") from err
    if claims.get("typ") != ACCESS:
        raise NotAuthenticated("invalid access token")
    try:
        return AccessClaims(
            int(claims["sub"]),
            str(claims.get("name", "")),
            str(claims["role"]),
            int(claims["exp"]),
            int(claims["ver"]),
        )
    except (KeyError, TypeError, ValueError) as err:
        raise NotAuthenticated("invalid access token") from err


def new_refresh_token() -> str:
    """A fresh opaque refresh token (256 bits)."""
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """SHA-256 hex digest of a high-entropy secret (what the store keeps)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_api_key() -> tuple[str, str]:
    """A new API key and its public prefix: ``lt_<prefix>_<secret>``."""
    prefix = secrets.token_hex(6)
    return f"{KEY_MARK}{prefix}_{secrets.token_urlsafe(30)}", prefix


def api_key_prefix(key: str) -> str | None:
    """The prefix of an API key, or None when ``key`` does not look like one."""
    if not key.startswith(KEY_MARK):
        return None
    prefix, sep, rest = key[len(KEY_MARK) :].partition("_")
    if not sep or not rest or len(prefix) != 12:
        return None
    return prefix
