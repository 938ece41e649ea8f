"""The administration pages: users and roles (用户与角色), API keys (接口密钥, the secret shown
once), the park's options and targets (园区选项与目标) and the park file (园区档案: upload,
validate with each error at its line, apply).

Each form calls the same function as its API route (:mod:`lingtan.identity.service` for
``/api/v1/users`` and ``/api/v1/keys``, :mod:`lingtan.api.options.service` for
``/api/v1/options``, :mod:`lingtan.api.registry.service` for ``PUT /api/v1/park``) with the
session's principal, so the permissions, the scope (an enterprise admin manages its own
enterprise's users and keys) and the audit log are the API's. Every form carries the session's
CSRF token and is refused without it; invalid input shows the form again with the error at
its field (422). A user without the permission sees a notice instead of the form.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Final
from zoneinfo import ZoneInfo

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import ValidationError

from lingtan.api.options import service as options_api
from lingtan.api.registry import service as registry_api
from lingtan.api.users.schemas import KeyCreate, UserCreate, UserUpdate
from lingtan.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from lingtan.identity import service as identity
from lingtan.identity.roles import Permission, Principal, Role, require
from lingtan.options.model import CHOICE_NAMES, CHOICES, OPTION_NAMES, ParkOptions
from lingtan.registry import parse_park_text
from lingtan.store.query_repo import QueryRepo
from lingtan.timeutil import to_us
from lingtan.web import session
from lingtan.web.records_pages import field_errors, form_enterprise
from lingtan.web.routes import _page, _redirect, _render, _settings, _store

router = APIRouter(include_in_schema=False)

#: largest park file accepted from the page [bytes] (the API's limit)
MAX_PARK_FILE: Final = 10 * 1024 * 1024

#: the pages' own words (zh-CN, en)
TEXT: Final[dict[str, tuple[str, str]]] = {
    "users": ("用户与角色", "Users and roles"),
    "users_intro": (
        "园区管理员管理全部用户；企业管理员管理本企业的用户。停用、改角色或重设密码会结束该用户的会话",
        "Park administrators manage every user; an enterprise administrator its own "
        "enterprise's users. Deactivating, changing the role or resetting the password ends "
        "the user's sessions",
    ),
    "keys": ("接口密钥", "API keys"),
    "keys_intro": (
        "供数据采集（ingest：只能上传读数）或只读访问（read）使用；密钥只在创建时显示一次，请立即保存",
        "For data collection (ingest: may only send readings) or read-only access (read); "
        "the key is shown once, when it is created: store it now",
    ),
    "options": ("园区选项与目标", "Park options and targets"),
    "options_intro": (
        "核算、指标、报表与看板共用的园区选项；每次修改保存为新版本，已存结果保留其所用版本",
        "The park's options used by the accounting, the indicators, the reports and the "
        "dashboard; each change is stored as a new version, stored results keep theirs",
    ),
    "parkfile": ("园区档案", "Park file"),
    "parkfile_intro": (
        "上传园区档案（YAML 或 TOML 格式，说明见用户文档）：先校验，错误标注到行；校验通过后再应用",
        "Upload a park file (YAML or TOML, see docs/park-file.md): validate it first, each "
        "error shown at its line; then apply it",
    ),
    "not_allowed": ("您的角色无权使用此页面", "Your role may not use this page"),
    "new_user": ("新增用户", "New user"),
    "username": ("用户名", "Username"),
    "password": ("密码", "Password"),
    "new_password": ("新密码（可选）", "New password (optional)"),
    "role": ("角色", "Role"),
    "enterprise": ("企业", "Enterprise"),
    "none": ("无（园区级）", "none (park-wide)"),
    "display_name": ("显示名称", "Display name"),
    "lang": ("语言", "Language"),
    "active": ("启用", "Active"),
    "locked": ("已锁定", "locked"),
    "unlock": ("解除锁定", "Unlock"),
    "change": ("修改", "Change"),
    "save": ("保存", "Save"),
    "create": ("创建", "Create"),
    "name": ("名称", "Name"),
    "scope": ("用途", "Scope"),
    "points": ("限定计量点（可选，逗号分隔）", "Only these points (optional, comma-separated)"),
    "expires": ("到期日（可选）", "Expires on (optional)"),
    "prefix": ("前缀", "Prefix"),
    "created": ("创建", "Created"),
    "last_used": ("最近使用", "Last used"),
    "revoked": ("已吊销", "revoked"),
    "revoke": ("吊销", "Revoke"),
    "key_once": (
        "新密钥如下，只显示这一次，请立即复制保存：",
        "The new key, shown this once: copy and store it now:",
    ),
    "option": ("选项", "Option"),
    "value": ("取值", "Value"),
    "reason": ("修改原因", "Reason"),
    "version": ("当前版本", "Current version"),
    "history": ("历史版本", "History"),
    "changed_by": ("修改人", "Changed by"),
    "defaults": ("默认值", "defaults"),
    "file": ("文件", "File"),
    "text": ("或粘贴内容", "or paste the text"),
    "format": ("格式", "Format"),
    "validate": ("校验", "Validate"),
    "apply": ("应用", "Apply"),
    "valid": (
        "校验通过：{e} 家企业、{s} 个场地、{p} 个计量点",
        "Valid: {e} enterprises, {s} sites, {p} points",
    ),
    "applied": ("已应用园区档案", "Park file applied"),
    "created_n": ("新增", "created"),
    "updated_n": ("更新", "updated"),
    "unchanged_n": ("未变", "unchanged"),
    "line": ("行", "line"),
    "errors": ("请更正以下错误", "Please correct the errors below"),
    "saved": ("已保存", "Saved"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
}


def words(key: str, lang: str) -> str:
    """A word of these pages in ``lang``."""
    zh, en = TEXT[key]
    return zh if lang == "zh-CN" else en


def _check(request: Request, csrf: str) -> None:
    if not session.csrf_ok(request, csrf):
        raise PermissionDenied("invalid form token")


def _errors(err: Exception, lang: str) -> tuple[dict[str, str], int]:
    if isinstance(err, ValidationError):
        return field_errors(err, lang), 422
    if isinstance(err, Conflict):
        return {"body": str(err)}, 409
    assert isinstance(err, InvalidInput)
    return {err.field or "body": str(err)}, 422


def _enterprises(request: Request, principal: Principal) -> list[Any]:
    store = _store(request)
    return QueryRepo(store).enterprises(
        tenant=principal.tenant, park_id=store.registry.park(principal.park_id).id
    )[0]


# -- users ----------------------------------------------------------------------------------
def _users(
    request: Request,
    principal: Principal,
    lang: str,
    *,
    status_code: int = 200,
    which: str | None = None,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    edited: dict[str, str] | None = None,
    saved: bool = False,
) -> Response:
    allowed = principal.can(Permission.MANAGE_USERS) or principal.can(Permission.READ_AUDIT)
    rows = (
        identity.list_users(_store(request), actor=principal, limit=1000, offset=0)[0]
        if allowed
        else []
    )
    roles = [r.value for r in Role]
    if principal.enterprise_id is not None:
        roles = [r for r in roles if r in ("enterprise_admin", "enterprise_viewer", "integrator")]
    return _render(
        request, "users.html", lang, principal, status_code, allowed=allowed, users=rows,
        roles=roles, enterprises=_enterprises(request, principal) if allowed else [],
        can_manage=principal.can(Permission.MANAGE_USERS), which=which, errors=errors or {},
        form=form or {}, edited=edited or {}, saved=saved, w=lambda k: words(k, lang),
    )  # fmt: skip


@router.get("/users")
def users_page(request: Request, saved: bool = False) -> Response:
    """The users in the caller's scope (managers and auditors), and the forms (managers)."""
    return _page(request, lambda p, lang: _users(request, p, lang, saved=saved))


