"""Product energy from the metering tree (分产品能耗计量): the points a park file tags
``product:<code>`` meter the energy of that product (a line's or a workshop's meter).

For one enterprise, product and period (GB/T 2589-2020: 单位产品能耗 = the energy of the
product's production system ÷ its output), the product's energy is

* the readings of the *top-most* points tagged ``product:<code>`` — a tagged point below another
  point tagged for the same product is inside its ancestor's reading and is not counted again;
* minus, under each counted point, the readings of the top-most points tagged for *another*
  product (a sub-meter of another line hung below this line's meter is that line's energy, not
  this one's);
* converted to the record's numerator: ``electricity`` counts electricity points in kWh;
  ``energy`` converts every point to standard coal with the same coefficients as the energy
  statistics (:class:`lingtan.indicators.energy.Coefficients`, GB/T 2589), electricity at the
  park's conversion option.

A tagged point that the numerator cannot use (a gas meter of an electricity-numerator product,
a carrier without a standard-coal coefficient, a storage or EV point) is not counted and is
named in the source, never dropped silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from lingtan import units
from lingtan.carbon.factors import FactorLibrary, default_library
from lingtan.indicators.energy import ROLES, Coefficients, Quality, _point_sums, _Sum, _unit_for
from lingtan.indicators.options import IndicatorOptions
from lingtan.indicators.period import Period
from lingtan.options import service as park_options
from lingtan.store import Store
from lingtan.store.records import PointRecord

#: a point's tag naming the product it meters
PRODUCT_TAG = "product:"


@dataclass(frozen=True, slots=True)
class ProductMetering:
    """A product's metered energy and where it came from."""

    energy: float
    unit: str
    points: tuple[str, ...]
    subtracted: tuple[str, ...]
    not_counted: tuple[str, ...]
    quality: Quality

    @property
    def source(self) -> str:
        """``metered: points X, Y`` with what was subtracted or not counted."""
        out = "metered: points " + ", ".join(self.points)
        if self.subtracted:
            out += " minus " + ", ".join(self.subtracted)
        if self.not_counted:
            out += " (not counted: " + ", ".join(self.not_counted) + ")"
        return out


def products_of(point: PointRecord) -> set[str]:
    """The products ``point`` is tagged for."""
    return {t[len(PRODUCT_TAG) :] for t in point.tags if t.startswith(PRODUCT_TAG)}


def _ancestors(point: PointRecord, by_id: dict[int, PointRecord]) -> list[PointRecord]:
    out: list[PointRecord] = []
    seen = {point.id}
    parent = point.parent_id
    while parent is not None and parent in by_id and parent not in seen:
        seen.add(parent)
        out.append(by_id[parent])
        parent = by_id[parent].parent_id
    return out


def plan(
    points: Sequence[PointRecord], product: str
) -> list[tuple[PointRecord, list[PointRecord]]]:
    """The points counted for ``product`` (top-most tagged), each with the top-most points
    below it tagged for other products (subtracted)."""
    by_id = {p.id: p for p in points}
    tagged = [p for p in points if product in products_of(p)]
    top = [p for p in tagged if not any(product in products_of(a) for a in _ancestors(p, by_id))]
    out: list[tuple[PointRecord, list[PointRecord]]] = []
    for p in sorted(top, key=lambda x: x.code):
        minus = []
        for q in points:
            others = products_of(q) - {product}
            if not others or product in products_of(q):
                continue
            chain = _ancestors(q, by_id)
            if p not in chain:
                continue
            # top-most: no point between q and p tagged for another product
            below_p = chain[: chain.index(p)]
            if any(products_of(a) - {product} for a in below_p):
                continue
            minus.append(q)
        out.append((p, sorted(minus, key=lambda x: x.code)))
    return out


def _amount(
    point: PointRecord, acc: _Sum, numerator: str, numerator_unit: str, coefs: Coefficients
) -> float | None:
    """The point's period sum in the numerator's unit; None when the numerator cannot use it."""
    role = ROLES.get(point.carrier, ROLES["other"])
    unit, k = _unit_for(point)
    value = acc.value * k
    if role.role not in ("supply", "generation", "export"):
        return None
    sign = -1.0 if role.role == "export" else 1.0
    if numerator == "electricity":
        if role.family != "electricity" or not units.compatible(unit, "kWh"):
            return None
        return sign * units.convert(value, unit, numerator_unit)
    if role.tce_key is None:
        return None
    found = coefs.tce(role.tce_key, value, unit)
    if found is None:
        return None
    return sign * units.convert(found[0], "tce", numerator_unit)


def product_energy(
    store: Store,
    *,
    park_id: int,
    owner: int,
    product: str,
    period: Period,
    numerator: str,
    numerator_unit: str,
    options: IndicatorOptions | None = None,
    library: FactorLibrary | None = None,
) -> ProductMetering | None:
    """The metered energy of ``product`` of enterprise ``owner`` in ``period``, in
    ``numerator_unit``; None when no point of the enterprise is tagged for the product."""
    park = store.registry.park(park_id)
    points = [
        p
        for p in store.registry.points_by_id_current().values()
        if p.park_id == park.id and p.enterprise_id == owner and p.kind != "measurement"
    ]
    counted = plan(points, product)
    if not counted:
        return None
    opts = options or IndicatorOptions.of(park_options.used(store, park_id=park.id))
    coefs = Coefficients(
        library or default_library(), opts.electricity_conversion, period.year,
        opts.natural_gas_kind,
    )  # fmt: skip
    involved = {x.id: x for top, minus in counted for x in (top, *minus)}
    sums = _point_sums(store, list(involved.values()), period, ZoneInfo(park.timezone))
    total = 0.0
    quality = _Sum()
    used: list[str] = []
    subtracted: list[str] = []
    skipped: list[str] = []
    for p, minus in counted:
        got = _amount(p, sums[p.id], numerator, numerator_unit, coefs)
        if got is None:
            skipped.append(f"{p.code} ({p.carrier})")
            continue
        total += got
        used.append(p.code)
        quality.add(sums[p.id])
        for q in minus:
            sub = _amount(q, sums[q.id], numerator, numerator_unit, coefs)
            if sub is not None:
                total -= sub
                subtracted.append(q.code)
    if not used:
        return ProductMetering(0.0, numerator_unit, (), (), tuple(skipped), Quality(0, 0, 1))
    return ProductMetering(
        total, numerator_unit, tuple(used), tuple(subtracted), tuple(skipped), quality.quality()
    )
