"""One error schema for every error: RFC 9457 problem details (``application/problem+json``).

Domain errors (:mod:`lingtan.errors`) are mapped to HTTP status codes here, once; routers and
services never build error responses themselves. Unexpected exceptions become a 500 problem
whose body says nothing about the internals (the traceback goes to the server log).
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from lingtan.errors import (
    Conflict,
    InvalidInput,
    LingtanError,
    NotFound,
    PermissionDenied,
    TooBusy,
    Unavailable,
)
from lingtan.identity.errors import AccountLocked, NotAuthenticated

log = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"

#: domain error class → HTTP status, most specific first
STATUS: tuple[tuple[type[LingtanError], int], ...] = (
    (AccountLocked, 401),
    (NotAuthenticated, 401),
    (InvalidInput, 422),
    (NotFound, 404),
    (Conflict, 409),
    (PermissionDenied, 403),
    (TooBusy, 429),
    (Unavailable, 503),
)
TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Invalid input",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}
#: statuses every operation documents (schemathesis checks responses against the schema)
DOCUMENTED = (400, 401, 403, 404, 405, 409, 413, 415, 422, 429, 503)


class Problem(BaseModel):
    """An error (RFC 9457 problem details)."""

    type: str = Field(description="URI naming the kind of problem: urn:lingtan:problem:<code>")
    title: str
    status: int
    detail: str
    code: str = Field(description="stable machine-readable code (lingtan.errors)")
    field: str | None = Field(default=None, description="the input field at fault, if one is")
    errors: list[dict[str, Any]] | None = Field(
        default=None, description="validation errors, one per field"
    )


def problem(
    status: int,
    detail: str,
    *,
    code: str | None = None,
    field: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """A problem+json response."""
    code = code or TITLES.get(status, "error").lower().replace(" ", "_")
    body = Problem(
        type=f"urn:lingtan:problem:{code}",
        title=TITLES.get(status, "Error"),
        status=status,
        detail=detail,
        code=code,
        field=field,
        errors=errors,
    )
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def status_of(err: LingtanError) -> int:
    """The HTTP status of a domain error."""
    for cls, status in STATUS:
        if isinstance(err, cls):
            return status
    return 400


def _domain(request: Request, err: Exception) -> JSONResponse:
    assert isinstance(err, LingtanError)
    status = status_of(err)
    headers: dict[str, str] = {}
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(err, AccountLocked | TooBusy):
        headers["Retry-After"] = str(err.retry_after_s)
    if status == 503:
        headers["Retry-After"] = "5"
    return problem(
        status, str(err), code=err.code, field=getattr(err, "field", None), headers=headers
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)


def _validation(request: Request, err: Exception) -> JSONResponse:
    assert isinstance(err, RequestValidationError)
    errors = [
        {
            "loc": [str(x) for x in e.get("loc", ())],
            "msg": str(e.get("msg", "")),
            "type": str(e.get("type", "")),
        }
        for e in err.errors()
    ]
    first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
    where = ".".join(first["loc"][1:] if len(first["loc"]) > 1 else first["loc"])
    detail = f"{where}: {first['msg']}" if where else str(first["msg"])
    return problem(422, detail, code="invalid_input", field=where or None, errors=_jsonable(errors))


def _unreadable_body(cause: BaseException) -> str:
    """What is wrong with a body FastAPI could not parse (it answers only "There was an error
    parsing the body" and chains the parser's exception)."""
    if isinstance(cause, RecursionError):
        return "the JSON body is nested too deeply to be read"
    if isinstance(cause, UnicodeDecodeError):
        return f"the body is not UTF-8 text (byte {cause.start})"
    if isinstance(cause, ValueError) and str(cause).startswith("Exceeds the limit"):
        # int() refuses more digits than sys.get_int_max_str_digits() (CVE-2020-10735)
        limit = sys.get_int_max_str_digits()
        return f"a number in the JSON body has more than {limit} digits"
    text = str(cause).strip()[:200]
    return f"the request body cannot be parsed: {text or type(cause).__name__}"


def _http(request: Request, err: Exception) -> JSONResponse:
    assert isinstance(err, StarletteHTTPException)
    headers = dict(err.headers or {})
    detail = err.detail if isinstance(err.detail, str) else TITLES.get(err.status_code, "error")
    if err.status_code == 400 and err.__cause__ is not None:
        detail = _unreadable_body(err.__cause__)
        if not detail.startswith("the request body cannot be parsed"):
            return problem(422, detail, code="invalid_input", field="body", headers=headers)
    return problem(err.status_code, detail, headers=headers)


def _unexpected(request: Request, err: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return problem(500, "an unexpected error occurred; it has been logged", code="internal")


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(LingtanError, _domain)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)


def document(openapi: dict[str, Any], *, open_paths: frozenset[str]) -> dict[str, Any]:
    """Give every operation the problem responses (one schema), replacing FastAPI's default
    validation-error schema, and mark open operations as needing no authentication."""
    schemas = openapi.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    ref = {"$ref": "#/components/schemas/Problem"}
    for path, item in openapi.get("paths", {}).items():
        for method, op in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = op.setdefault("responses", {})
            for status in DOCUMENTED:
                if status == 401 and path == "/health":
                    continue
                responses[str(status)] = {
                    "description": TITLES[status],
                    "content": {PROBLEM_MEDIA_TYPE: {"schema": ref}},
                }
            if path in open_paths:
                op["security"] = []
    return openapi
