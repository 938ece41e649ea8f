"""Prices and carbon factors of a plan's steps: the park's tariff in force (its time-of-use
period per step priced with :func:`lingtan.tariffs.cost.period_price`) and the grid factor of
the declaration's basis (the records green-power matching uses:
:func:`lingtan.greenpower.matching.service.grid_factors`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from lingtan.accounting.scope import park_scope
from lingtan.dispatch.components import F64
from lingtan.dispatch.inputs import HOUR_US, HOURS, Day
from lingtan.errors import InvalidInput, NotFound
from lingtan.store import Store
from lingtan.tariffs.cost import period_price
from lingtan.tariffs.periods import period_at
from lingtan.tariffs.service import _applicable, tariff_in_force


def import_prices(store: Store, park_id: int, d: Day) -> tuple[F64, dict[str, Any]]:
    """The import price of every step [元/kWh] under the park's own tariff assignment.

    ``InvalidInput`` (field ``tariff``) without an assignment, without a version valid in the
    month, or when a period has no price (a record of status ``no_price``)."""
    month = f"{d.day:%Y-%m}"
    assignment, _level = _applicable(store, park_id, None, month)
    if assignment is None:
        raise InvalidInput(
            f"the park has no tariff assigned for {month}: assign one (lingtan tariffs assign)",
            field="tariff",
        )
    # the version in force with the park's entered monthly base price, as its costs price it
    tariff = tariff_in_force(store, park_id, assignment, month)
    if tariff is None:
        raise InvalidInput(
            f"tariff {assignment.tariff_id} has no version valid in {month}", field="tariff"
        )
    prices = np.empty(d.steps)
    periods: list[str] = []
    for k in range(d.steps):
        period = period_at(tariff, d.step_start(k))
        price = period_price(tariff, period, month)
        if price is None:
            raise InvalidInput(
                f"tariff {tariff.key} gives no price for {period} in {month} (status no_price): "
                "a plan needs energy prices — assign a priced tariff or a newer version",
                field="tariff",
            )
        prices[k] = price
        periods.append(period)
    info = {
        "id": tariff.id,
        "version": tariff.version,
        "synthetic": tariff.synthetic,
        "assignment_id": assignment.id,
        "periods": sorted(set(periods)),
    }
    return prices, info


def carbon_factors(store: Store, park_id: int, d: Day, basis: str) -> tuple[F64, dict[str, Any]]:
    """The grid factor of every step [kgCO2/kWh] on the declaration's basis:

    * ``location``: the province's latest published annual average grid factor (the record
      accounting and matching use), the same every step;
    * ``hourly``: the park's imported hourly series for the province and year where it covers
      the hour, the annual factor elsewhere (the basis says how many hours each);
    * ``market``: the national residual-mix factor (excluding market non-fossil power).
    """
    from lingtan.greenpower.matching.service import grid_factors

    scope = park_scope(store, park_id)
    hours = d.hour_us() + np.arange(HOURS, dtype=np.int64) * HOUR_US
    try:
        hourly, fbasis, residual, residual_brief = grid_factors(store, scope, d.day.year, hours)
    except NotFound as err:
        raise InvalidInput(str(err), field="factor_basis") from err
    annual = fbasis["annual"]
    if basis == "location":
        values = np.full(HOURS, float(annual["value"]))
        info = {"basis": basis, "record": annual["id"], "record_year": annual["year"]}
    elif basis == "hourly":
        values = hourly
        series = fbasis.get("series")
        info = {
            "basis": basis,
            "series": None if series is None else series["id"],
            "hours_hourly": fbasis["hours_hourly"],
            "hours_annual": fbasis["hours_annual"],
            "record": annual["id"],
        }
    else:
        values = np.full(HOURS, float(residual))
        info = {"basis": basis, "record": residual_brief["id"]}
    return d.to_steps(values), info
