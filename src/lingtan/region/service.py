"""The region side of region mode (区域平台): registered parks, the ingress of their signed
uploads, and the region's views (ranking by the 1+5 indicators, progress against each park's
targets, completeness per park, late uploads).

Scope: a region admin (park_admin on the region instance) and a region viewer (park_viewer,
auditor) see every registered park; a user bound to a registered park (``region_member``) sees
that park only; an enterprise-bound user of the region instance sees none. The scope is handed
to :class:`lingtan.store.region_repo.RegionRepo`, which filters every read by it.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy.exc import IntegrityError

from lingtan.config import Settings
from lingtan.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from lingtan.exchange import transport
from lingtan.identity.errors import NotAuthenticated
from lingtan.identity.roles import Permission, Principal, require
from lingtan.indicators.catalog import BY_ID, IDS
from lingtan.indicators.targets import load_target_set
from lingtan.region import document as d
from lingtan.store import Store
from lingtan.store.identity_repo import IdentityRepo
from lingtan.store.region_repo import LOCK_REGION, RegionPark, RegionRepo, RegionUpload
from lingtan.timeutil import SECOND_US, to_us, utcnow

log = logging.getLogger(__name__)

Scope = frozenset[int] | None
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
#: the header that names the sender (the transport's ``X-ECM-Unit``: the park's code)
SENDER = "x-ecm-unit"


def _now() -> int:
    return to_us(utcnow())


def require_region(settings: Settings) -> None:
    """Refuse region endpoints on a park instance (answered as absent)."""
    if settings.mode != "region":
        raise NotFound("this instance is not in region mode (LINGTAN_MODE=region)")


def scope_of(store: Store, principal: Principal) -> Scope:
    """The registered parks the caller may see: None for all (region admin or viewer), one
    park for a user bound to it, none for an enterprise-bound user."""
    require(principal, Permission.READ)
    if principal.user_id is not None:
        bound = RegionRepo(store).member_park(principal.user_id)
        if bound is not None:
            return frozenset({bound})
    if principal.enterprise_id is not None:
        return frozenset()
    return None


def _require_admin(store: Store, principal: Principal) -> None:
    require(principal, Permission.ADMIN_PARK)
    if scope_of(store, principal) is not None:
        raise PermissionDenied("registering parks is for region administrators")


# -- registration -----------------------------------------------------------------------------


def register_park(
    store: Store,
    *,
    principal: Principal,
    code: str,
    name: str,
    secret: str | None = None,
    public_key: str | None = None,
    targets: Mapping[str, float] | None = None,
) -> RegionPark:
    """Register a park with its signing key: an HMAC ``secret`` (as its channel holds it:
    plain for HMAC-SHA256, ``hmac-sm3:<key>``) or an SM2 ``public_key`` (x‖y, 128 hex
    digits), and its ``targets`` (indicator id → value)."""
    _require_admin(store, principal)
    if not isinstance(code, str) or not _CODE.match(code):
        raise InvalidInput("code must be 1-64 letters, digits or _ . -", field="code")
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise InvalidInput("name must be 1-200 characters", field="name")
    if (secret is None) == (public_key is None):
        raise InvalidInput("give exactly one of secret and public_key", field="secret")
    if secret is not None:
        if len(secret) < 16:
            raise InvalidInput("secret must have at least 16 characters", field="secret")
        transport.check_secret(secret)
        if secret.startswith("sm2:"):
            raise InvalidInput(
                "an SM2 park registers its public key, never its private key", field="secret"
            )
    if public_key is not None:
        if not re.fullmatch(r"[0-9a-fA-F]{128}", public_key):
            raise InvalidInput("public_key must be 128 hex digits (x‖y)", field="public_key")
        public_key = public_key.lower()
    checked: dict[str, float] = {}
    for k, v in (targets or {}).items():
        if k not in BY_ID:
            raise InvalidInput(f"targets: unknown indicator {k!r}", field=f"targets.{k}")
        if not isinstance(v, int | float) or isinstance(v, bool) or v != v:
            raise InvalidInput(f"targets.{k} must be a number", field=f"targets.{k}")
        checked[k] = float(v)
    now = _now()
    with store.begin() as conn:
        park = RegionRepo(store).add_park(
            conn,
            code=code,
            name=name.strip(),
            secret=secret,
            public_key=public_key,
            targets=checked,
            actor=principal.actor,
            now=now,
        )
        # the key itself is never written to the audit log
        store.audit.append(
            conn, at=now, actor=principal.actor, action="create", entity="region_park",
            entity_id=code, after={"code": code, "name": park.name, "targets": checked,
                                   "scheme": "sm2-sm3" if public_key else "hmac"},
        )  # fmt: skip
    return park


def bind_member(store: Store, *, principal: Principal, username: str, park_code: str) -> None:
    """Bind a user of the region instance to one registered park (it then sees only that)."""
    _require_admin(store, principal)
    park = RegionRepo(store).park_by_code(park_code)
    with store.begin() as conn:
        user = IdentityRepo(store).user_by_username(conn, username)
    if user is None:
        raise NotFound(f"user {username!r} not found")
    now = _now()
    with store.begin() as conn:
        RegionRepo(store).set_member(conn, user_id=user.id, park_id=park.id, now=now)
        store.audit.append(
            conn, at=now, actor=principal.actor, action="bind", entity="region_member",
            entity_id=username, after={"user": username, "park": park.code},
        )  # fmt: skip


# -- ingress ----------------------------------------------------------------------------------


def _verified(store: Store, body: bytes, headers: Mapping[str, str], now: int) -> RegionPark:
    """The registered park whose signature ``headers`` carry; 401 unsigned, 403 unknown park
    or a signature that does not verify (or is stale)."""
    if not all(
        headers.get(h) for h in (SENDER, "x-ecm-signature", "x-ecm-timestamp", "x-ecm-nonce")
    ):
        raise NotAuthenticated("a signed upload is required (X-ECM-* headers)")
    try:
        park = RegionRepo(store).park_by_code(headers[SENDER])
    except NotFound:
        raise PermissionDenied("unknown park") from None
    ok = transport.verify(
        (park.secret or "").encode("utf-8"),
        body,
        headers,
        now_s=now / SECOND_US,
        sm2_public=park.public_key,
    )
    if not ok or (park.public_key is None and headers["x-ecm-signature"].startswith("sm2")):
        raise PermissionDenied("the signature does not verify")
    return park


def _receipt(upload: RegionUpload, *, duplicate: bool) -> dict[str, Any]:
    return {**upload.receipt, "duplicate": duplicate}


def receive(
    store: Store,
    settings: Settings,
    *,
    body: bytes,
    headers: Mapping[str, str],
    now: int | None = None,
) -> dict[str, Any]:
    """Take one signed upload (``headers`` with lower-case names). Stored once per
    idempotency key: a key already received is answered with the original receipt
    (``duplicate: true``). A newer revision of a period supersedes the current one (kept);
    an older one arriving late is kept as already superseded."""
    at = _now() if now is None else now
    park = _verified(store, body, headers, at)
    try:
        doc = d.parse(body)
    except InvalidInput as err:
        # the park keeps the reason on its outbox row (last_error) and retries; logged here
        log.warning("upload of park %s refused: %s", park.code, err)
        raise
    if doc.park_code != park.code:
        raise PermissionDenied("the document is another park's")
    repo = RegionRepo(store)
    with store.begin() as conn:
        store.serialise(conn, LOCK_REGION)
        seen = repo.upload_by_key(conn, doc.idempotency_key)
        if seen is None:
            seen = repo.upload_by_revision(
                conn,
                park_id=park.id,
                kind=doc.kind,
                year=doc.year,
                month=doc.month,
                revision=doc.revision,
            )
        if seen is not None and seen.content_sha256 != doc.content_sha256:
            raise Conflict(
                f"revision {doc.revision} of {doc.year}-{doc.month:02d} was received with "
                "other content; a correction is a new revision"
            )
        if seen is not None:
            return _receipt(seen, duplicate=True)
        check = d.completeness(doc)
        deadline = d.deadline_us(doc.year, doc.month, doc.timezone, settings.region_deadline_days)
        current = repo.current_of(
            conn, park_id=park.id, kind=doc.kind, year=doc.year, month=doc.month
        )
        h0, _ = doc.span
        hourly = [
            {
                "carrier": key[0],
                "enterprise": key[1],
                "building": key[2],
                "unit": key[3],
                "hour": h0 + i,
                "value": None if v is None else float(v),
            }
            for series in doc.content.get("hourly") or []
            for key in [d.series_key(series)]
            for i, v in enumerate(series["values"])
            # an hour without a value is not stored: the document (kept) and the completeness
            # check say which hours are missing, and a reader takes an absent hour as missing
            if v is not None
        ]
        monthly = [
            {
                "carrier": key[0],
                "enterprise": key[1],
                "building": key[2],
                "unit": key[3],
                "value": None if row.get("value") is None else float(row["value"]),
                "completeness": float(row.get("completeness") or 0.0),
            }
            for row in doc.content.get("monthly") or []
            for key in [d.series_key(row)]
        ]
        older = current is not None and current.revision > doc.revision
        row = {
            "park_id": park.id,
            "idempotency_key": doc.idempotency_key,
            "kind": doc.kind,
            "year": doc.year,
            "month": doc.month,
            "revision": doc.revision,
            "content_sha256": doc.content_sha256,
            "received_at": at,
            "deadline_at": deadline,
            "late": at > deadline,
            "complete": bool(check["complete"]),
            "completeness": json.dumps(check, sort_keys=True),
            "summary": json.dumps(d.summary(doc), sort_keys=True, ensure_ascii=False),
            "document": body.decode("utf-8"),
            "receipt": "{}",
            "superseded_by": current.id if older and current is not None else None,
            "superseded_at": at if older else None,
        }
        try:
            upload_id = repo.insert_upload(conn, row, hourly, monthly)
        except IntegrityError as err:  # a concurrent delivery of the same key (PostgreSQL)
            raise Conflict("the upload is being stored by another request; retry") from err
        if current is not None and not older:
            repo.supersede(conn, current.id, by=upload_id, now=at)
        receipt = {
            "code": 0,
            "receipt": f"RG-{upload_id}",
            "upload_id": upload_id,
            "idempotency_key": doc.idempotency_key,
            "revision": doc.revision,
            "content_sha256": doc.content_sha256,
            "complete": bool(check["complete"]),
            "late": at > deadline,
            "restated": current is not None and not older,
        }
        repo.set_receipt(conn, upload_id, receipt)
    return {**receipt, "duplicate": False}


# -- views ------------------------------------------------------------------------------------


@functools.cache
def directions() -> dict[str, str]:
    """Indicator id → ``le`` (lower is better) or ``ge``, from the national target set
    (发改环资〔2025〕910号: 单位能耗碳排放 at most, the guiding rates at least)."""
    out: dict[str, str] = {}
    for t in load_target_set("national").targets:
        out.setdefault(t.indicator, t.comparator)
    return out


def parks(store: Store, *, principal: Principal) -> list[dict[str, Any]]:
    """Registered parks in scope with their targets (never their keys)."""
    scope = scope_of(store, principal)
    return [
        {
            "code": p.code,
            "name": p.name,
            "scheme": "sm2-sm3"
            if p.public_key
            else transport.signer_of((p.secret or "").encode())[0],
            "targets": p.targets,
            "created_at": p.created_at,
        }
        for p in RegionRepo(store).parks(parks=scope)
    ]


def uploads(
    store: Store, *, principal: Principal, late: bool | None = None, limit: int = 200
) -> list[dict[str, Any]]:
    """Uploads in scope (every revision), newest period first."""
    scope = scope_of(store, principal)
    return [_upload_dict(u) for u in RegionRepo(store).uploads(parks=scope, late=late, limit=limit)]


def _upload_dict(u: RegionUpload) -> dict[str, Any]:
    return {
        "id": u.id,
        "park": u.park_code,
        "period": f"{u.year:04d}-{u.month:02d}",
        "kind": u.kind,
        "revision": u.revision,
        "idempotency_key": u.idempotency_key,
        "content_sha256": u.content_sha256,
        "received_at": u.received_at,
        "deadline_at": u.deadline_at,
        "late": u.late,
        "complete": u.complete,
        "missing_hours": u.completeness.get("missing_hours", {}),
        "findings": u.completeness.get("findings", []),
        "current": u.current,
        "superseded_by": u.superseded_by,
    }


def dashboard(store: Store, *, principal: Principal) -> dict[str, Any]:
    """The region's overview: per park its latest period's indicators and progress against
    its targets, the ranking of parks by each of the 1+5 indicators, completeness per park
    and the late uploads."""
    scope = scope_of(store, principal)
    repo = RegionRepo(store)
    registered = repo.parks(parks=scope)
    current = repo.uploads(parks=scope, current=True)
    by_park: dict[int, list[RegionUpload]] = {}
    for u in current:
        by_park.setdefault(u.park_id, []).append(u)
    rows: list[dict[str, Any]] = []
    for p in registered:
        ups = by_park.get(p.id, [])
        latest = max(ups, key=lambda u: (u.year, u.month), default=None)
        indicators: dict[str, Any] = {}
        if latest is not None:
            for i in IDS:
                value = (latest.summary.get("indicators") or {}).get(i, {}).get("value")
                target = p.targets.get(i)
                met = None
                if value is not None and target is not None:
                    met = value <= target if directions().get(i) == "le" else value >= target
                indicators[i] = {
                    "value": value,
                    "target": target,
                    "met": met,
                    "gap": None if value is None or target is None else value - target,
                }
        periods = [(u.year, u.month) for u in ups]
        rows.append(
            {
                "code": p.code,
                "name": p.name,
                "latest": None if latest is None else f"{latest.year:04d}-{latest.month:02d}",
                "indicators": indicators,
                "periods": len(ups),
                "complete_periods": sum(1 for u in ups if u.complete),
                "missing_months": d.missing_months(periods, max(periods)) if periods else [],
                "missing_hours": sum(
                    sum((u.completeness.get("missing_hours") or {}).values()) for u in ups
                ),
                "late": sum(1 for u in ups if u.late),
            }
        )
    ranking: dict[str, list[dict[str, Any]]] = {}
    for i in IDS:
        valued = [r for r in rows if (r["indicators"].get(i) or {}).get("value") is not None]
        valued.sort(
            key=lambda r: r["indicators"][i]["value"] * (1 if directions().get(i) == "le" else -1)
        )
        ranking[i] = [
            {"rank": n + 1, "code": r["code"], "name": r["name"],
             "value": r["indicators"][i]["value"], "period": r["latest"]}
            for n, r in enumerate(valued)
        ]  # fmt: skip
    late = [_upload_dict(u) for u in repo.uploads(parks=scope, late=True, limit=100)]
    return {
        "indicators": [
            {
                "id": i,
                "name_zh": BY_ID[i].name_zh,
                "name_en": BY_ID[i].name_en,
                "kind": BY_ID[i].kind,
                "unit": BY_ID[i].unit,
                "direction": directions().get(i),
            }
            for i in IDS
        ],
        "parks": rows,
        "ranking": ranking,
        "late": late,
    }


def hourly(
    store: Store, *, principal: Principal, park_code: str, h0: int, h1: int
) -> list[tuple[str, str, str, str, int, float | None]]:
    """A park's hourly aggregates in [h0, h1) in the caller's scope (RegionRepo.hourly)."""
    scope = scope_of(store, principal)
    park = RegionRepo(store).park_by_code(park_code, parks=scope)
    return RegionRepo(store).hourly(park_id=park.id, h0=h0, h1=h1, parks=scope)
