"""``/api/v1/indicators``: the 1+5 indicators evaluated against their targets (service:
:func:`lingtan.indicators.evaluate.evaluate`)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.concurrency import run_in_threadpool

from lingtan.api.common import MAX_ID, YearQuery
from lingtan.api.deps import CurrentPrincipal, StoreDep
from lingtan.api.energy.router import scoped_enterprise
from lingtan.api.limits import read_body
from lingtan.errors import InvalidInput
from lingtan.identity.roles import Permission, Principal, require
from lingtan.indicators import park_profiles
from lingtan.indicators.evaluate import evaluate
from lingtan.indicators.park_profiles import ID_PATTERN
from lingtan.store import Store
from lingtan.timeutil import from_us

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
    """Profiles by name (default: the park's chosen ones): shipped ones and the park's stored
    ones. A profile *file* the park's options name is evaluated through the CLI only: the
    service never reads a path it is given, from the request or from the options."""
    from lingtan.indicators.park_profiles import resolve_profiles
    from lingtan.options import service as park_options

    park_id = store.registry.park(principal.park_id).id
    chosen = park_options.used(store, park_id=park_id).options
    wanted = names or list(chosen.indicator_profiles)
    return resolve_profiles(store, park_id, wanted)


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
    park_id = store.registry.park(principal.park_id).id
    chosen = park_options.used(store, park_id=park_id).options
    return {
        "profiles": [{**p.as_dict(), "stored": None} for p in shipped_profiles()]
        + [
            {**p.as_dict(), "stored": _stored(row)}
            for p, row in park_profiles.stored(store, park_id=park_id)
        ],
        "chosen": list(chosen.indicator_profiles),
        "park_type": chosen.park_type,
        "quantities": quantity_catalogue(lang),
    }


def _stored(row: Any) -> dict[str, Any]:
    """Who stored a version of a park's profile, when and why."""
    return {
        "version": row.version,
        "stored_at": from_us(row.created_at).astimezone(dt.UTC).isoformat(),
        "stored_by": row.created_by,
        "reason": row.reason,
        "sha256": row.sha256,
    }


ProfileIdPath = Annotated[str, Path(min_length=1, max_length=64, pattern=ID_PATTERN)]
_PROFILE_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "an indicator profile (YAML, docs/indicator-profiles.md)",
        "content": {"application/yaml": {"schema": {"type": "string"}}},
    }
}


@router.get("/indicators/profiles/{profile_id}", response_model=dict[str, Any])
def get_indicator_profile(
    profile_id: ProfileIdPath,
    principal: CurrentPrincipal,
    store: StoreDep,
    version: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> dict[str, Any]:
    """One profile: a shipped one, or one of the park's stored profiles (its newest version,
    or ``version``) with its YAML text and every stored version."""
    from lingtan.indicators.profiles import SHIPPED, load_profile

    require(principal, Permission.READ)
    if profile_id in SHIPPED:
        if version is not None:
            raise InvalidInput("a shipped profile has no stored versions", field="version")
        return {**load_profile(profile_id).as_dict(), "stored": None, "versions": []}
    park_id = store.registry.park(principal.park_id).id
    prof, row = park_profiles.stored_profile(
        store, park_id=park_id, profile_id=profile_id, version=version
    )
    rows = park_profiles.versions(store, park_id=park_id, profile_id=profile_id)
    return {
        **prof.as_dict(),
        "stored": _stored(row),
        "document": row.document,
        "versions": [_stored(r) for r in rows],
    }


def _upload(
    store: Store, principal: Principal, profile_id: str, text: str, reason: str | None
) -> tuple[Any, Any]:
    return park_profiles.upload(
        store,
        park_id=store.registry.park(principal.park_id).id,
        profile_id=profile_id,
        text=text,
        actor=principal.actor,
        reason=reason,
    )


@router.put(
    "/indicators/profiles/{profile_id}",
    response_model=dict[str, Any],
    status_code=201,
    openapi_extra=_PROFILE_BODY,
)
async def put_indicator_profile(
    profile_id: ProfileIdPath,
    request: Request,
    principal: CurrentPrincipal,
    store: StoreDep,
    reason: Annotated[str | None, Query(max_length=2000)] = None,
) -> dict[str, Any]:
    """Store a new version of one of the park's own indicator profiles (park admins; audited).
    The body is the profile's YAML; it is validated as a profile file (errors name the line),
    its ``id`` is ``profile_id`` and its ``version`` newer than the stored ones (409 if not).
    The park evaluates it once its options name it (``indicator_profiles``)."""
    require(principal, Permission.ADMIN_PARK)  # before the body is read
    body = await read_body(request, limit=park_profiles.MAX_BYTES)
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InvalidInput("the profile is not UTF-8 text", field="body") from err
    prof, row = await run_in_threadpool(_upload, store, principal, profile_id, text, reason)
    return {**prof.as_dict(), "stored": _stored(row)}


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
