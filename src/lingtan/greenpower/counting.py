"""Counting green electricity of a period from retirements and trade settlements (pure).

A certificate is retired against a consumption period of whole months. A period being accounted
counts each retirement **pro rata by months**: the certificate's 1 000 kWh × (months of its
consumption period inside the accounted period ÷ months of its consumption period). So a
certificate retired for January–March counts 1/3 in February, 3/3 in the first quarter and in the
year; one retired for December 2024 – February 2025 counts 1/3 in 2024 and 2/3 in 2025 — a
retirement that crosses a calendar year is shared between the two annual inventories, never lost
and never counted twice. Every partial count is listed (:class:`Allocation`) so the result can say
what was allocated. A trade settlement without certificates counts in its month.
"""

from __future__ import annotations

from collections.abc import Iterable

from lingtan.greenpower.ledger import (
    KWH_PER_CERTIFICATE,
    Allocation,
    GreenElectricity,
    Period,
    Retirement,
    TradeSettlement,
)


def count_green(
    retirements: Iterable[Retirement], settlements: Iterable[TradeSettlement], period: Period
) -> GreenElectricity:
    """Green electricity countable for ``period`` (the rule in the module docstring).

    The same rule serves :meth:`lingtan.greenpower.ledger.Ledger.green_electricity` (one
    claimant) and the store-backed accounting (several claimants).
    """
    certified = 0.0
    counted: list[str] = []
    partial: list[Allocation] = []
    for r in retirements:
        inside = r.period.overlap_months(period)
        if inside == 0:
            continue
        total = r.period.months
        counted.append(r.cert_id)
        certified += KWH_PER_CERTIFICATE * inside / total
        if inside < total:
            partial.append(Allocation(r.cert_id, r.period, inside, total))
    uncertified = sum(
        s.kwh for s in settlements if not s.cert_ids and period.start <= s.month <= period.end
    )
    return GreenElectricity(
        certified_kwh=float(certified),
        contracted_uncertified_kwh=float(uncertified),
        cert_ids=tuple(sorted(counted)),
        allocations=tuple(sorted(partial, key=lambda a: a.cert_id)),
    )


__all__ = ["count_green"]
