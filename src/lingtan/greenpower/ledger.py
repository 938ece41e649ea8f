"""Green electricity certificates (绿证) and green-power trades: pure ledger rules.

Facts the rules encode (domain reference §3.4):

* the 绿证 is the sole proof of the environmental attribute of renewable electricity, and one
  certificate stands for 1 000 kWh (发改能源〔2023〕1044号);
* certificates are issued monthly for the electricity produced, are tradable or not, and are
  valid for 2 years; here a certificate is valid through the last day of the 24th month counting
  its production month (a documented reading of "2 years from the production month");
* a certificate is retired (核销) once, against one consumer and one consumption period; never
  after it expires — judged on the actual day the retirement is made, not on a date the
  claimant states — and never for more electricity than the consumer used in the period; the
  stated date of retirement is never in the future nor before the certificate entered the ledger;
* the park and an enterprise in it cannot both claim the same certificate (no double deduction,
  发改环资〔2024〕113号);
* a certificate cannot back a consumption period that ended before its production month
  (the vintage rule, a data record: ``greenpower/matching/data/certificate_vintage.yaml``).

Green-power trade settlements (绿电交易) carry electricity with its certificates; a settlement that
lists certificates retires them for its buyer and month, one that lists none is reported as
contracted green electricity without certificates.

The :class:`Ledger` keeps the rules; storage sits behind the :class:`LedgerRepository` protocol,
implemented in memory here and by the store later.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final, Literal, Protocol

from lingtan.errors import Conflict, InvalidInput, NotFound
from lingtan.greenpower.matching.rules import vintage_rule

#: electricity one certificate stands for [kWh] (发改能源〔2023〕1044号)
KWH_PER_CERTIFICATE: Final[int] = 1000
#: validity counted in months from the production month, inclusive
VALIDITY_MONTHS: Final[int] = 24
#: upper bound of a settled green-power trade price [元/kWh] (see TradeSettlement)
MAX_TRADE_PRICE: Final[float] = 5.0

_CERT_ID = re.compile(r"^\d{32}$")

ClaimantLevel = Literal["park", "enterprise"]


@dataclass(frozen=True, slots=True)
class Month:
    """A calendar month."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12 or not 1990 <= self.year <= 2100:
            raise InvalidInput(f"invalid month {self.year}-{self.month:02d}", field="month")

    @classmethod
    def parse(cls, text: str) -> Month:
        """``"2024-03"`` → ``Month(2024, 3)``."""
        match = re.fullmatch(r"(\d{4})-(\d{2})", text.strip())
        if match is None:
            raise InvalidInput(f"month must read YYYY-MM, got {text!r}", field="month")
        return cls(int(match[1]), int(match[2]))

    def plus(self, months: int) -> Month:
        """The month ``months`` later."""
        index = self.year * 12 + self.month - 1 + months
        return Month(index // 12, index % 12 + 1)

    def last_day(self) -> dt.date:
        """Last day of the month."""
        nxt = self.plus(1)
        return dt.date(nxt.year, nxt.month, 1) - dt.timedelta(days=1)

    def first_day(self) -> dt.date:
        """First day of the month."""
        return dt.date(self.year, self.month, 1)

    def __str__(self) -> str:
        return f"{self.year}-{self.month:02d}"

    def __lt__(self, other: Month) -> bool:
        return (self.year, self.month) < (other.year, other.month)

    def __le__(self, other: Month) -> bool:
        return (self.year, self.month) <= (other.year, other.month)


def _index(month: Month) -> int:
    return month.year * 12 + month.month - 1


@dataclass(frozen=True, slots=True)
class Period:
    """A consumption period: whole months from ``start`` to ``end`` inclusive."""

    start: Month
    end: Month

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise InvalidInput(
                f"period ends ({self.end}) before it starts ({self.start})", field="period"
            )

    def overlaps(self, other: Period) -> bool:
        """True if the two periods share a month."""
        return self.start <= other.end and other.start <= self.end

    @property
    def months(self) -> int:
        """Number of months, both ends included."""
        return _index(self.end) - _index(self.start) + 1

    def overlap_months(self, other: Period) -> int:
        """Number of months the two periods share."""
        first = max(_index(self.start), _index(other.start))
        last = min(_index(self.end), _index(other.end))
        return max(0, last - first + 1)

    def __str__(self) -> str:
        return f"{self.start}..{self.end}"


@dataclass(frozen=True, slots=True)
class Certificate:
    """One 绿证: 1 000 kWh of renewable electricity produced in one month by one project."""

    cert_id: str
    project: str
    production_month: Month
    tradable: bool = True

    def __post_init__(self) -> None:
        if not _CERT_ID.fullmatch(self.cert_id):
            raise InvalidInput(
                f"certificate id must be 32 digits, got {self.cert_id!r}", field="cert_id"
            )
        if not self.project.strip():
            raise InvalidInput("certificate project must not be empty", field="project")

    @property
    def kwh(self) -> int:
        """Electricity the certificate stands for [kWh]."""
        return KWH_PER_CERTIFICATE

    @property
    def valid_until(self) -> dt.date:
        """Last day it may be retired: end of the 24th month counting the production month."""
        return self.production_month.plus(VALIDITY_MONTHS - 1).last_day()


@dataclass(frozen=True, slots=True)
class Retirement:
    """One certificate retired against a consumer and a consumption period."""

    cert_id: str
    claimant: str
    level: ClaimantLevel
    period: Period
    retired_on: dt.date
    #: park the claimant belongs to (an enterprise's park, or the park itself)
    park: str
    settlement_id: str | None = None
    #: the actual date the retirement was recorded (``retired_on`` is the date the claimant
    #: states, never later); None when read back from storage, which keeps the timestamp
    recorded_on: dt.date | None = None


@dataclass(frozen=True, slots=True)
class TradeSettlement:
    """A green-power trade settlement (绿电交易结算) of one buyer for one month."""

    settlement_id: str
    buyer: str
    level: ClaimantLevel
    park: str
    month: Month
    kwh: float
    seller_project: str
    cert_ids: tuple[str, ...] = ()
    #: settled price [元/kWh] as on the settlement (energy and green value together); None
    #: when the settlement recorded none — its cost is then unknown, never zero
    price: float | None = None

    def __post_init__(self) -> None:
        if not self.kwh >= 0:
            raise InvalidInput("settlement kwh must be ≥ 0", field="kwh")
        # a settled green-power price (energy and green value together) is well under 2 元/kWh
        # (industrial energy prices are about 0.3-1.5 元/kWh, green certificates add cents);
        # 5 元/kWh leaves room for any real trade and rejects a price typed in 元/MWh
        if self.price is not None and not 0 <= self.price <= MAX_TRADE_PRICE:
            raise InvalidInput(
                f"settlement price must be 0-{MAX_TRADE_PRICE:g} 元/kWh (not 元/MWh), "
                f"not {self.price}",
                field="price",
            )


class LedgerRepository(Protocol):
    """Storage the ledger needs; the store implements it with tables."""

    def get_certificate(self, cert_id: str) -> Certificate | None:
        """The certificate with this id, if any."""

    def add_certificate(self, certificate: Certificate) -> None:
        """Store a new certificate."""

    def get_retirement(self, cert_id: str) -> Retirement | None:
        """The retirement of this certificate, if any."""

    def add_retirements(self, retirements: Iterable[Retirement]) -> None:
        """Store retirements atomically (all or none)."""

    def retirements_of(self, claimant: str) -> list[Retirement]:
        """All retirements of one claimant."""

    def add_settlement(self, settlement: TradeSettlement) -> None:
        """Store a settlement."""

    def get_settlement(self, settlement_id: str) -> TradeSettlement | None:
        """The settlement with this id, if any."""

    def settlements_of(self, buyer: str) -> list[TradeSettlement]:
        """All settlements of one buyer."""


@dataclass
class InMemoryLedgerRepository:
    """A :class:`LedgerRepository` held in dictionaries (tests, the CLI, one-off runs)."""

    certificates: dict[str, Certificate] = field(default_factory=dict)
    retirements: dict[str, Retirement] = field(default_factory=dict)
    settlements: dict[str, TradeSettlement] = field(default_factory=dict)

    def get_certificate(self, cert_id: str) -> Certificate | None:
        """The certificate with this id, if any."""
        return self.certificates.get(cert_id)

    def add_certificate(self, certificate: Certificate) -> None:
        """Store a new certificate."""
        self.certificates[certificate.cert_id] = certificate

    def get_retirement(self, cert_id: str) -> Retirement | None:
        """The retirement of this certificate, if any."""
        return self.retirements.get(cert_id)

    def add_retirements(self, retirements: Iterable[Retirement]) -> None:
        """Store retirements."""
        for r in retirements:
            self.retirements[r.cert_id] = r

    def retirements_of(self, claimant: str) -> list[Retirement]:
        """All retirements of one claimant."""
        return [r for r in self.retirements.values() if r.claimant == claimant]

    def add_settlement(self, settlement: TradeSettlement) -> None:
        """Store a settlement."""
        self.settlements[settlement.settlement_id] = settlement

    def get_settlement(self, settlement_id: str) -> TradeSettlement | None:
        """The settlement with this id, if any."""
        return self.settlements.get(settlement_id)

    def settlements_of(self, buyer: str) -> list[TradeSettlement]:
        """All settlements of one buyer."""
        return [s for s in self.settlements.values() if s.buyer == buyer]


@dataclass(frozen=True, slots=True)
class Allocation:
    """The part of one retired certificate a period counts, when it is not the whole."""

    cert_id: str
    #: the retirement's consumption period
    retired_for: Period
    #: months of ``retired_for`` inside the counted period, and months of ``retired_for``
    months_inside: int
    months_total: int

    @property
    def share(self) -> float:
        """Fraction of the certificate counted."""
        return self.months_inside / self.months_total

    @property
    def kwh(self) -> float:
        """Electricity counted [kWh]."""
        return KWH_PER_CERTIFICATE * self.share

    def as_dict(self) -> dict[str, object]:
        """Plain data."""
        return {
            "cert_id": self.cert_id,
            "retired_for": str(self.retired_for),
            "months_inside": self.months_inside,
            "months_total": self.months_total,
            "kwh": self.kwh,
        }


@dataclass(frozen=True, slots=True)
class GreenElectricity:
    """Green electricity a claimant may count for a period [kWh]."""

    #: backed by retired certificates (including those of trade settlements)
    certified_kwh: float
    #: green-power trade settlements without certificates
    contracted_uncertified_kwh: float
    #: certificates counted, wholly or in part
    cert_ids: tuple[str, ...]
    #: certificates counted in part (retired for a period reaching beyond the counted one)
    allocations: tuple[Allocation, ...] = ()

    @property
    def total_kwh(self) -> float:
        """All green electricity of the period [kWh]."""
        return self.certified_kwh + self.contracted_uncertified_kwh


class Ledger:
    """Rules for issuing, retiring and counting certificates over a repository."""

    def __init__(self, repository: LedgerRepository | None = None) -> None:
        self.repo: LedgerRepository = repository or InMemoryLedgerRepository()

    def add_certificate(self, certificate: Certificate) -> Certificate:
        """Record an issued certificate; a different one under the same id is a ``Conflict``."""
        existing = self.repo.get_certificate(certificate.cert_id)
        if existing is not None:
            if existing == certificate:
                return existing
            raise Conflict(f"certificate {certificate.cert_id} already recorded with other data")
        self.repo.add_certificate(certificate)
        return certificate

    def retire(
        self,
        cert_ids: Iterable[str],
        *,
        claimant: str,
        level: ClaimantLevel,
        park: str,
        period: Period,
        today: dt.date,
        consumption_kwh: float,
        retired_on: dt.date | None = None,
        imported_on: Mapping[str, dt.date] | None = None,
        settlement_id: str | None = None,
    ) -> list[Retirement]:
        """Retire certificates for ``claimant``'s consumption in ``period``; all or none.

        Parameters
        ----------
        cert_ids : iterable of str
            Certificates to retire.
        claimant : str
            The consumer (enterprise id, or the park id when the park claims).
        level : {"park", "enterprise"}
            Who claims: the park as a whole or one enterprise in it.
        park : str
            The park the claimant belongs to (for the park/enterprise double-claim rule).
        period : Period
            Consumption period the certificates cover.
        today : datetime.date
            The actual date (park local time) the retirement is made. Expiry is judged on it:
            a stated ``retired_on`` cannot bring an expired certificate back.
        consumption_kwh : float
            The claimant's electricity consumption in ``period`` [kWh]; retirements of the
            claimant in overlapping periods plus these may not exceed it.
        retired_on : datetime.date, optional
            The date of retirement the claimant states (e.g. of a retirement document);
            defaults to ``today``. Never after ``today``, never before a certificate's import
            date (``imported_on``).
        imported_on : mapping of cert id to datetime.date, optional
            The date each certificate was imported into the ledger (park local time).

        Raises
        ------
        NotFound
            An unknown certificate.
        Conflict
            A certificate already retired (by anyone — the park and an enterprise cannot both
            claim one), or expired by ``today``.
        InvalidInput
            Duplicate ids in the request, ``retired_on`` in the future or before a
            certificate's import date, more certified electricity than consumed, or a
            certificate produced after the claimed period (field ``period``).
        """
        when = today if retired_on is None else retired_on
        if when > today:
            raise InvalidInput(
                f"retired_on {when} is in the future (today is {today}); a retirement is dated "
                "on or before the day it is recorded",
                field="retired_on",
            )
        ids = list(cert_ids)
        if not ids:
            raise InvalidInput("no certificates to retire", field="cert_ids")
        if len(set(ids)) != len(ids):
            raise InvalidInput("a certificate is listed twice in one retirement", field="cert_ids")
        if not consumption_kwh >= 0:
            raise InvalidInput("consumption_kwh must be ≥ 0", field="consumption_kwh")
        certificates: list[Certificate] = []
        for cert_id in ids:
            cert = self.repo.get_certificate(cert_id)
            if cert is None:
                raise NotFound(f"certificate {cert_id} is not in the ledger")
            previous = self.repo.get_retirement(cert_id)
            if previous is not None:
                if previous.park == park and previous.level != level:
                    raise Conflict(
                        f"certificate {cert_id} is already claimed by {previous.level} "
                        f"{previous.claimant} of park {previous.park}; the park and an enterprise "
                        "cannot both claim the same certificate"
                    )
                raise Conflict(
                    f"certificate {cert_id} was already retired on {previous.retired_on} for "
                    f"{previous.claimant} ({previous.period}); a certificate is retired once"
                )
            if today > cert.valid_until:
                raise Conflict(
                    f"certificate {cert_id} (produced {cert.production_month}) expired on "
                    f"{cert.valid_until}; it cannot be retired today ({today}), whatever date "
                    "the retirement states"
                )
            vintage = vintage_rule()
            latest = period.end.plus(vintage.months_after_period_end)
            if latest < cert.production_month:
                raise InvalidInput(
                    f"certificate {cert_id} was produced in {cert.production_month}, after the "
                    f"claimed period {period} ended; {vintage.text} ({vintage.id})",
                    field="period",
                )
            imported = (imported_on or {}).get(cert_id)
            if imported is not None and when < imported:
                raise InvalidInput(
                    f"retired_on {when} is before certificate {cert_id} was imported into the "
                    f"ledger ({imported})",
                    field="retired_on",
                )
            certificates.append(cert)
        already = sum(
            KWH_PER_CERTIFICATE
            for r in self.repo.retirements_of(claimant)
            if r.period.overlaps(period)
        )
        requested = KWH_PER_CERTIFICATE * len(certificates)
        if already + requested > consumption_kwh:
            raise InvalidInput(
                f"{claimant} consumed {consumption_kwh} kWh in {period}; certificates already "
                f"retired for overlapping periods cover {already} kWh and this request adds "
                f"{requested} kWh",
                field="consumption_kwh",
            )
        retirements = [
            Retirement(c.cert_id, claimant, level, period, when, park, settlement_id, today)
            for c in certificates
        ]
        self.repo.add_retirements(retirements)
        return retirements

    def settle_trade(
        self,
        settlement: TradeSettlement,
        *,
        consumption_kwh: float,
        today: dt.date,
        settled_on: dt.date | None = None,
        imported_on: Mapping[str, dt.date] | None = None,
    ) -> TradeSettlement:
        """Record a green-power trade settlement and retire the certificates it carries.

        ``settled_on`` (default ``today``) dates the retirements; expiry is judged on ``today``.
        Raises ``Conflict`` for a settlement id already used, ``InvalidInput`` if it carries more
        certificates than its electricity, plus every refusal of :meth:`retire`.
        """
        if self.repo.get_settlement(settlement.settlement_id) is not None:
            raise Conflict(f"settlement {settlement.settlement_id} is already recorded")
        if len(settlement.cert_ids) * KWH_PER_CERTIFICATE > settlement.kwh:
            raise InvalidInput(
                f"settlement {settlement.settlement_id} carries {len(settlement.cert_ids)} "
                f"certificates for {settlement.kwh} kWh",
                field="cert_ids",
            )
        if settlement.cert_ids:
            self.retire(
                settlement.cert_ids,
                claimant=settlement.buyer,
                level=settlement.level,
                park=settlement.park,
                period=Period(settlement.month, settlement.month),
                today=today,
                retired_on=settled_on,
                imported_on=imported_on,
                consumption_kwh=consumption_kwh,
                settlement_id=settlement.settlement_id,
            )
        self.repo.add_settlement(settlement)
        return settlement

    def green_electricity(self, claimant: str, period: Period) -> GreenElectricity:
        """Green electricity ``claimant`` may count for ``period``: each retirement pro rata by
        the months of its consumption period inside ``period``
        (:func:`lingtan.greenpower.counting.count_green`)."""
        from lingtan.greenpower.counting import count_green

        return count_green(
            self.repo.retirements_of(claimant), self.repo.settlements_of(claimant), period
        )
