"""The REST API (FastAPI): ``create_app(settings)`` builds the service.

One package per domain (``auth``, ``registry``, ``readings``, ``overview``, ``users``,
``audit``, ``jobs`` …), each with its schemas, FastAPI-free service functions that take the
caller explicitly, and a thin router.
"""

from __future__ import annotations

from lingtan.api.app import create_app

__all__ = ["create_app"]
