"""绿证 services over the store: import, retire, settle, list, count (no web framework).

Every function takes the store and keyword-only arguments with an explicit scope:
``enterprise_id`` names the claimant or holder (None = the park itself) and ``enterprise_scope``
is the caller's tenant restriction (None = a park-level caller). Writes run in one serialised
transaction with their audit entries (:class:`lingtan.store.greenpower_repo.LedgerSession`).

Consumption checks use metered data: the grid electricity (carrier
``electricity_grid_import``) of the claimant's boundary points in the months of the period, in
park local time, from the owner × carrier hourly rollups. Two caps apply to every claim (certified
or contracted green electricity):

* the claimant's own: its claims for overlapping periods ≤ its grid electricity;
* the park's: the claims of the park and of all its enterprises for overlapping periods ≤ the
  park's grid electricity (the park's grid electricity is the sum of its owners'), so the park
  and an enterprise cannot both count the same kilowatt-hours even with different certificates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from lingtan import units
from lingtan.accounting.scope import (
    ParkScope,
    months_bounds_us,
    park_scope,
    require_enterprise,
    require_park_level,
)
from lingtan.errors import Conflict, InvalidInput, NotFound
from lingtan.greenpower.certfile import parse_certificate_bytes, parse_certificate_file
from lingtan.greenpower.counting import count_green
from lingtan.greenpower.ledger import (
    KWH_PER_CERTIFICATE,
    Certificate,
    ClaimantLevel,
    GreenElectricity,
    Ledger,
    Month,
    Period,
    Retirement,
    TradeSettlement,
)
from lingtan.registry.model import Carrier
from lingtan.store import Store
from lingtan.store.accounting_repo import AccountingRepo
from lingtan.store.greenpower_repo import GreenpowerRepo, Holding, LedgerSession
from lingtan.timeutil import from_us, to_us, utcnow

CertificateStatus = Literal["available", "retired", "expired"]
GRID = Carrier.ELECTRICITY_GRID_IMPORT.value


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import added."""

    holder: str
    added: tuple[str, ...]
    unchanged: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {
            "holder": self.holder,
            "added": len(self.added),
            "unchanged": len(self.unchanged),
            "added_ids": list(self.added),
            "unchanged_ids": list(self.unchanged),
        }


@dataclass(frozen=True, slots=True)
class CertificateView:
    """A certificate as a user sees it: holder, status, retirement."""

    certificate: Certificate
    holder: str
    holder_enterprise_id: int | None
    status: CertificateStatus
    retirement: Retirement | None
    imported_at: int
    imported_by: str

    def as_dict(self) -> dict[str, Any]:
        """Plain data."""
        c, r = self.certificate, self.retirement
        return {
            "cert_id": c.cert_id,
            "project": c.project,
            "production_month": str(c.production_month),
            "tradable": c.tradable,
            "kwh": c.kwh,
            "valid_until": c.valid_until.isoformat(),
            "holder": self.holder,
            "holder_enterprise_id": self.holder_enterprise_id,
            "status": self.status,
            "retirement": None if r is None else retirement_dict(r),
            "imported_at": self.imported_at,
            "imported_by": self.imported_by,
        }


def retirement_dict(r: Retirement) -> dict[str, Any]:
    """A retirement as plain data."""
    return {
        "cert_id": r.cert_id,
        "claimant": r.claimant,
        "level": r.level,
        "park": r.park,
        "period": str(r.period),
        "period_start": str(r.period.start),
        "period_end": str(r.period.end),
        "retired_on": r.retired_on.isoformat(),
        "settlement_id": r.settlement_id,
    }


def _claimant(scope: ParkScope, enterprise_id: int | None) -> tuple[str, ClaimantLevel]:
    if enterprise_id is None:
        return scope.park.code, "park"
    return scope.enterprise(enterprise_id).code, "enterprise"


def _authorise(scope: ParkScope, enterprise_id: int | None, enterprise_scope: int | None) -> None:
    if enterprise_id is None:
        require_park_level(enterprise_scope, "acting for the park")
    else:
        require_enterprise(scope, enterprise_id, enterprise_scope)


