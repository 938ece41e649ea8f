"""Report service functions: build a report document or its bytes for a scope and period.

Keyword-only arguments and an explicit tenant: ``scope`` is the enterprise the caller is limited
to (None for park-wide callers). A park-level report (``park``) refuses an enterprise caller;
``enterprise`` needs an enterprise id (an enterprise caller may ask for its own only); the
``indicators`` and ``energy`` reports cover the park, or the enterprise asked for — an enterprise
caller always gets its own. No web framework is imported here.
"""

from __future__ import annotations

import json
from typing import Any, Final, Literal

from lingtan.accounting import account_enterprise, account_park
from lingtan.carbon import FactorLibrary, default_library
from lingtan.errors import InvalidInput, NotFound, PermissionDenied
from lingtan.ghg import metered as ghg_metered
from lingtan.ghg.account import GhgResult, parse_document
from lingtan.ghg.account import account as ghg_account
from lingtan.indicators.energy import energy_statistics
from lingtan.indicators.evaluate import evaluate
from lingtan.indicators.options import IndicatorOptions
from lingtan.indicators.profile_eval import ProfileEvaluation
from lingtan.options import service as park_options
from lingtan.registry.building_labels import describe
from lingtan.reports.carbon import enterprise_report, park_report
from lingtan.reports.energy import energy_report
from lingtan.reports.html import write_html
from lingtan.reports.indicators import indicators_report
from lingtan.reports.model import Report
from lingtan.reports.xlsx import write_xlsx
from lingtan.store import Store
from lingtan.store.ghg_repo import GhgRepo
from lingtan.store.query_repo import Tenant

Kind = Literal["park", "enterprise", "indicators", "energy"]
Fmt = Literal["xlsx", "html"]
KINDS: Final[tuple[str, ...]] = ("park", "enterprise", "indicators", "energy")
FORMATS: Final[tuple[str, ...]] = ("xlsx", "html")
CONTENT_TYPES: Final[dict[str, str]] = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html; charset=utf-8",
}


def _check(kind: str, fmt: str | None = None) -> None:
    if kind not in KINDS:
        raise InvalidInput(f"report kind must be one of {', '.join(KINDS)}", field="kind")
    if fmt is not None and fmt not in FORMATS:
        raise InvalidInput(f"report format must be one of {', '.join(FORMATS)}", field="fmt")


def build_document(
    store: Store,
    *,
    kind: Kind,
    year: int,
    month: int | None = None,
    enterprise_id: int | None = None,
    scope: int | None = None,
    lang: str = "zh",
    options: IndicatorOptions | None = None,
    library: FactorLibrary | None = None,
    actor: str = "report",
    park_id: int | None = None,
    profile_files: bool = False,
) -> Report:
    """The report document (see :mod:`lingtan.reports.model`) for a kind, period and scope.

    ``profile_files``: a profile *file* the park's options name may be read (the CLI); the
    services (API, jobs) evaluate shipped and stored profiles only."""
    _check(kind)
    park = store.registry.park(park_id)
    opts = options or IndicatorOptions.of(park_options.used(store, park_id=park.id))
    lib = library or default_library()
    enterprises = {e.id: e for e in store.registry.enterprises(park.id)}
    if scope is not None:
        if scope not in enterprises:
            raise NotFound("enterprise not found")
        if kind == "park":
            raise PermissionDenied("the park carbon report is a park-level report")
        if enterprise_id is not None and enterprise_id != scope:
            raise NotFound("enterprise not found")
        enterprise_id = scope
    if enterprise_id is not None and enterprise_id not in enterprises:
        raise NotFound(f"enterprise {enterprise_id} not found")
    acc: dict[str, Any] = {
        "options": opts.accounting_options(),
        "metering": opts.metering_options(),
        "used": opts.used,
        "library": lib,
        "park_id": park.id,
    }
    if kind == "energy":
        stats = energy_statistics(
            store,
            year=year,
            month=month,
            enterprise_id=enterprise_id,
            options=opts,
            library=lib,
            park_id=park.id,
        )
        return energy_report(stats, lang=lang)
    if kind == "indicators":
        return indicators_document(
            store, year=year, month=month, enterprise_id=enterprise_id, lang=lang,
            options=opts, library=lib, park_id=park.id, profile_files=profile_files,
        )  # fmt: skip
    core_ev = evaluate(
        store,
        year=year,
        month=month,
        enterprise_id=enterprise_id if kind == "enterprise" else None,
        options=opts,
        library=lib,
        indicators=["carbon_per_energy"],
        park_id=park.id,
    )
    core = core_ev.indicators[0]
    if kind == "park":
        result = account_park(store, year=year, month=month, actor=actor, **acc)
        months = []
        for m in range(1, 13) if month is None else ():
            try:
                months.append(account_park(store, year=year, month=m, persist=False, **acc))
            except InvalidInput:
                continue  # a month without energy data has no intensity: not listed
        return park_report(result, months=months, core=core, lang=lang)
    if enterprise_id is None:
        raise InvalidInput("the enterprise report needs an enterprise id", field="enterprise_id")
    result = account_enterprise(
        store,
        enterprise_id=enterprise_id,
        year=year,
        month=month,
        enterprise_scope=scope,
        actor=actor,
        **acc,
    )
    e = enterprises[enterprise_id]
    sites = [
        {
            "code": s.code,
            "name": s.name,
            "area": s.floor_area_m2,
            "use": s.use or "",
            "labels": describe(s.energy_label, s.green_building_star, lang),
        }
        for s in store.registry.sites(park.id)
        if s.enterprise_id == enterprise_id
    ]
    points = [
        {"code": p.code, "name": p.name, "carrier": p.carrier, "unit": p.unit, "level": p.level}
        for p in sorted(store.registry.points_by_id().values(), key=lambda p: p.code)
        if p.enterprise_id == enterprise_id and p.boundary
    ]
    entity = {"name": e.name, "code": e.code, "uscc": e.uscc, "industry": e.industry,
              "park": park.name}  # fmt: skip
    return enterprise_report(
        result, entity=entity, boundary_points=points, sites=sites, core=core, lang=lang,
        ghg=None if month is not None else _ghg_result(store, park.id, enterprise_id, year),
    )  # fmt: skip


