"""The application factory: ``create_app(settings)``.

Routers are mounted in one place. Everything under ``/api/v1`` is authenticated by default:
the protected router carries :func:`~lingtan.api.deps.current_principal` as a dependency, and
only the ``/auth`` router and ``/health`` are mounted outside it — add a route to the open
router only if it must work without credentials.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel
from sqlalchemy import text
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import lingtan
from lingtan.alarms import service as alarm_rules
from lingtan.alarms.engine import Engine
from lingtan.alarms.notify.service import DeliveryWorker
from lingtan.alarms.scheduler import AlarmScheduler
from lingtan.api import docs as api_docs
from lingtan.api import errors
from lingtan.api.accounting.router import router as accounting_router
from lingtan.api.alarms.router import router as alarms_router
from lingtan.api.audit.router import router as audit_router
from lingtan.api.auth.router import open_router as auth_open_router
from lingtan.api.auth.router import router as me_router
from lingtan.api.certificates.router import router as certificates_router
from lingtan.api.compliance.router import router as compliance_router
from lingtan.api.deps import current_principal
from lingtan.api.dispatch.router import router as dispatch_router
from lingtan.api.energy.router import router as energy_router
from lingtan.api.environment.router import router as environment_router
from lingtan.api.equipment.router import router as equipment_router
from lingtan.api.exchange.router import router as exchange_router
from lingtan.api.forecasts.router import router as forecasts_router
from lingtan.api.ghg.router import router as ghg_router
from lingtan.api.incidents.router import router as incidents_router
from lingtan.api.indicators.router import router as indicators_router
from lingtan.api.jobs.router import router as jobs_router
from lingtan.api.limits import BodyLimit
from lingtan.api.matching.router import router as matching_router
from lingtan.api.notify.router import router as notify_router
from lingtan.api.options.router import router as options_router
from lingtan.api.overview.cache import VersionedCache
from lingtan.api.overview.router import router as overview_router
from lingtan.api.overview.service import MIN_REFRESH_S, VERSION_TTL_S
from lingtan.api.programme.router import router as programme_router
from lingtan.api.readings.router import router as readings_router
from lingtan.api.records.router import router as records_router
from lingtan.api.region.router import park_router as region_park_router
from lingtan.api.region.router import router as region_router
from lingtan.api.region.router import signed_router as region_signed_router
from lingtan.api.registry.router import router as registry_router
from lingtan.api.replacements.router import router as replacements_router
from lingtan.api.reports.router import router as reports_router
from lingtan.api.tariffs.router import router as tariffs_router
from lingtan.api.users.router import router as users_router
from lingtan.api.waste.router import router as waste_router
from lingtan.config import Settings, load_settings
from lingtan.errors import Unavailable
from lingtan.jobs.kinds import register_builtin
from lingtan.jobs.runner import BackgroundNormaliser, JobRunner
from lingtan.store import Store, open_store
from lingtan.store.core import serving_request
from lingtan.store.engine import is_memory_sqlite

API_PREFIX = "/api/v1"
#: the interpreter's thread switch interval while the service runs [s] (CPython's default is
#: 5 ms). The normaliser and a view's recomputation are CPU-bound threads of the serving
#: process; every time a request's thread or the event loop comes back from a database round
#: trip it waits up to this long for the GIL, so at 5 ms a cached answer that makes a few
#: round trips queued for tens of ms behind them (bench/api.py --live, docs/api.md "Timeouts")
SWITCH_INTERVAL_S = 0.001
#: paths that work without credentials (everything else answers 401 to anonymous callers)
OPEN_PATHS = frozenset(
    {
        "/health",
        f"{API_PREFIX}/auth/token",
        f"{API_PREFIX}/auth/refresh",
        f"{API_PREFIX}/auth/logout",
    }
)
#: routers mounted behind authentication, in documentation order
PROTECTED_ROUTERS: list[APIRouter] = [
    me_router,
    registry_router,
    readings_router,
    replacements_router,
    energy_router,
    overview_router,
    accounting_router,
    indicators_router,
    options_router,
    certificates_router,
    records_router,
    reports_router,
    incidents_router,
    jobs_router,
    notify_router,
    users_router,
    alarms_router,
    tariffs_router,
    waste_router,
    compliance_router,
    forecasts_router,
    dispatch_router,
    environment_router,
    audit_router,
    matching_router,
    ghg_router,
    exchange_router,
    region_park_router,
    equipment_router,
    programme_router,
]


class Health(BaseModel):
    """Liveness and database reachability."""

    status: str
    database: str
    version: str


class RequestLimits:
    """Pure ASGI middleware: the store's transactions of an HTTP request wait for locks only
    a few seconds (:func:`lingtan.store.core.serving_request`; docs/api.md, "Timeouts").
    The mark is a context variable, so it follows the request into the thread pool."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with serving_request():
            await self.app(scope, receive, send)