def _held_by(holding: Holding | None, scope: ParkScope, enterprise_id: int | None) -> bool:
    """Whether a certificate holding (None: unknown) belongs to the claimant."""
    return (
        holding is not None
        and holding.park_id == scope.park.id
        and holding.enterprise_id == enterprise_id
    )


def _today(scope: ParkScope) -> dt.date:
    """The actual date in park local time (the clock of :func:`lingtan.timeutil.utcnow`)."""
    return utcnow().astimezone(scope.tz).date()


def _imported_on(
    session: LedgerSession, scope: ParkScope, cert_ids: Sequence[str]
) -> dict[str, dt.date]:
    """The park-local date each certificate was imported."""
    return {
        cid: from_us(at).astimezone(scope.tz).date()
        for cid, at in session.imported_at(cert_ids).items()
    }


def _session(
    store: Store, scope: ParkScope, actor: str, holder: int | None = None
) -> AbstractContextManager[LedgerSession]:
    return GreenpowerRepo(store).session(
        park_id=scope.park.id,
        park=scope.park.code,
        enterprise_ids=scope.enterprise_ids(),
        actor=actor,
        now=to_us(utcnow()),
        holder=holder,
    )


# -- import ----------------------------------------------------------------------------------
def import_certificates(
    store: Store,
    *,
    certificates: Sequence[Certificate],
    enterprise_id: int | None = None,
    enterprise_scope: int | None = None,
    park_id: int | None = None,
    actor: str = "system",
) -> ImportReport:
    """Record certificates held by the park (``enterprise_id`` None) or by an enterprise.

    Importing the same certificate again for the same holder changes nothing; the same id with
    other data, or held by someone else, is a ``Conflict`` and nothing of the batch is stored.
    """
    scope = park_scope(store, park_id)
    _authorise(scope, enterprise_id, enterprise_scope)
    holder, _level = _claimant(scope, enterprise_id)
    added: list[str] = []
    unchanged: list[str] = []
    with _session(store, scope, actor, holder=enterprise_id) as session:
        ledger = Ledger(session)
        for cert in certificates:
            existing = session.holding(cert.cert_id)
            if existing is not None and (
                existing.park_id != scope.park.id or existing.enterprise_id != enterprise_id
            ):
                raise Conflict(
                    f"certificate {cert.cert_id} is already recorded for another holder; it cannot "
                    f"be imported for {holder}"
                )
            before = session.get_certificate(cert.cert_id)
            ledger.add_certificate(cert)
            (unchanged if before is not None else added).append(cert.cert_id)
    return ImportReport(holder, tuple(added), tuple(unchanged))


def import_certificate_file(
    store: Store,
    *,
    path: str | Path | None = None,
    content: bytes | None = None,
    filename: str | None = None,
    enterprise_id: int | None = None,
    enterprise_scope: int | None = None,
    park_id: int | None = None,
    actor: str = "system",
) -> ImportReport:
    """Import a certificate file (docs/certificates.md): a ``path``, or uploaded ``content`` with
    its ``filename`` (the suffix names the format: .csv, .xlsx, .json)."""
    if path is not None:
        certificates = parse_certificate_file(path)
    elif content is not None and filename is not None:
        certificates = parse_certificate_bytes(content, filename=filename)
    else:
        raise InvalidInput("give a path, or content with its filename", field="path")
    return import_certificates(
        store,
        certificates=certificates,
        enterprise_id=enterprise_id,
        enterprise_scope=enterprise_scope,
        park_id=park_id,
        actor=actor,
    )


# -- consumption and claims -------------------------------------------------------------------
def _grid_kwh(
    store: Store, session: LedgerSession | None, scope: ParkScope, owner: int | None, period: Period
) -> float:
    """Metered grid electricity of an owner (enterprise id; None = the whole park) [kWh]."""
    h0, h1 = months_bounds_us(scope.tz, period)
    repo = AccountingRepo(store)

    def read(conn: Any) -> float:
        totals = repo.carrier_totals(
            conn, park_id=scope.park.id, h0=h0, h1=h1, enterprise_key=owner
        )
        return float(
            sum(units.convert(t.value, t.unit, "kWh") for t in totals if t.carrier == GRID)
        )

    if session is not None:
        return read(session.conn)
    with store.begin() as conn:
        return read(conn)


