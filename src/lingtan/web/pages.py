"""Every router of the dashboard, in one list: the core pages (:mod:`lingtan.web.routes`) and
the pages of each domain package, which import the core helpers and so cannot be included by
it."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from lingtan.web import (
    admin_pages,
    certificates_pages,
    compliance_pages,
    costs_pages,
    dispatch_pages,
    environment_pages,
    equipment_pages,
    exchange_pages,
    forecast_pages,
    ghg_pages,
    indicator_pages,
    matching_pages,
    point_pages,
    profile_pages,
    programme_pages,
    ranking_pages,
    records_pages,
    region_pages,
    routes,
    tree_pages,
    waste_pages,
)

#: the dashboard's routers (tests/web/test_walk.py walks every route of each)
ROUTERS: tuple[APIRouter, ...] = (
    routes.router,
    matching_pages.router,
    costs_pages.router,
    forecast_pages.router,
    dispatch_pages.router,
    environment_pages.router,
    waste_pages.router,
    profile_pages.router,
    indicator_pages.router,
    exchange_pages.router,
    region_pages.router,
    point_pages.router,
    tree_pages.router,
    records_pages.router,
    compliance_pages.router,
    ghg_pages.router,
    ranking_pages.router,
    certificates_pages.router,
    admin_pages.router,
    equipment_pages.router,
    programme_pages.router,
)


def install(app: FastAPI) -> None:
    """Mount the dashboard on ``app``: its static files and every page router."""
    routes.install(app)
    for router in ROUTERS[1:]:
        app.include_router(router)
