"""Request body limits: a service-wide ceiling applied before any route (:class:`BodyLimit`)
and per-route limits for bodies a route reads itself (:func:`read_body`). A body larger than
its limit is refused with 413 before it is held in memory."""

from __future__ import annotations

from fastapi import HTTPException, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lingtan.api.errors import problem

#: the largest request body the service accepts [bytes]: the bulk ingest route's limit; other
#: routes set smaller limits of their own
MAX_REQUEST_BYTES = 64 * 1024 * 1024


def _too_large(limit: int) -> HTTPException:
    return HTTPException(413, f"the body is larger than {limit} bytes")


def _declared_over(content_length: bytes | str | None, limit: int) -> bool:
    if content_length is None:
        return False
    text = content_length.decode("latin-1") if isinstance(content_length, bytes) else content_length
    return text.isdigit() and int(text) > limit


async def read_body(request: Request, *, limit: int) -> bytes:
    """The request body, at most ``limit`` bytes; 413 beyond."""
    if _declared_over(request.headers.get("content-length"), limit):
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


class BodyLimit:
    """Pure ASGI middleware refusing request bodies over ``limit`` bytes before any route
    (and before FastAPI parses a form or upload): 413 on a declared Content-Length over the
    limit; a chunked body is counted as it arrives and stopped at the limit."""

    def __init__(self, app: ASGIApp, limit: int = MAX_REQUEST_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _declared_over(dict(scope.get("headers", [])).get(b"content-length"), self.limit):
            response = problem(413, str(_too_large(self.limit).detail))
            await response(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _too_large(self.limit)
            return message

        await self.app(scope, counted, send)
