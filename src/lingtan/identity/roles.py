"""Roles, permissions and the caller (:class:`Principal`).

| role | sees | may change |
|---|---|---|
| park_admin | the whole park | everything: registry, users, keys, readings, records, certificates, jobs |
| park_viewer | the whole park | nothing |
| enterprise_admin | its enterprise | its readings, records, certificate retirements, users and keys |
| enterprise_viewer | its enterprise | nothing |
| auditor | the whole park and the audit log | nothing |
| integrator | nothing | readings (of its enterprise when bound to one; of given points for keys) |

Requesting a report (a document built from data the caller may read) is not a change of park
data: every reading role may do it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from lingtan.errors import PermissionDenied
from lingtan.store.query_repo import Tenant


class Role(StrEnum):
    """The roles of lingtan users and keys."""

    PARK_ADMIN = "park_admin"
    PARK_VIEWER = "park_viewer"
    ENTERPRISE_ADMIN = "enterprise_admin"
    ENTERPRISE_VIEWER = "enterprise_viewer"
    AUDITOR = "auditor"
    INTEGRATOR = "integrator"


#: roles bound to exactly one enterprise
ENTERPRISE_ROLES: Final = frozenset({Role.ENTERPRISE_ADMIN, Role.ENTERPRISE_VIEWER})
#: roles that see the whole park and are bound to none
PARK_ROLES: Final = frozenset({Role.PARK_ADMIN, Role.PARK_VIEWER, Role.AUDITOR})


class Permission(StrEnum):
    """What a role may do (scoped by the principal's tenant)."""

    READ = "read"  # registry, readings, statistics, accounting, certificates, records …
    REPORTS = "reports"  # request report documents of readable data
    INGEST = "ingest"  # send readings
    WRITE = "write"  # statistics records, certificate retirements, recomputation
    ADMIN_PARK = "admin_park"  # park file, certificate import
    MANAGE_USERS = "manage_users"  # users and API keys
    READ_AUDIT = "read_audit"


ROLE_PERMISSIONS: Final[dict[Role, frozenset[Permission]]] = {
    Role.PARK_ADMIN: frozenset(Permission),
    Role.PARK_VIEWER: frozenset({Permission.READ, Permission.REPORTS}),
    Role.ENTERPRISE_ADMIN: frozenset(
        {
            Permission.READ,
            Permission.REPORTS,
            Permission.INGEST,
            Permission.WRITE,
            Permission.MANAGE_USERS,
        }
    ),
    Role.ENTERPRISE_VIEWER: frozenset({Permission.READ, Permission.REPORTS}),
    Role.AUDITOR: frozenset({Permission.READ, Permission.REPORTS, Permission.READ_AUDIT}),
    Role.INTEGRATOR: frozenset({Permission.INGEST}),
}


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller of a service function."""

    #: username, or ``key:<prefix>`` for an API key
    subject: str
    role: Role
    #: the enterprise the caller is bound to (None: park-wide)
    enterprise_id: int | None
    user_id: int | None = None
    key_id: int | None = None
    #: point codes an ingest key may write (None: every point in its tenant)
    points: frozenset[str] | None = None
    lang: str = "zh-CN"
    #: the park the caller acts in (None: the store's only park)
    park_id: int | None = None

    @property
    def tenant(self) -> Tenant:
        """The part of the park this caller may see or write."""
        return Tenant(self.enterprise_id)

    @property
    def actor(self) -> str:
        """How the caller is named in the audit log."""
        if self.user_id is None:
            return self.subject  # an API key (``key:<prefix>``) or the command line
        return f"user:{self.subject}"

    def can(self, permission: Permission) -> bool:
        """Whether the caller's role grants ``permission``."""
        return permission in ROLE_PERMISSIONS[self.role]


#: the command line acts as the park administrator (it runs on the server, with its database)
SYSTEM = Principal(subject="cli", role=Role.PARK_ADMIN, enterprise_id=None)


def require(principal: Principal, permission: Permission) -> None:
    """Raise :class:`PermissionDenied` unless the caller's role grants ``permission``."""
    if not principal.can(permission):
        raise PermissionDenied(f"role {principal.role.value} may not {permission.value}")


def require_park_wide(principal: Principal, what: str) -> None:
    """Raise :class:`PermissionDenied` for callers bound to an enterprise."""
    if principal.enterprise_id is not None:
        raise PermissionDenied(f"{what} is available to park-wide roles only")
