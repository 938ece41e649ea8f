"""``/api/v1/indicators``: the 1+5 indicators evaluated against their targets (service:
:func:`lingtan.indicators.evaluate.evaluate`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from lingtan.api.common import MAX_ID, YearQuery
from lingtan.api.deps import CurrentPrincipal, StoreDep
from lingtan.api.energy.router import scoped_enterprise
from lingtan.errors import InvalidInput
from lingtan.identity.roles import Permission, Principal, require
from lingtan.indicators.evaluate import evaluate
from lingtan.store import Store

router = APIRouter(tags=["indicators"])


def evaluation_in_scope(
    store: Store,
    *,
    principal: Principal,
    year: int,
    month: int | None,
    ytd: bool,
    enterprise_id: int | None,
    lang: str,
) -> dict[str, Any]:
    """The evaluation of the caller's scope (an enterprise user: its enterprise)."""
    scope = scoped_enterprise(store, principal, enterprise_id)
    if ytd and month is None:
        raise InvalidInput("year-to-date needs a month", field="month")
    return evaluate(
        store, year=year, month=month, ytd=ytd, enterprise_id=scope, park_id=principal.park_id
    ).as_dict(lang=lang)


@router.get("/indicators", response_model=dict[str, Any])
def get_indicators(
    principal: CurrentPrincipal,
    store: StoreDep,
    year: YearQuery,
    month: Annotated[int | None, Query(ge=1, le=12)] = None,
    ytd: bool = False,
    enterprise_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    lang: Annotated[Literal["zh", "en"], Query()] = "zh",
) -> dict[str, Any]:
    """The core indicator (carbon per unit of energy) and the five guiding indicators with
    value, target, status, reason, gap, trend against the base year, data quality and
    evidence (records, factors, clauses)."""
    return evaluation_in_scope(
        store,
        principal=principal,
        year=year,
        month=month,
        ytd=ytd,
        enterprise_id=enterprise_id,
        lang=lang,
    )


# -- indicator profiles (lingtan.indicators.profiles) ------------------------------------------


def _profiles_allowed(store: Store, principal: Principal, names: list[str] | None) -> list[Any]:
    """Shipped profiles by name (default: the park's chosen ones). A profile file the park's
    options name is evaluated through the CLI only: the service never reads a path it is
    given, from the request or from the options."""
    from lingtan.indicators.profiles import SHIPPED, load_profile
    from lingtan.options import service as park_options

    chosen = park_options.used(store, park_id=principal.park_id).options
    wanted = names or list(chosen.indicator_profiles)
    for n in wanted:
        if n not in SHIPPED:
            raise InvalidInput(
                f"unknown profile {n!r}; shipped: {', '.join(SHIPPED)} (a profile file is "
                "evaluated with lingtan indicators --profile FILE)",
                field="profile",
            )
    return [load_profile(n) for n in dict.fromkeys(wanted)]


def _park_type(store: Store, principal: Principal, park_type: str | None) -> str | None:
    from lingtan.options import service as park_options

    if park_type is not None:
        return park_type
    return park_options.used(store, park_id=principal.park_id).options.park_type


@router.get("/indicators/profiles", response_model=dict[str, Any])
def get_indicator_profiles(
    principal: CurrentPrincipal,
    store: StoreDep,
    lang: Annotated[Literal["zh", "en"], Query()] = "zh",
) -> dict[str, Any]:
    """The shipped indicator profiles (national, provincial, group standards) with their
    sources, indicators, definitions and targets; the park's chosen profiles and type; the
    quantities a definition may use."""
    from lingtan.indicators.profile_eval import quantity_catalogue
    from lingtan.indicators.profiles import shipped_profiles
    from lingtan.options import service as park_options

    require(principal, Permission.READ)
    chosen = park_options.used(store, park_id=principal.park_id).options
    return {
        "profiles": [p.as_dict() for p in shipped_profiles()],
        "chosen": list(chosen.indicator_profiles),
        "park_type": chosen.park_type,
        "quantities": quantity_catalogue(lang),
    }


@router.get("/indicators/profile-evaluation", response_model=dict[str, Any])
def get_profile_evaluation(
    principal: CurrentPrincipal,
    store: StoreDep,
    year: YearQuery,
    profile: Annotated[str | None, Query(max_length=64)] = None,
    park_type: Annotated[str | None, Query(max_length=64)] = None,
    month: Annotated[int | None, Query(ge=1, le=12)] = None,
    ytd: bool = False,
    enterprise_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    lang: Annotated[Literal["zh", "en"], Query()] = "zh",
) -> dict[str, Any]:
    """One profile (default: the park's first chosen one) evaluated for the caller's scope:
    each indicator's definition, value, target for the park type, status (meets, fails, not
    assessable, insufficient data naming the missing inputs) and the profile's source."""
    from lingtan.indicators.profile_eval import evaluate_profile

    scope = scoped_enterprise(store, principal, enterprise_id)
    if ytd and month is None:
        raise InvalidInput("year-to-date needs a month", field="month")
    prof = _profiles_allowed(store, principal, None if profile is None else [profile])[0]
    return evaluate_profile(
        store,
        prof,
        year=year,
        month=month,
        ytd=ytd,
        enterprise_id=scope,
        park_type=_park_type(store, principal, park_type),
        park_id=principal.park_id,
    ).as_dict(lang)


@router.get("/indicators/profile-comparison", response_model=dict[str, Any])
def get_profile_comparison(
    principal: CurrentPrincipal,
    store: StoreDep,
    year: YearQuery,
    profiles: Annotated[str | None, Query(max_length=400)] = None,
    park_type: Annotated[str | None, Query(max_length=64)] = None,
    month: Annotated[int | None, Query(ge=1, le=12)] = None,
    ytd: bool = False,
    enterprise_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    lang: Annotated[Literal["zh", "en"], Query()] = "zh",
) -> dict[str, Any]:
    """Profiles side by side on the same data (``profiles``: comma-separated names; default:
    the park's chosen ones): one row per indicator, one column per profile."""
    from lingtan.indicators.profile_eval import compare_profiles, comparison_table

    scope = scoped_enterprise(store, principal, enterprise_id)
    if ytd and month is None:
        raise InvalidInput("year-to-date needs a month", field="month")
    names = None if not profiles else [p.strip() for p in profiles.split(",") if p.strip()]
    if names is not None and len(names) > 8:
        raise InvalidInput("compare at most 8 profiles", field="profiles")
    evs = compare_profiles(
        store,
        _profiles_allowed(store, principal, names),
        year=year,
        month=month,
        ytd=ytd,
        enterprise_id=scope,
        park_type=_park_type(store, principal, park_type),
        park_id=principal.park_id,
    )
    return comparison_table(evs, lang)
