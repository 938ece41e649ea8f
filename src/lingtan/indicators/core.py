"""The core indicator 单位能耗碳排放 from the store-backed accounting (:mod:`lingtan.accounting`).

Nothing is accounted here: the park inventory of a year or a month is
:func:`lingtan.accounting.account_park` (910号 附件4), and the indicator is its
``intensity_tco2_per_tce`` = E园区 / 综合能源消费量. A year-to-date value sums the monthly
inventories' emissions and energy (both are additive; the factors of the year apply to every
month) and divides with :func:`~lingtan.carbon.methods.park_annex4.carbon_intensity_of_energy`.

Per enterprise (for ranking), the enterprise's own activity — as
:func:`lingtan.accounting.account_enterprise` builds it from its boundary points, certificates
and supplements — is accounted on the park basis (附件4) with :func:`lingtan.carbon.account`,
so every enterprise is measured by the same method as the park.

The electricity conversion of the denominator (当量值 / 等价值) is the indicator option
``electricity_conversion``, passed to the accounting options.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lingtan.accounting import AccountingResult, account_enterprises, account_park
from lingtan.carbon import AccountingOptions, FactorLibrary, Inventory, account, default_library
from lingtan.carbon.methods import park_annex4
from lingtan.errors import InvalidInput, LingtanError
from lingtan.indicators.energy import energy_statistics
from lingtan.indicators.options import IndicatorOptions
from lingtan.indicators.period import Period
from lingtan.indicators.result import Computed, DataQuality, clause_evidence
from lingtan.store import Store


@dataclass(frozen=True)
class CoreParts:
    """The inventories behind one core value (one per month for year-to-date)."""

    inventories: tuple[Inventory, ...]
    results: tuple[AccountingResult, ...]

    @property
    def emissions_tco2(self) -> float:
        """E园区 [tCO2]."""
        return sum(inv.emissions["total"] for inv in self.inventories)

    @property
    def energy_tce(self) -> float | None:
        """综合能源消费量 [tce] (None when a coefficient is missing)."""
        values = [inv.energy_tce for inv in self.inventories]
        return None if any(v is None for v in values) else float(sum(v or 0.0 for v in values))


def _accounting_options(options: IndicatorOptions) -> AccountingOptions:
    return AccountingOptions(
        electricity_conversion=options.electricity_conversion,
        natural_gas_kind=options.natural_gas_kind,
    )


def _months(period: Period) -> list[int | None]:
    if period.kind == "year":
        return [None]
    if period.kind == "month":
        return [period.month]
    return list(range(1, (period.month or 1) + 1))


class StoreAccounting:
    """The core indicator of the park or of an enterprise, from the store-backed accounting."""

    def __init__(self, library: FactorLibrary | None = None) -> None:
        self.library = library or default_library()

    def park_parts(self, store: Store, period: Period, options: IndicatorOptions) -> CoreParts:
        """Park inventories (附件4) of the period."""
        results = tuple(
            account_park(
                store,
                year=period.year,
                month=m,
                options=_accounting_options(options),
                library=self.library,
                persist=False,
            )
            for m in _months(period)
        )
        return CoreParts(tuple(r.inventory for r in results), results)

    def enterprise_parts(
        self,
        store: Store,
        period: Period,
        options: IndicatorOptions,
        enterprise_ids: Sequence[int] | None = None,
    ) -> dict[int, CoreParts]:
        """Per enterprise: its activity accounted on the park basis (附件4)."""
        acc_opts = _accounting_options(options)
        by_enterprise: dict[int, list[AccountingResult]] = {}
        for m in _months(period):
            for r in account_enterprises(
                store,
                year=period.year,
                month=m,
                enterprise_ids=enterprise_ids,
                options=acc_opts,
                library=self.library,
                persist=False,
            ):
                if r.enterprise_id is not None:
                    by_enterprise.setdefault(r.enterprise_id, []).append(r)
        out: dict[int, CoreParts] = {}
        for eid, results in by_enterprise.items():
            inventories = tuple(
                account(r.activity, library=self.library, basis="park", options=acc_opts)
                for r in results
            )
            out[eid] = CoreParts(inventories, tuple(results))
        return out

    def core(
        self, store: Store, period: Period, enterprise_id: int | None, options: IndicatorOptions
    ) -> Computed:
        """The core indicator of the park (``enterprise_id=None``) or of one enterprise."""
        if enterprise_id is None:
            parts = self.park_parts(store, period, options)
        else:
            found = self.enterprise_parts(store, period, options, [enterprise_id])
            if enterprise_id not in found:
                return _no_value("企业无核算数据", "no accounting data for the enterprise", options)
            parts = found[enterprise_id]
        return computed(store, period, enterprise_id, options, parts)

    def enterprise_cores(
        self, store: Store, period: Period, options: IndicatorOptions
    ) -> dict[int, Computed]:
        """The core indicator of every enterprise with data, from one read per month."""
        parts = self.enterprise_parts(store, period, options)
        return {
            eid: computed(store, period, eid, options, p, with_quality=False)
            for eid, p in parts.items()
        }


def _no_value(zh: str, en: str, options: IndicatorOptions) -> Computed:
    return Computed(
        None,
        (zh, en),
        {},
        [],
        DataQuality(0.0, 0.0, 0.0, 1.0, 0.0, options.completeness_threshold),
    )


def computed(
    store: Store,
    period: Period,
    enterprise_id: int | None,
    options: IndicatorOptions,
    parts: CoreParts,
    *,
    with_quality: bool = True,
) -> Computed:
    """The core value with its inputs, evidence (explain lines, factors, sources) and quality."""
    emissions = parts.emissions_tco2
    energy = parts.energy_tce
    inputs: dict[str, Any] = {
        "emissions_tco2": emissions,
        "energy_tce": energy,
        "electricity_conversion": options.electricity_conversion,
        "months": len(parts.inventories),
    }
    terms: dict[str, float] = {}
    for inv in parts.inventories:
        for term, value in inv.emissions.items():
            terms[term] = terms.get(term, 0.0) + value
    inputs.update({f"emissions_{k}_tco2": v for k, v in terms.items() if k != "total"})
    offsets: dict[str, float] = {}
    for inv in parts.inventories:
        for k, v in inv.offsets.items():
            offsets[k] = offsets.get(k, 0.0) + v
    inputs.update({f"offset_{k}": v for k, v in offsets.items()})
    evidence = _evidence(parts)
    evidence.append(clause_evidence(park_annex4.carbon_intensity_of_energy))
    quality = (
        _quality(store, period, enterprise_id, options, energy)
        if with_quality
        else (
            DataQuality(
                0.0, 0.0, 0.0, 0.0, 1.0, options.completeness_threshold, "未计算 / not computed"
            )
        )
    )
    if energy is None:
        return Computed(None, ("缺少折标准煤系数，综合能源消费量未算出",
                               "a standard-coal coefficient is missing: no energy consumption"),
                        inputs, evidence, quality)  # fmt: skip
    if energy <= 0:
        return Computed(
            None,
            ("期间综合能源消费量为 0 或负值：单位能耗碳排放无定义",
             "energy consumption of the period is zero or negative: the indicator is undefined"),
            inputs, evidence, quality, energy_tce=energy,
        )  # fmt: skip
    try:
        value = park_annex4.carbon_intensity_of_energy(emissions, energy)
    except (InvalidInput, LingtanError) as err:
        return Computed(None, (str(err), str(err)), inputs, evidence, quality, energy_tce=energy)
    return Computed(value, None, inputs, evidence, quality, energy_tce=energy)


def _evidence(parts: CoreParts) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    many = len(parts.inventories) > 1
    for r, inv in zip(parts.results, parts.inventories, strict=True):
        prefix = f"{inv.year}-{r.month:02d} " if many and r.month else ""
        for line in inv.explain:
            if many and line.term not in ("total", "energy", "intensity"):
                continue
            out.append(
                {
                    "kind": "explain",
                    "term": line.term,
                    "text": prefix + line.text("zh"),
                    "result": line.result,
                    "unit": line.unit,
                    "clause": line.clause,
                    "factor_ids": list(line.factor_ids),
                }
            )
        for f in inv.factors:
            if f.id not in seen:
                seen.add(f.id)
                out.append({**f.brief(), "factor_kind": f.kind, "kind": "factor"})
        if not many:
            out.extend({"kind": "source", **s.as_dict()} for s in r.sources)
            for note in inv.notes:
                out.append({"kind": "note", "text": note})
            for sup in r.supplements:
                out.append(
                    {
                        "kind": "supplement",
                        "id": sup.id,
                        "source_document": sup.source_document,
                        "entered_by": sup.entered_by,
                        "entered_at": sup.entered_at,
                    }
                )
    return out


def _quality(
    store: Store,
    period: Period,
    enterprise_id: int | None,
    options: IndicatorOptions,
    energy: float | None,
) -> DataQuality:
    """Metered quality of the scope's energy; what the metering does not explain is entered
    (activity supplements)."""
    st = energy_statistics(
        store,
        year=period.year,
        month=period.month,
        ytd=period.ytd,
        enterprise_id=enterprise_id,
        options=options,
    )
    q = st.quality
    entered = 0.0
    if energy is not None and energy > 0:
        entered = min(1.0, max(0.0, 1.0 - st.total_tce / energy))
    k = 1.0 - entered
    return DataQuality(
        q.measured * k,
        q.estimated * k,
        entered,
        q.missing * k,
        q.completeness,
        options.completeness_threshold,
        "计量完整率 / metered completeness",
    )


def inventory_dicts(parts: CoreParts) -> list[Mapping[str, Any]]:
    """The inventories as plain data (for reports)."""
    return [inv.as_dict(explain=True) for inv in parts.inventories]
