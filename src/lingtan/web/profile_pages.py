"""The park's own indicator profiles on screen (园区自定义指标体系): every stored profile with
its versions (who, when, why, SHA-256), and for park admins a form that uploads (or pastes) a
profile YAML, validates it as ``PUT /api/v1/indicators/profiles/{id}`` does — each error shown
at its line — and stores it as a new version (audited)."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from lingtan.errors import Conflict, InvalidInput
from lingtan.identity.roles import Permission, Principal, require
from lingtan.indicators import park_profiles
from lingtan.web.admin_pages import _check, line_errors
from lingtan.web.routes import _page, _redirect, _render, _store

router = APIRouter(include_in_schema=False)

#: the page's own words (zh-CN, en)
TEXT: dict[str, tuple[str, str]] = {
    "title": ("园区自定义指标体系", "The park's own indicator profiles"),
    "intro": (
        "上传园区自行编制的指标体系（YAML 文件，格式见用户文档《指标体系配置》）：先校验，错误标注在"
        "所在行；每次保存为新版本，旧版本保留。保存后在园区选项“指标体系配置”中选用",
        "Upload a profile the park writes itself (YAML, see docs/indicator-profiles.md): it is "
        "validated with each error at its line; each save is a new version and the old ones "
        "are kept. Choose it in the park options (indicator profiles) to evaluate it",
    ),
    "stored": ("已保存的指标体系", "Stored profiles"),
    "none": ("园区尚未保存自定义指标体系", "The park has stored no profile of its own"),
    "id": ("编号", "Id"),
    "name": ("名称", "Name"),
    "version": ("版本", "Version"),
    "by": ("保存人", "Stored by"),
    "at": ("保存时间", "Stored at"),
    "reason": ("原因", "Reason"),
    "upload": ("上传新版本", "Upload a new version"),
    "file": ("文件", "File"),
    "text": ("或粘贴内容", "or paste the text"),
    "save": ("校验并保存", "Validate and save"),
    "saved": ("已保存", "Saved"),
    "errors": ("请更正以下错误", "Please correct the errors below"),
    "line": ("行", "line"),
    "not_allowed": ("仅园区管理员可上传指标体系", "Only park administrators upload profiles"),
}

#: the largest profile accepted, as the API (park_profiles.MAX_BYTES)
MAX_BYTES = park_profiles.MAX_BYTES


def tt(key: str, lang: str) -> str:
    """The page's text of ``key`` in ``lang``."""
    zh, en = TEXT[key]
    return zh if lang == "zh-CN" else en


def _profiles_page(
    request: Request,
    principal: Principal,
    lang: str,
    *,
    status_code: int = 200,
    text: str = "",
    profile_id: str = "",
    by_line: dict[int, list[str]] | None = None,
    other: list[str] | None = None,
    saved: str | None = None,
) -> Response:
    store = _store(request)
    park_id = store.registry.park(principal.park_id).id
    rows: list[dict[str, Any]] = []
    for prof, _row in park_profiles.stored(store, park_id=park_id):
        for v in reversed(park_profiles.versions(store, park_id=park_id, profile_id=prof.id)):
            rows.append({"profile": prof, "row": v})
    return _render(
        request, "indicator_profiles.html", lang, principal, status_code,
        allowed=principal.can(Permission.ADMIN_PARK), rows=rows, text=text,
        profile_id=profile_id, lines=text.splitlines() if by_line else [],
        by_line=by_line or {}, other=other or [], saved=saved, tt=lambda k: tt(k, lang),
    )  # fmt: skip


@router.get("/indicators/profiles")
def profiles_page(request: Request, saved: str | None = None) -> Response:
    """The park's stored profiles and their versions; the upload form for park admins."""
    return _page(request, lambda p, lang: _profiles_page(request, p, lang, saved=saved))


@router.post("/indicators/profiles")
async def profiles_submit(
    request: Request,
    file: Annotated[UploadFile | None, File()] = None,
    text: Annotated[str, Form(max_length=MAX_BYTES)] = "",
    profile_id: Annotated[str, Form(max_length=64)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Validate the uploaded (or pasted) profile, showing each error at its line, and store it
    as a new version of the park's profile (the id: the field, else the file's name)."""
    content = b"" if file is None else await file.read(MAX_BYTES + 1)
    name = (file.filename if file is not None else None) or ""

    def build(principal: Principal, lang: str) -> Response:
        _check(request, csrf)
        require(principal, Permission.ADMIN_PARK)
        body = text
        pid = profile_id.strip() or re.sub(r"\.ya?ml$", "", name)
        try:
            if content:
                if len(content) > MAX_BYTES:
                    raise InvalidInput(f"a profile is at most {MAX_BYTES // 1024} kB", field="file")
                try:
                    body = content.decode("utf-8-sig")
                except UnicodeDecodeError as err:
                    raise InvalidInput("the profile is not UTF-8 text", field="file") from err
            if not body.strip():
                raise InvalidInput("the profile is empty", field="body")
            if not pid:
                raise InvalidInput("the profile needs an id (the field or the file's name)",
                                   field="profile_id")  # fmt: skip
            _, row = park_profiles.upload(
                _store(request), park_id=_store(request).registry.park(principal.park_id).id,
                profile_id=pid, text=body, actor=principal.actor, reason=reason.strip() or None,
            )  # fmt: skip
        except (InvalidInput, Conflict) as err:
            by_line, other = line_errors(str(err))
            return _profiles_page(
                request, principal, lang, status_code=409 if isinstance(err, Conflict) else 422,
                text=body, profile_id=pid, by_line=by_line, other=other,
            )  # fmt: skip
        return _redirect(request, f"/indicators/profiles?saved={row.profile_id}:{row.version}")

    return await run_in_threadpool(_page, request, build)