def metered_grid_kwh(
    store: Store,
    *,
    period: Period,
    enterprise_id: int | None = None,
    enterprise_scope: int | None = None,
    park_id: int | None = None,
) -> float:
    """Grid electricity the claimant received in ``period`` by metering [kWh] (the park: all
    its owners)."""
    scope = park_scope(store, park_id)
    _authorise(scope, enterprise_id, enterprise_scope)
    return _grid_kwh(store, None, scope, enterprise_id, period)


def _claims(session: LedgerSession, period: Period) -> dict[tuple[str, str], float]:
    """Green electricity claimed in the park for periods overlapping ``period``, per (level,
    claimant): retired certificates plus trades without certificates [kWh]."""
    claims = session.retired_kwh_by_claimant(period, kwh_per_certificate=KWH_PER_CERTIFICATE)
    for key, kwh in session.uncertified_by_buyer(period).items():
        claims[key] = claims.get(key, 0.0) + kwh
    return claims


def _room(
    store: Store,
    session: LedgerSession,
    scope: ParkScope,
    enterprise_id: int | None,
    period: Period,
    requested: float,
) -> tuple[float, float]:
    """Check the park-wide cap for ``requested`` kWh; return the consumption to hand to the
    ledger for the claimant's own cap (its grid electricity less its claims without
    certificates, and for the park less its enterprises' claims) and what of its grid
    electricity no claim covers yet [kWh]."""
    claimant, level = _claimant(scope, enterprise_id)
    claims = _claims(session, period)
    park_grid = _grid_kwh(store, session, scope, None, period)
    claimed = sum(claims.values())
    if claimed + requested > park_grid:
        raise InvalidInput(
            f"park {scope.park.code} received {park_grid:.6g} kWh of grid electricity in {period}; "
            f"green electricity already claimed there by the park and its enterprises covers "
            f"{claimed:.6g} kWh and this request adds {requested:.6g} kWh — the park and an "
            "enterprise cannot both count the same electricity",
            field="consumption_kwh",
        )
    if enterprise_id is None:
        # the park claims for what its enterprises have not claimed
        others = sum(v for (lvl, _c), v in claims.items() if lvl == "enterprise")
        own_grid = park_grid - others
    else:
        own_grid = _grid_kwh(store, session, scope, enterprise_id, period)
    uncertified = session.uncertified_kwh(claimant, level, period)
    free = own_grid - claims.get((level, claimant), 0.0)
    return max(own_grid - uncertified, 0.0), max(free, 0.0)


