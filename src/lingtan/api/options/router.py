"""``/api/v1/options`` routes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Path, Query

from lingtan.api.deps import CurrentPrincipal, StoreDep
from lingtan.api.options import service
from lingtan.api.options.schemas import OptionsChange, OptionsVersionOut
from lingtan.options import OptionsVersion
from lingtan.timeutil import from_us

router = APIRouter(tags=["options"])
Lang = Annotated[str, Query(pattern="^(zh-CN|en)$", description="language of `described`")]


def _out(v: OptionsVersion, lang: str) -> OptionsVersionOut:
    return OptionsVersionOut(
        version=v.version,
        options=v.options.as_dict(),
        changed_at=None
        if v.changed_at is None
        else from_us(v.changed_at).astimezone(dt.UTC).isoformat(),
        changed_by=v.changed_by,
        reason=v.reason,
        described=v.options.describe("zh" if lang == "zh-CN" else "en"),
    )


@router.get("/options", response_model=OptionsVersionOut)
def get_options(
    principal: CurrentPrincipal, store: StoreDep, lang: Lang = "zh-CN"
) -> OptionsVersionOut:
    """The park's options now: what the accounting, the indicators, the reports and the
    dashboard use unless a request overrides one."""
    return _out(service.current(store, principal=principal), lang)


@router.get("/options/history", response_model=list[OptionsVersionOut])
def get_options_history(
    principal: CurrentPrincipal, store: StoreDep, lang: Lang = "zh-CN"
) -> list[OptionsVersionOut]:
    """Every version of the park's options, the defaults (version 0) first."""
    return [_out(v, lang) for v in service.history(store, principal=principal)]


@router.get("/options/{version}", response_model=OptionsVersionOut)
def get_options_version(
    version: Annotated[int, Path(ge=0, le=2**31 - 1)],
    principal: CurrentPrincipal,
    store: StoreDep,
    lang: Lang = "zh-CN",
) -> OptionsVersionOut:
    """One version of the park's options (a result names the version it used)."""
    return _out(service.version(store, principal=principal, number=version), lang)


@router.put("/options", response_model=OptionsVersionOut)
def put_options(
    body: OptionsChange, principal: CurrentPrincipal, store: StoreDep, lang: Lang = "zh-CN"
) -> OptionsVersionOut:
    """Store a new version with ``changes`` applied (park admins; audited). Results computed
    afterwards use it; stored results keep the version they used."""
    return _out(
        service.change(
            store,
            principal=principal,
            changes=body.changes,
            reason=body.reason,
            expected_version=body.expected_version,
        ),
        lang,
    )
