"""Reading request bodies with a size limit (a body larger than the limit is refused with 413
before it is held in memory)."""

from __future__ import annotations

from fastapi import HTTPException, Request


async def read_body(request: Request, *, limit: int) -> bytes:
    """The request body, at most ``limit`` bytes; 413 beyond."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"the body is larger than {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPException(413, f"the body is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