def retire_certificates(
    store: Store,
    *,
    cert_ids: Sequence[str],
    period: Period,
    enterprise_id: int | None = None,
    enterprise_scope: int | None = None,
    retired_on: dt.date | None = None,
    park_id: int | None = None,
    actor: str = "system",
) -> list[Retirement]:
    """Retire certificates for the claimant's consumption in ``period``; all or none.

    The claimant is an enterprise (``enterprise_id``) or the park (None). ``retired_on`` is the
    date the claimant states (default today); expiry is judged on the actual date, today in park
    local time, and both dates are audited. Refusals, each with a clear error: an unknown
    certificate (``NotFound``; for an enterprise caller also one held by someone else, so it
    cannot probe other holders' certificates); one already retired, by anyone — the park and
    an enterprise cannot both claim it — or expired by today, or held by someone else
    (``Conflict``);
    ``retired_on`` in the future or before a certificate's import date; more electricity than the
    claimant's metered grid electricity in the period, or than the park's left unclaimed
    (``InvalidInput``).
    """
    scope = park_scope(store, park_id)
    _authorise(scope, enterprise_id, enterprise_scope)
    claimant, level = _claimant(scope, enterprise_id)
    ids = list(cert_ids)
    today = _today(scope)
    with _session(store, scope, actor) as session:
        ledger = Ledger(session)
        holdings = {cert_id: session.holding(cert_id) for cert_id in ids}
        if enterprise_scope is not None:
            # an enterprise user may not learn that another holder's certificate exists, who
            # holds it or that it was retired: it is answered like an unknown one, by position
            # (like an ingest outside the caller's points), never by id or holder
            foreign = [
                i
                for i, cert_id in enumerate(ids)
                if not _held_by(holdings[cert_id], scope, enterprise_id)
            ]
            if foreign:
                shown = ", ".join(str(i) for i in foreign[:10])
                more = "" if len(foreign) <= 10 else ", …"
                raise NotFound(
                    f"{len(foreign)} of the certificates are not in your ledger (positions "
                    f"{shown}{more}); nothing was retired"
                )
        for cert_id in ids:
            holding = holdings[cert_id]
            held = _held_by(holding, scope, enterprise_id)
            if holding is None or session.get_retirement(cert_id) is not None:
                continue  # the ledger names the refusal (unknown, or already retired)
            if not held:
                raise Conflict(
                    f"certificate {cert_id} is not held by {claimant}; only its holder can "
                    "retire it"
                )
        consumption, _free = _room(
            store, session, scope, enterprise_id, period, float(KWH_PER_CERTIFICATE * len(set(ids)))
        )
        return ledger.retire(
            ids,
            claimant=claimant,
            level=level,
            park=scope.park.code,
            period=period,
            today=today,
            retired_on=retired_on,
            imported_on=_imported_on(session, scope, ids),
            consumption_kwh=consumption,
        )


def record_settlement(
    store: Store,
    *,
    settlement_id: str,
    month: Month,
    kwh: float,
    seller_project: str,
    cert_ids: Sequence[str] = (),
    enterprise_id: int | None = None,
    enterprise_scope: int | None = None,
    settled_on: dt.date | None = None,
    park_id: int | None = None,
    actor: str = "system",
    price: float | None = None,
) -> TradeSettlement:
    """Record a green-power trade settlement (绿电交易结算) of the buyer for one month, with
    its settled price [元/kWh] when the settlement gives one.

    Its certificates (imported first, held by the buyer) are retired for the buyer and the
    month; a settlement without certificates counts as contracted green electricity. Either way
    the same caps as for retirements apply.
    """
    scope = park_scope(store, park_id)
    _authorise(scope, enterprise_id, enterprise_scope)
    buyer, level = _claimant(scope, enterprise_id)
    settlement = TradeSettlement(
        settlement_id=settlement_id,
        buyer=buyer,
        level=level,
        park=scope.park.code,
        month=month,
        kwh=kwh,
        seller_project=seller_project,
        cert_ids=tuple(cert_ids),
        price=price,
    )
    today = _today(scope)
    period = Period(month, month)
    with _session(store, scope, actor) as session:
        if session.get_settlement(settlement_id) is not None:
            raise Conflict(f"settlement {settlement_id} is already recorded")
        for cert_id in settlement.cert_ids:
            holding = session.holding(cert_id)
            if (
                holding is not None
                and session.get_retirement(cert_id) is None
                and (holding.park_id != scope.park.id or holding.enterprise_id != enterprise_id)
            ):
                raise Conflict(f"certificate {cert_id} is not held by {buyer}")
        requested = (
            float(KWH_PER_CERTIFICATE * len(settlement.cert_ids)) if settlement.cert_ids else kwh
        )
        consumption, free = _room(store, session, scope, enterprise_id, period, requested)
        if not settlement.cert_ids and kwh > free:
            raise InvalidInput(
                f"{buyer} received {free:.6g} kWh of grid electricity in {month} not yet "
                f"covered by green electricity; the settlement claims {kwh:.6g} kWh",
                field="kwh",
            )
        return Ledger(session).settle_trade(
            settlement,
            consumption_kwh=consumption,
            today=today,
            settled_on=settled_on,
            imported_on=_imported_on(session, scope, settlement.cert_ids),
        )