@router.post("/users")
def users_create(
    request: Request,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    role: Annotated[str, Form(max_length=32)] = "",
    enterprise_id: Annotated[str, Form(max_length=20)] = "",
    display_name: Annotated[str, Form(max_length=200)] = "",
    lang: Annotated[str, Form(max_length=8)] = "zh-CN",
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Create a user (the password hashed; audited without it)."""
    form = {"username": username, "role": role, "enterprise_id": enterprise_id,
            "display_name": display_name, "lang": lang}  # fmt: skip

    def build(principal: Principal, page_lang: str) -> Response:
        _check(request, csrf)
        require(principal, Permission.MANAGE_USERS)
        data: dict[str, Any] = {k: v.strip() for k, v in form.items() if v.strip()}
        data["password"] = password
        data["enterprise_id"] = form_enterprise(enterprise_id)
        try:
            body = UserCreate(**data)
            identity.create_user(
                _store(request), actor=principal, username=body.username, password=body.password,
                role=body.role.value, enterprise_id=body.enterprise_id,
                display_name=body.display_name, lang=body.lang,
            )  # fmt: skip
        except (ValidationError, InvalidInput, Conflict) as err:
            errors, code = _errors(err, page_lang)
            return _users(request, principal, page_lang, status_code=code, which="new",
                          errors=errors, form=form)  # fmt: skip
        return _redirect(request, "/users?saved=true")

    return _page(request, build)


@router.post("/users/{user_id}")
def users_update(
    request: Request,
    user_id: int,
    role: Annotated[str, Form(max_length=32)] = "",
    enterprise_id: Annotated[str, Form(max_length=20)] = "",
    active: Annotated[str, Form(max_length=8)] = "",
    unlock: Annotated[str, Form(max_length=8)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Change a user's role, enterprise or state, unlock it or set a new password."""

    def build(principal: Principal, lang: str) -> Response:
        _check(request, csrf)
        require(principal, Permission.MANAGE_USERS)
        if not 1 <= user_id <= 2**53:
            raise NotFound("user not found")
        data: dict[str, Any] = {"active": active == "true", "unlock": unlock == "true"}
        if role.strip():
            data["role"] = role.strip()
        if enterprise_id.strip():
            data["enterprise_id"] = form_enterprise(enterprise_id)
        if password:
            data["password"] = password
        try:
            body = UserUpdate(**data)
            identity.update_user(
                _store(request), actor=principal, user_id=user_id,
                role=None if body.role is None else body.role.value,
                enterprise_id=body.enterprise_id, active=body.active, unlock=body.unlock,
                password=body.password,
            )  # fmt: skip
        except (ValidationError, InvalidInput, Conflict) as err:
            errors, code = _errors(err, lang)
            # the change refused keeps what was chosen (never the password)
            edited = {"role": role, "enterprise_id": enterprise_id, "active": active}
            return _users(request, principal, lang, status_code=code, which=str(user_id),
                          errors=errors, edited=edited)  # fmt: skip
        return _redirect(request, "/users?saved=true")

    return _page(request, build)


# -- API keys -------------------------------------------------------------------------------
def _keys(
    request: Request,
    principal: Principal,
    lang: str,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    secret: str | None = None,
) -> Response:
    allowed = principal.can(Permission.MANAGE_USERS) or principal.can(Permission.READ_AUDIT)
    rows = (
        identity.list_api_keys(_store(request), actor=principal, limit=1000, offset=0)[0]
        if allowed
        else []
    )
    return _render(
        request, "keys.html", lang, principal, status_code, allowed=allowed, keys=rows,
        enterprises=_enterprises(request, principal) if allowed else [],
        can_manage=principal.can(Permission.MANAGE_USERS), errors=errors or {},
        form=form or {}, secret=secret, w=lambda k: words(k, lang),
    )  # fmt: skip


@router.get("/keys")
def keys_page(request: Request) -> Response:
    """The API keys in the caller's scope (prefixes only), and the forms."""
    return _page(request, lambda p, lang: _keys(request, p, lang))


@router.post("/keys")
def keys_create(
    request: Request,
    name: Annotated[str, Form(max_length=200)] = "",
    scope: Annotated[str, Form(max_length=16)] = "",
    enterprise_id: Annotated[str, Form(max_length=20)] = "",
    points: Annotated[str, Form(max_length=100_000)] = "",
    expires_on: Annotated[str, Form(max_length=10)] = "",
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Create an API key and show its secret, this once (the page is not cached)."""
    form = {"name": name, "scope": scope, "enterprise_id": enterprise_id, "points": points,
            "expires_on": expires_on}  # fmt: skip

    def build(principal: Principal, lang: str) -> Response:
        _check(request, csrf)
        require(principal, Permission.MANAGE_USERS)
        data: dict[str, Any] = {"name": name.strip(), "scope": scope.strip()}
        data["enterprise_id"] = form_enterprise(enterprise_id)
        codes = [p for p in re.split(r"[\s,，]+", points) if p]
        if codes:
            data["points"] = codes
        if expires_on.strip():
            tz = _settings(request).timezone
            data["expires_at"] = f"{expires_on.strip()}T00:00:00{_offset(tz)}"
        try:
            body = KeyCreate(**data)
            _info, secret = identity.create_api_key(
                _store(request), actor=principal, name=body.name, scope=body.scope,
                enterprise_id=body.enterprise_id,
                points=None if body.points is None else list(body.points),
                expires_at=None if body.expires_at is None else to_us(body.expires_at),
            )  # fmt: skip
        except (ValidationError, InvalidInput, Conflict) as err:
            errors, code = _errors(err, lang)
            if "expires_at" in errors:
                errors["expires_on"] = errors.pop("expires_at")
            return _keys(request, principal, lang, status_code=code, errors=errors, form=form)
        return _keys(request, principal, lang, status_code=201, secret=secret)

    return _page(request, build)


def _offset(tz: str) -> str:
    """The UTC offset of the park's zone now (``+08:00``), for a day typed in the form."""
    off = dt.datetime.now(ZoneInfo(tz)).utcoffset() or dt.timedelta()
    minutes = int(off.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


@router.post("/keys/{key_id}/revoke")
def keys_revoke(
    request: Request, key_id: int, csrf: Annotated[str, Form(max_length=100)] = ""
) -> Response:
    """Revoke an API key; it stops working at once."""

    def build(principal: Principal, lang: str) -> Response:
        _check(request, csrf)
        if not 1 <= key_id <= 2**53:
            raise NotFound("key not found")
        identity.revoke_api_key(_store(request), actor=principal, key_id=key_id)
        return _redirect(request, "/keys")

    return _page(request, build)


# -- options and targets --------------------------------------------------------------------
def _options(
    request: Request,
    principal: Principal,
    lang: str,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    saved: bool = False,
) -> Response:
    store = _store(request)
    current = options_api.current(store, principal=principal)
    history = options_api.history(store, principal=principal)
    short = "zh" if lang == "zh-CN" else "en"
    values = current.options.as_dict()
    fields = []
    for name in OPTION_NAMES:
        value = values[name]
        shown = form.get(name) if form else None
        fields.append({
            "name": name,
            "label": OPTION_NAMES[name][0 if short == "zh" else 1],
            "choices": [
                (c, CHOICE_NAMES.get(name, {}).get(c, (c, c))[0 if short == "zh" else 1])
                for c in CHOICES.get(name, ())
            ],
            "value": shown if shown is not None else _text(value),
        })  # fmt: skip
    return _render(
        request, "options.html", lang, principal, status_code, current=current,
        history=list(reversed(history)), fields=fields, short=short,
        can_change=principal.can(Permission.ADMIN_PARK), errors=errors or {},
        reason=(form or {}).get("reason", ""), saved=saved, w=lambda k: words(k, lang),
    )  # fmt: skip


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value))
    return str(value)


@router.get("/options")
def options_page(request: Request, saved: bool = False) -> Response:
    """The park's options now, their history, and the form (park admins)."""
    return _page(request, lambda p, lang: _options(request, p, lang, saved=saved))


@router.post("/options")
async def options_submit(request: Request) -> Response:
    """Store a new version with the changed options (park admins; audited). Only the options
    whose value differs from the current version are sent as changes."""
    posted = await request.form(max_fields=100, max_files=0)
    form = {k: str(v)[:2000] for k, v in posted.items() if k in OPTION_NAMES or k in (
        "reason", "csrf", "expected_version")}  # fmt: skip

    def build(principal: Principal, lang: str) -> Response:
        _check(request, form.get("csrf", ""))
        require(principal, Permission.ADMIN_PARK)
        store = _store(request)
        current = options_api.current(store, principal=principal).options.as_dict()
        changes = {
            k: v.strip() for k, v in form.items() if k in OPTION_NAMES and v.strip() != _text(current[k])
        }  # fmt: skip
        expected = form.get("expected_version", "")
        try:
            if not changes:
                raise InvalidInput("no option was changed", field="body")
            ParkOptions().replace(current).replace(changes)  # each value checked, field named
            options_api.change(
                store, principal=principal, changes=changes,
                reason=form.get("reason", "").strip() or None,
                expected_version=int(expected) if expected.isdigit() else None,
            )  # fmt: skip
        except (InvalidInput, Conflict) as err:
            errors, code = _errors(err, lang)
            return _options(request, principal, lang, status_code=code, errors=errors, form=form)
        return _redirect(request, "/options?saved=true")

    return await run_in_threadpool(_page, request, build)


# -- park file ------------------------------------------------------------------------------
#: ``name:LINE rest`` (a park file) or ``name:LINE: rest`` (an indicator profile)
_LINE = re.compile(r"^[^:\n]*:(\d+):? (.*)$")


def line_errors(message: str) -> tuple[dict[int, list[str]], list[str]]:
    """A park file's or a profile's validation message split into errors by line
    (``name:LINE path: rule`` per line, :func:`lingtan.registry.parse_park_text`;
    ``name.yaml:LINE: message``, :func:`lingtan.indicators.profiles.parse_profile`; or a
    parser's message naming ``line N``) and the errors that name no line."""
    by_line: dict[int, list[str]] = {}
    other: list[str] = []
    parts = message.splitlines()
    if any(_LINE.match(p) for p in parts):
        for part in parts:
            m = _LINE.match(part)
            if m:
                by_line.setdefault(int(m.group(1)), []).append(m.group(2))
            elif part.strip():
                other.append(part)
        return by_line, other
    found = re.search(r"\bline (\d+)\b", message)
    if found:
        return {int(found.group(1)): [message]}, []
    return {}, [message] if message.strip() else []


def _park_file(
    request: Request,
    principal: Principal,
    lang: str,
    *,
    status_code: int = 200,
    text: str = "",
    fmt: str = "yaml",
    by_line: dict[int, list[str]] | None = None,
    other: list[str] | None = None,
    valid: str | None = None,
    applied: dict[str, Any] | None = None,
) -> Response:
    return _render(
        request, "park_file.html", lang, principal, status_code,
        allowed=principal.can(Permission.ADMIN_PARK), text=text, fmt=fmt,
        lines=text.splitlines() if by_line else [], by_line=by_line or {}, other=other or [],
        valid=valid, applied=applied, w=lambda k: words(k, lang),
    )  # fmt: skip


@router.get("/park-file")
def park_file_page(request: Request) -> Response:
    """The park file form (park admins)."""
    return _page(request, lambda p, lang: _park_file(request, p, lang))


@router.post("/park-file")
async def park_file_submit(
    request: Request,
    file: Annotated[UploadFile | None, File()] = None,
    text: Annotated[str, Form(max_length=MAX_PARK_FILE)] = "",
    fmt: Annotated[str, Form(max_length=8)] = "yaml",
    action: Annotated[str, Form(max_length=16)] = "validate",
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Validate the uploaded (or pasted) park file, showing each error at its line; with
    ``action=apply``, load it as ``PUT /api/v1/park`` does (audited)."""
    content = b"" if file is None else await file.read(MAX_PARK_FILE + 1)
    name = (file.filename if file is not None else None) or ""

    def build(principal: Principal, lang: str) -> Response:
        _check(request, csrf)
        require(principal, Permission.ADMIN_PARK)
        chosen = "toml" if fmt == "toml" or name.lower().endswith(".toml") else "yaml"
        body = text
        try:
            if content:
                if len(content) > MAX_PARK_FILE:
                    raise InvalidInput(
                        f"the file is larger than {MAX_PARK_FILE} bytes", field="file"
                    )
                try:
                    body = content.decode("utf-8-sig")
                except UnicodeDecodeError as err:
                    raise InvalidInput("the park file is not UTF-8 text", field="file") from err
            if not body.strip():
                raise InvalidInput("the park file is empty", field="body")
            model = parse_park_text(body, fmt=chosen, name="park file")
            if action != "apply":
                valid = words("valid", lang).format(
                    e=len(model.enterprises), s=len(model.sites), p=len(model.points)
                )
                return _park_file(request, principal, lang, text=body, fmt=chosen, valid=valid)
            report = registry_api.load_park_file(
                _store(request), principal=principal, text=body, fmt=chosen,  # type: ignore[arg-type]
                future_skew_s=_settings(request).future_skew_s,
            )  # fmt: skip
        except (InvalidInput, Conflict) as err:
            by_line, other = line_errors(str(err))
            if not by_line and not other:
                other = [str(err)]
            return _park_file(
                request, principal, lang, status_code=409 if isinstance(err, Conflict) else 422,
                text=body, fmt=chosen, by_line=by_line, other=other,
            )  # fmt: skip
        normaliser = getattr(request.app.state, "normaliser", None)
        if normaliser is not None and (
            report.renormalise or report.created.get("meter_replacement")
        ):
            normaliser.poke()
        applied = {"created": report.created, "updated": report.updated,
                   "unchanged": report.unchanged}  # fmt: skip
        return _park_file(request, principal, lang, text="", fmt=chosen, applied=applied)

    return await run_in_threadpool(_page, request, build)
