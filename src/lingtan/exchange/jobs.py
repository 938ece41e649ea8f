"""The ``acceptance_pack`` job kind: the evaluation and acceptance pack (验收评估包) of a park and
year built in the background (``POST /api/v1/jobs`` with ``{"kind": "acceptance_pack",
"params": {"year": 2025}}``); the ZIP is the job's file (``GET /api/v1/jobs/{id}/file``).

Park-wide callers with the reports permission only: the pack is the park's evidence.
"""

from __future__ import annotations

from typing import Any

from lingtan.errors import InvalidInput
from lingtan.exchange.pack import build_pack, pack_filename, sha256_hex
from lingtan.identity.roles import Permission, Principal, require_park_wide
from lingtan.jobs.service import JobContext, JobKind, JobOutput, register_kind
from lingtan.store import Store
from lingtan.store.jobs_repo import JobFile

MEDIA_ZIP = "application/zip"


def _params(store: Store, principal: Principal, params: dict[str, Any]) -> dict[str, Any]:
    require_park_wide(principal, "the acceptance pack")
    unknown = set(params) - {"year", "lang", "park_id"}
    if unknown:
        raise InvalidInput(f"unknown parameters: {', '.join(sorted(unknown))}", field="params")
    year = params.get("year")
    if isinstance(year, str) and year.isdigit():
        year = int(year)
    if not isinstance(year, int) or isinstance(year, bool) or not 1990 <= year <= 2100:
        raise InvalidInput("year must be a whole number in 1990–2100", field="year")
    lang = {"zh": "zh", "zh-CN": "zh", "en": "en"}.get(str(params.get("lang", "zh")))
    if lang is None:
        raise InvalidInput("lang must be zh or en", field="lang")
    return {"year": year, "lang": lang}


def _build(store: Store, ctx: JobContext) -> JobOutput:
    p = ctx.params
    park = store.registry.park(p.get("park_id"))
    data = build_pack(store, year=p["year"], park_id=park.id, lang=p["lang"])
    name = pack_filename(park.code, p["year"])
    return JobOutput(
        result={"filename": name, "bytes": len(data), "sha256": sha256_hex(data)},
        file=JobFile(name, MEDIA_ZIP, data),
    )


def register() -> None:
    """Register the kind."""
    register_kind(
        JobKind(
            name="acceptance_pack",
            handler=_build,
            permission=Permission.REPORTS,
            validate=_params,
            park_wide_only=True,
            description="零碳园区评价验收评估包 zero-carbon park acceptance pack (ZIP)",
            topic="report",
        )
    )