class SecurityHeaders:
    """Pure ASGI middleware adding security headers to every HTTP response."""

    HEADERS = (
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"same-origin"),
    )
    #: scripts from the service only; Plotly sets inline styles on its charts
    CSP = (
        b"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        b"img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; "
        b"frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    )
    #: the API pages (/docs, /redoc): scripts from the service only, as everywhere; Swagger UI
    #: and Redoc set inline styles, and Redoc's search index runs in a worker made from a blob
    CSP_DOCS = (
        b"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        b"img-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; "
        b"object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    )
    DOCS_PATHS = ("/docs", "/redoc")

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        csp = self.CSP_DOCS if scope.get("path", "").startswith(self.DOCS_PATHS) else self.CSP

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                headers = (*self.HEADERS, (b"content-security-policy", csp))
                extra = [(k, v) for k, v in headers if k not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _compile_routes(app: FastAPI) -> None:
    """Match one path against every route at start-up: FastAPI compiles an included router's
    routes the first time a request is matched against them, which cost the first request of
    a new process about 0.7 s (measured through a path no route takes: 677 ms, then 6 ms)."""
    scope: dict[str, Any] = {
        "type": "http", "method": "GET", "path": "/", "root_path": "", "headers": [],
        "query_string": b"",
    }  # fmt: skip
    for route in app.router.routes:
        route.matches(scope)


def create_app(
    settings: Settings | None = None, *, store: Store | None = None, background: bool = True
) -> FastAPI:
    """The lingtan service: REST API under ``/api/v1``, dashboard under ``/``, API pages at
    ``/docs`` (Swagger UI) and ``/redoc``.

    ``store``: use this store (tests); otherwise the configured one is opened (and migrated)
    at start-up. ``background``: run the job workers and the background normaliser.
    Refuses to build in production with the default secret.
    """
    settings = settings or load_settings()
    settings.check_production()
    register_builtin()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = store is None
        s: Store = store if store is not None else await run_in_threadpool(open_store, settings)
        app.state.store = s
        runner = normaliser = ticker = notifier = applier = lights = None
        # alarms stream on every batch ingested through this service, background or not
        engine = Engine(s).attach()
        app.state.alarm_engine = engine
        # an incident made from alarms carries their evidence (the register's resolver)
        app.state.alarm_evidence = alarm_rules.evidence_resolver(s)
        if background:
            ticker = AlarmScheduler(engine, interval_s=settings.alarm_tick_s)
            ticker.start()
            runner = JobRunner(s)
            await run_in_threadpool(runner.start)
            normaliser = BackgroundNormaliser(
                s,
                interval_s=settings.normalise_interval_s,
                min_interval_s=settings.normalise_min_interval_s,
                pending_readings=settings.normalise_pending_readings,
                # its own process when the service opened a database another can open too
                database_url=s.url
                if owned and settings.normalise_process and not is_memory_sqlite(s.url)
                else None,
            )
            normaliser.start()
            notifier = DeliveryWorker(s, settings)
            notifier.start()
            engine.on_notified = notifier.poke
            if settings.dispatch_apply:
                from lingtan.dispatch.applier import SetpointApplier

                applier = SetpointApplier(s)
                applier.start()
            if settings.lighting_apply:
                from lingtan.equipment.applier import LightingApplier

                lights = LightingApplier(s, recheck_s=settings.lighting_recheck_s)
                lights.start()
            app.state.runner, app.state.normaliser = runner, normaliser
            app.state.notifier = notifier
        _compile_routes(app)
        switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(SWITCH_INTERVAL_S)
        try:
            yield
        finally:
            if applier is not None:
                await run_in_threadpool(applier.stop)
            if lights is not None:
                await run_in_threadpool(lights.stop)
            if ticker is not None:
                await run_in_threadpool(ticker.stop)
            await run_in_threadpool(engine.detach)
            if notifier is not None:
                await run_in_threadpool(notifier.stop)
            if normaliser is not None:
                await run_in_threadpool(normaliser.stop)
            if runner is not None:
                await run_in_threadpool(runner.stop)
            app.state.runner = app.state.normaliser = app.state.notifier = None
            if owned:
                s.close()
            sys.setswitchinterval(switch_interval)

    app = FastAPI(
        title="lingtan 零碳 API",
        version=lingtan.__version__,
        description=(
            "Park energy-carbon management platform (园区能碳管理平台). Authenticate with "
            "`POST /api/v1/auth/token` (OAuth2 password flow) and send "
            "`Authorization: Bearer <access_token>`, or use an API key (`X-API-Key`). "
            "Errors are RFC 9457 problem details (`application/problem+json`). "
            "See docs/api.md for roles and tenancy."
        ),
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.settings = settings
    app.state.store = store
    app.state.runner = app.state.normaliser = app.state.notifier = None
    app.state.view_cache = VersionedCache(version_ttl_s=VERSION_TTL_S, min_refresh_s=MIN_REFRESH_S)
    errors.install(app)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "X-API-Key"],
        )

    app.add_middleware(SecurityHeaders)
    app.add_middleware(RequestLimits)
    app.add_middleware(BodyLimit)

    @app.get("/health", response_model=Health, tags=["health"])
    def health(request: Request) -> Health:
        """Liveness and database reachability (no authentication)."""
        s: Store | None = request.app.state.store
        if s is None:
            raise Unavailable("the store is not open yet")
        with s.begin() as conn:
            conn.execute(text("SELECT 1"))
        return Health(status="ok", database=s.capabilities.label, version=lingtan.__version__)

    # each router is included once, straight into the app: every level of nested
    # include_router rebuilds every route's dependency tree (FastAPI), which made building the
    # app several times slower
    app.include_router(auth_open_router, prefix=API_PREFIX)
    if settings.mode == "region":
        # a park's upload to a region is authenticated by the park's signature over the body
        # (lingtan.region.service.receive), not by a user: 401/403 without a valid one
        app.include_router(region_signed_router, prefix=API_PREFIX)
    # WARNING: every router below requires authentication; never add an open route here
    authenticated = [Depends(current_principal)]
    for router in PROTECTED_ROUTERS:
        app.include_router(router, prefix=API_PREFIX, dependencies=authenticated)
    if settings.mode == "region":  # the region's views (docs/region.md)
        app.include_router(region_router, prefix=API_PREFIX, dependencies=authenticated)

    api_docs.install(app)

    from lingtan.web import pages as web_pages

    web_pages.install(app)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            app.openapi_schema = errors.document(schema, open_paths=OPEN_PATHS)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
