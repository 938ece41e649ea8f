"""The 绿证 ledger on tables: certificates, holdings, retirements and green-power trades.

:class:`GreenpowerRepo` opens a :class:`LedgerSession` — one write transaction that implements
:class:`lingtan.greenpower.ledger.LedgerRepository` — so the ledger's checks and its writes run
in the same transaction, each write with its audit entry. Writers are serialised (an advisory
lock on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite) so that the consumption cap is checked against
what is committed; independently of that, the primary key of ``gec_retirement`` (``cert_id``)
makes a second retirement of a certificate impossible: a duplicate fails on the key, the whole
transaction is rolled back and the failure is reported as :class:`~lingtan.errors.Conflict`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import IntegrityError

from lingtan.errors import Conflict
from lingtan.greenpower.ledger import (
    Certificate,
    ClaimantLevel,
    Month,
    Period,
    Retirement,
    TradeSettlement,
)
from lingtan.store import schema as s

if TYPE_CHECKING:
    from lingtan.store.core import Store

#: advisory-lock key of ledger writes (PostgreSQL); unique among lingtan's keys (store/core.py)
LOCK_LEDGER = 0x6C696E67_0010


@dataclass(frozen=True, slots=True)
class Holding:
    """Who holds a certificate: the park (``enterprise_id`` None) or an enterprise."""

    cert_id: str
    park_id: int
    enterprise_id: int | None


@dataclass(frozen=True, slots=True)
class CertificateRow:
    """A stored certificate with its holder and retirement."""

    certificate: Certificate
    park_id: int | None
    enterprise_id: int | None
    imported_at: int
    imported_by: str
    retirement: Retirement | None


def _certificate(row: Any) -> Certificate:
    return Certificate(
        row.cert_id, row.project, Month.parse(row.production_month), bool(row.tradable)
    )


def _retirement(row: Any) -> Retirement:
    return Retirement(
        cert_id=row.cert_id,
        claimant=row.claimant,
        level=row.level,
        period=Period(Month.parse(row.period_start), Month.parse(row.period_end)),
        retired_on=dt.date.fromisoformat(row.retired_on),
        park=row.park,
        settlement_id=row.settlement_id,
    )


def _settlement(row: Any) -> TradeSettlement:
    return TradeSettlement(
        settlement_id=row.settlement_id,
        buyer=row.buyer,
        level=row.level,
        park=row.park,
        month=Month.parse(row.month),
        kwh=float(row.kwh),
        seller_project=row.seller_project,
        cert_ids=tuple(json.loads(row.cert_ids)),
        price=row.price,
    )


def _retirement_audit(r: Retirement) -> dict[str, Any]:
    return {
        "cert_id": r.cert_id,
        "claimant": r.claimant,
        "level": r.level,
        "park": r.park,
        "period": str(r.period),
        # the date the claimant states and the actual date it was recorded on (park time)
        "retired_on": r.retired_on.isoformat(),
        "recorded_on": None if r.recorded_on is None else r.recorded_on.isoformat(),
        "settlement_id": r.settlement_id,
    }


class LedgerSession:
    """A :class:`~lingtan.greenpower.ledger.LedgerRepository` on one write transaction.

    ``park`` is the park code the session serves: claimants are enterprise codes of that park
    (or the park code itself), and ``enterprise_ids`` maps those codes to tenant keys for the
    audit log. ``holder`` is the holder recorded for certificates added in the session.
    """

    def __init__(
        self,
        store: Store,
        conn: Connection,
        *,
        park_id: int,
        park: str,
        enterprise_ids: Mapping[str, int],
        actor: str,
        now: int,
        holder: int | None = None,
    ) -> None:
        self._store = store
        self.conn = conn
        self.park_id = park_id
        self.park = park
        self.enterprise_ids = dict(enterprise_ids)
        self.actor = actor
        self.now = now
        self.holder = holder

    def _tenant(self, claimant: str, level: str) -> int | None:
        return self.enterprise_ids.get(claimant) if level == "enterprise" else None

    # -- LedgerRepository ------------------------------------------------------------------
    def get_certificate(self, cert_id: str) -> Certificate | None:
        """The certificate with this id, if any."""
        row = self.conn.execute(
            select(s.gec_certificate).where(s.gec_certificate.c.cert_id == cert_id)
        ).first()
        return None if row is None else _certificate(row)

    def add_certificate(self, certificate: Certificate) -> None:
        """Store a new certificate and its holder, with an audit entry."""
        values = {
            "cert_id": certificate.cert_id,
            "project": certificate.project,
            "production_month": str(certificate.production_month),
            "tradable": certificate.tradable,
        }
        try:
            self.conn.execute(
                insert(s.gec_certificate).values(
                    **values, imported_at=self.now, imported_by=self.actor
                )
            )
            self.conn.execute(
                insert(s.gec_holding).values(
                    cert_id=certificate.cert_id, park_id=self.park_id, enterprise_id=self.holder
                )
            )
        except IntegrityError as err:
            raise Conflict(
                f"certificate {certificate.cert_id} was recorded concurrently; import again"
            ) from err
        self._store.audit.append(
            self.conn,
            at=self.now,
            actor=self.actor,
            action="import",
            entity="gec_certificate",
            entity_id=certificate.cert_id,
            enterprise_id=self.holder,
            after={**values, "holder_enterprise_id": self.holder},
        )

    def get_retirement(self, cert_id: str) -> Retirement | None:
        """The retirement of this certificate, if any."""
        row = self.conn.execute(
            select(s.gec_retirement).where(s.gec_retirement.c.cert_id == cert_id)
        ).first()
        return None if row is None else _retirement(row)

    def add_retirements(self, retirements: Iterable[Retirement]) -> None:
        """Store retirements, all or none; a certificate already retired is a ``Conflict``."""
        rows = list(retirements)
        if not rows:
            return
        payload = [
            {
                "cert_id": r.cert_id,
                "claimant": r.claimant,
                "level": r.level,
                "park": r.park,
                "period_start": str(r.period.start),
                "period_end": str(r.period.end),
                "retired_on": r.retired_on.isoformat(),
                "settlement_id": r.settlement_id,
                "recorded_at": self.now,
                "recorded_by": self.actor,
            }
            for r in rows
        ]
        try:
            self.conn.execute(insert(s.gec_retirement), payload)
        except IntegrityError as err:
            raise Conflict(
                "a certificate of this request was retired at the same time by another request; "
                "a certificate is retired once (nothing was retired)"
            ) from err
        for r in rows:
            self._store.audit.append(
                self.conn,
                at=self.now,
                actor=self.actor,
                action="retire",
                entity="gec_retirement",
                entity_id=r.cert_id,
                enterprise_id=self._tenant(r.claimant, r.level),
                after=_retirement_audit(r),
            )

    def retirements_of(self, claimant: str) -> list[Retirement]:
        """All retirements of one claimant of this park."""
        t = s.gec_retirement
        rows = self.conn.execute(
            select(t).where(t.c.claimant == claimant, t.c.park == self.park).order_by(t.c.cert_id)
        ).all()
        return [_retirement(r) for r in rows]

    def add_settlement(self, settlement: TradeSettlement) -> None:
        """Store a settlement, with an audit entry."""
        values = {
            "settlement_id": settlement.settlement_id,
            "buyer": settlement.buyer,
            "level": settlement.level,
            "park": settlement.park,
            "month": str(settlement.month),
            "kwh": settlement.kwh,
            "seller_project": settlement.seller_project,
            "cert_ids": json.dumps(list(settlement.cert_ids)),
            "price": settlement.price,
        }
        try:
            self.conn.execute(
                insert(s.green_trade).values(**values, recorded_at=self.now, recorded_by=self.actor)
            )
        except IntegrityError as err:
            raise Conflict(f"settlement {settlement.settlement_id} is already recorded") from err
        self._store.audit.append(
            self.conn,
            at=self.now,
            actor=self.actor,
            action="settle",
            entity="green_trade",
            entity_id=settlement.settlement_id,
            enterprise_id=self._tenant(settlement.buyer, settlement.level),
            after=values,
        )

    def get_settlement(self, settlement_id: str) -> TradeSettlement | None:
        """The settlement with this id, if any."""
        row = self.conn.execute(
            select(s.green_trade).where(s.green_trade.c.settlement_id == settlement_id)
        ).first()
        return None if row is None else _settlement(row)

    def settlements_of(self, buyer: str) -> list[TradeSettlement]:
        """All settlements of one buyer of this park."""
        t = s.green_trade
        rows = self.conn.execute(
            select(t).where(t.c.buyer == buyer, t.c.park == self.park).order_by(t.c.settlement_id)
        ).all()
        return [_settlement(r) for r in rows]

    # -- beyond the protocol ---------------------------------------------------------------
    def imported_at(self, cert_ids: Sequence[str]) -> dict[str, int]:
        """When each recorded certificate was imported (epoch µs)."""
        t = s.gec_certificate
        rows = self.conn.execute(
            select(t.c.cert_id, t.c.imported_at).where(t.c.cert_id.in_(list(cert_ids)))
        ).all()
        return {str(cid): int(at) for cid, at in rows}

    def holding(self, cert_id: str) -> Holding | None:
        """Who holds the certificate, if it is recorded."""
        t = s.gec_holding
        row = self.conn.execute(select(t).where(t.c.cert_id == cert_id)).first()
        if row is None:
            return None
        return Holding(
            row.cert_id,
            int(row.park_id),
            None if row.enterprise_id is None else int(row.enterprise_id),
        )

    def retired_kwh_by_claimant(
        self, period: Period, *, kwh_per_certificate: int
    ) -> dict[tuple[str, str], float]:
        """Certified electricity retired in this park for periods overlapping ``period``, per
        (level, claimant) [kWh]."""
        t = s.gec_retirement
        rows = self.conn.execute(
            select(t.c.level, t.c.claimant, t.c.period_start, t.c.period_end).where(
                t.c.park == self.park,
                t.c.period_start <= str(period.end),
                t.c.period_end >= str(period.start),
            )
        ).all()
        out: dict[tuple[str, str], float] = {}
        for level, claimant, _a, _b in rows:
            out[(level, claimant)] = out.get((level, claimant), 0.0) + kwh_per_certificate
        return out

    def uncertified_by_buyer(self, period: Period) -> dict[tuple[str, str], float]:
        """Green-power trades without certificates in the months of ``period``, per (level,
        buyer) of this park [kWh]."""
        t = s.green_trade
        rows = self.conn.execute(
            select(t.c.level, t.c.buyer, t.c.kwh, t.c.cert_ids).where(
                t.c.park == self.park,
                t.c.month >= str(period.start),
                t.c.month <= str(period.end),
            )
        ).all()
        out: dict[tuple[str, str], float] = {}
        for level, buyer, kwh, certs in rows:
            if not json.loads(certs):
                out[(level, buyer)] = out.get((level, buyer), 0.0) + float(kwh)
        return out

    def uncertified_kwh(self, buyer: str, level: ClaimantLevel, period: Period) -> float:
        """Green-power trades without certificates of a buyer in the months of ``period`` [kWh]."""
        t = s.green_trade
        rows = self.conn.execute(
            select(t.c.kwh, t.c.cert_ids).where(
                t.c.park == self.park,
                t.c.buyer == buyer,
                t.c.level == level,
                t.c.month >= str(period.start),
                t.c.month <= str(period.end),
            )
        ).all()
        return float(sum(kwh for kwh, certs in rows if not json.loads(certs)))


class GreenpowerRepo:
    """Repository of the 绿证 ledger."""

    def __init__(self, store: Store) -> None:
        self._store = store

    @contextlib.contextmanager
    def session(
        self,
        *,
        park_id: int,
        park: str,
        enterprise_ids: Mapping[str, int],
        actor: str,
        now: int,
        holder: int | None = None,
    ) -> Iterator[LedgerSession]:
        """A serialised write transaction serving the ledger (commits when the block ends)."""
        with self._store.begin() as conn:
            # before the ledger reads what it checks against
            self._store.serialise(conn, LOCK_LEDGER)
            yield LedgerSession(
                self._store,
                conn,
                park_id=park_id,
                park=park,
                enterprise_ids=enterprise_ids,
                actor=actor,
                now=now,
                holder=holder,
            )

    def certificates(
        self, *, park_id: int, park: str, enterprise_scope: int | None, claimant: str | None
    ) -> list[CertificateRow]:
        """Certificates of a park the scope may see: for an enterprise, those it holds and
        those retired for it (``claimant`` is its code); for the park (scope None), all."""
        c, h, r = s.gec_certificate, s.gec_holding, s.gec_retirement
        q = (
            select(
                c,
                h.c.park_id,
                h.c.enterprise_id,
                r.c.claimant,
                r.c.level,
                r.c.park,
                r.c.period_start,
                r.c.period_end,
                r.c.retired_on,
                r.c.settlement_id,
            )
            .select_from(
                c.outerjoin(h, h.c.cert_id == c.c.cert_id).outerjoin(r, r.c.cert_id == c.c.cert_id)
            )
            .where((h.c.park_id == park_id) | (r.c.park == park))
            .order_by(c.c.cert_id)
        )
        if enterprise_scope is not None:
            q = q.where(
                (h.c.enterprise_id == enterprise_scope)
                | ((r.c.claimant == claimant) & (r.c.level == "enterprise"))
            )
        with self._store.begin() as conn:
            rows = conn.execute(q).all()
        out: list[CertificateRow] = []
        for row in rows:
            retirement = None if row.claimant is None else _retirement(row)
            out.append(
                CertificateRow(
                    certificate=_certificate(row),
                    park_id=None if row.park_id is None else int(row.park_id),
                    enterprise_id=None if row.enterprise_id is None else int(row.enterprise_id),
                    imported_at=int(row.imported_at),
                    imported_by=row.imported_by,
                    retirement=retirement,
                )
            )
        return out

    def retirements(
        self, *, park: str, claimants: Sequence[tuple[str, str]] | None
    ) -> list[Retirement]:
        """Retirements of a park, of the given (level, claimant) pairs or (None) all."""
        t = s.gec_retirement
        q = select(t).where(t.c.park == park).order_by(t.c.cert_id)
        with self._store.begin() as conn:
            rows = [_retirement(r) for r in conn.execute(q)]
        if claimants is None:
            return rows
        wanted = set(claimants)
        return [r for r in rows if (r.level, r.claimant) in wanted]

    def settlements(
        self, *, park: str, buyers: Sequence[tuple[str, str]] | None
    ) -> list[TradeSettlement]:
        """Green-power trade settlements of a park, of the given (level, buyer) pairs or all."""
        t = s.green_trade
        q = select(t).where(t.c.park == park).order_by(t.c.month, t.c.settlement_id)
        with self._store.begin() as conn:
            rows = [_settlement(r) for r in conn.execute(q)]
        if buyers is None:
            return rows
        wanted = set(buyers)
        return [x for x in rows if (x.level, x.buyer) in wanted]


__all__ = ["LOCK_LEDGER", "CertificateRow", "GreenpowerRepo", "Holding", "LedgerSession"]