def _ghg_result(store: Store, park_id: int, enterprise_id: int, year: int) -> GhgResult | None:
    """The account of the enterprise's GHG document in force for the year, if it has one."""
    rows = GhgRepo(store).documents(
        tenant=Tenant.of_enterprise(enterprise_id), park_id=park_id, year=year,
        enterprise_id=enterprise_id,
    )  # fmt: skip
    if not rows:
        return None
    doc = parse_document(json.loads(rows[-1].document))
    return ghg_account(ghg_metered.fill(store, doc, park_id=park_id, enterprise_id=enterprise_id))


def build_report(
    store: Store,
    *,
    kind: Kind,
    year: int,
    fmt: Fmt = "xlsx",
    month: int | None = None,
    enterprise_id: int | None = None,
    scope: int | None = None,
    lang: str = "zh",
    options: IndicatorOptions | None = None,
    library: FactorLibrary | None = None,
    actor: str = "report",
    park_id: int | None = None,
    profile_files: bool = False,
) -> bytes:
    """The report as ``.xlsx`` or ``.html`` bytes."""
    _check(kind, fmt)
    doc = build_document(
        store,
        kind=kind,
        year=year,
        month=month,
        enterprise_id=enterprise_id,
        scope=scope,
        lang=lang,
        options=options,
        library=library,
        actor=actor,
        park_id=park_id,
        profile_files=profile_files,
    )
    return write_xlsx(doc) if fmt == "xlsx" else write_html(doc)


def write(doc: Report, fmt: Fmt) -> bytes:
    """A built document as bytes of ``fmt``."""
    _check("energy", fmt)
    return write_xlsx(doc) if fmt == "xlsx" else write_html(doc)


def filename(kind: str, year: int, fmt: str, *, month: int | None = None, code: str = "") -> str:
    """A file name such as ``lingtan-park-2025.xlsx`` or ``lingtan-energy-E01-2025-03.html``."""
    _check(kind, fmt)
    period = f"{year}" if month is None else f"{year}-{month:02d}"
    who = f"-{code}" if code else ""
    return f"lingtan-{kind}{who}-{period}.{fmt}"


def indicators_document(
    store: Store,
    *,
    year: int,
    month: int | None = None,
    ytd: bool = False,
    enterprise_id: int | None = None,
    lang: str = "zh",
    options: IndicatorOptions | None = None,
    library: FactorLibrary | None = None,
    park_id: int | None = None,
    profile_files: bool = False,
) -> Report:
    """The indicator report (“1+5”指标评价报告) — the one builder of the CLI, the report
    service and the background ``indicator_report`` job: the national evaluation and one
    section per indicator profile the park chose (when it chose any other than ``national``).

    The caller has checked the enterprise is in its scope."""
    park = store.registry.park(park_id)
    opts = options or IndicatorOptions.of(park_options.used(store, park_id=park.id))
    ev = evaluate(
        store,
        year=year,
        month=month,
        ytd=ytd,
        enterprise_id=enterprise_id,
        options=opts,
        library=library,
        park_id=park.id,
    )
    return indicators_report(
        ev,
        lang=lang,
        profiles=chosen_profiles(store, park.id, year=year, month=month, ytd=ytd,
                                 enterprise_id=enterprise_id, options=opts,
                                 profile_files=profile_files),
    )  # fmt: skip


def chosen_profiles(
    store: Store,
    park_id: int,
    *,
    year: int,
    month: int | None,
    enterprise_id: int | None,
    options: IndicatorOptions,
    ytd: bool = False,
    profile_files: bool = False,
) -> list[ProfileEvaluation]:
    """The park's chosen indicator profiles evaluated, for the indicator report; none when the
    park keeps the default (the national 1+5 the report already shows). A chosen name is a
    shipped profile or one stored for the park (:mod:`lingtan.indicators.park_profiles`); a
    file path only with ``profile_files`` (the CLI)."""
    from lingtan.indicators.park_profiles import resolve_profiles
    from lingtan.indicators.profile_eval import compare_profiles

    chosen = park_options.used(store, park_id=park_id).options
    if tuple(chosen.indicator_profiles) == ("national",):
        return []
    return compare_profiles(
        store,
        resolve_profiles(store, park_id, chosen.indicator_profiles, files=profile_files),
        year=year,
        month=month,
        ytd=ytd,
        enterprise_id=enterprise_id,
        park_type=chosen.park_type,
        options=options,
        park_id=park_id,
    )
