"""Identity and access: users, passwords, tokens, API keys, roles and the caller's scope.

Service functions here never import FastAPI; the API turns a request's credentials into a
:class:`~lingtan.identity.roles.Principal` through :mod:`lingtan.identity.service` and hands
the principal (and its tenant) to every other service.
"""

from __future__ import annotations

from lingtan.identity.errors import AccountLocked, NotAuthenticated
from lingtan.identity.roles import (
    ENTERPRISE_ROLES,
    PARK_ROLES,
    Permission,
    Principal,
    Role,
    require,
)

__all__ = [
    "ENTERPRISE_ROLES",
    "PARK_ROLES",
    "AccountLocked",
    "NotAuthenticated",
    "Permission",
    "Principal",
    "Role",
    "require",
]