# -- reading ---------------------------------------------------------------------------------
def list_certificates(
    store: Store,
    *,
    enterprise_scope: int | None = None,
    status: CertificateStatus | None = None,
    as_of: dt.date | None = None,
    park_id: int | None = None,
) -> list[CertificateView]:
    """Certificates the scope may see (an enterprise: those it holds or that were retired for
    it), optionally of one status as of a date (default today, park local time)."""
    scope = park_scope(store, park_id)
    claimant = None
    if enterprise_scope is not None:
        claimant = require_enterprise(scope, enterprise_scope, enterprise_scope).code
    day = as_of or _today(scope)
    rows = GreenpowerRepo(store).certificates(
        park_id=scope.park.id,
        park=scope.park.code,
        enterprise_scope=enterprise_scope,
        claimant=claimant,
    )
    out: list[CertificateView] = []
    for row in rows:
        if row.retirement is not None:
            state: CertificateStatus = "retired"
        elif row.certificate.valid_until < day:
            state = "expired"
        else:
            state = "available"
        if status is not None and state != status:
            continue
        holder = (
            scope.park.code if row.enterprise_id is None else scope.owner_code(row.enterprise_id)
        )
        out.append(
            CertificateView(
                certificate=row.certificate,
                holder=holder,
                holder_enterprise_id=row.enterprise_id,
                status=state,
                retirement=row.retirement,
                imported_at=row.imported_at,
                imported_by=row.imported_by,
            )
        )
    return out


def list_retirements(
    store: Store, *, enterprise_scope: int | None = None, park_id: int | None = None
) -> list[Retirement]:
    """Retirements in the park the scope may see (an enterprise: its own)."""
    scope = park_scope(store, park_id)
    claimants = None
    if enterprise_scope is not None:
        code = require_enterprise(scope, enterprise_scope, enterprise_scope).code
        claimants = [("enterprise", code)]
    return GreenpowerRepo(store).retirements(park=scope.park.code, claimants=claimants)


def list_settlements(
    store: Store,
    *,
    year: int | None = None,
    enterprise_scope: int | None = None,
    park_id: int | None = None,
) -> list[TradeSettlement]:
    """Green-power trade settlements (绿电交易结算) in the park the scope may see (an enterprise:
    its own as buyer), of ``year`` when given; by month, then settlement number."""
    scope = park_scope(store, park_id)
    buyers = None
    if enterprise_scope is not None:
        code = require_enterprise(scope, enterprise_scope, enterprise_scope).code
        buyers = [("enterprise", code)]
    found = GreenpowerRepo(store).settlements(park=scope.park.code, buyers=buyers)
    return [t for t in found if year is None or t.month.year == year]


def green_electricity(
    store: Store,
    *,
    period: Period,
    enterprise_id: int | None = None,
    enterprise_scope: int | None = None,
    include_enterprises: bool = False,
    park_id: int | None = None,
) -> GreenElectricity:
    """Green electricity a claimant may count for ``period``: each retirement pro rata by the
    months of its consumption period inside ``period``, trades without certificates in its
    months (:func:`lingtan.greenpower.counting.count_green`).

    For the park (``enterprise_id`` None) ``include_enterprises`` adds the claims of its
    enterprises — what the park basis counts, since the park's electricity is the sum of its
    owners'; each certificate is retired once, so nothing is counted twice.
    """
    scope = park_scope(store, park_id)
    _authorise(scope, enterprise_id, enterprise_scope)
    claimant, level = _claimant(scope, enterprise_id)
    wanted: list[tuple[str, str]] = [(level, claimant)]
    if enterprise_id is None and include_enterprises:
        wanted += [("enterprise", e.code) for e in scope.enterprises.values()]
    repo = GreenpowerRepo(store)
    return count_green(
        repo.retirements(park=scope.park.code, claimants=wanted),
        repo.settlements(park=scope.park.code, buyers=wanted),
        period,
    )


__all__ = [
    "CertificateView",
    "ImportReport",
    "green_electricity",
    "import_certificate_file",
    "import_certificates",
    "list_certificates",
    "list_retirements",
    "metered_grid_kwh",
    "record_settlement",
    "retire_certificates",
    "retirement_dict",
]
