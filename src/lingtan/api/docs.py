"""The interactive API pages: Swagger UI at ``/docs`` and Redoc at ``/redoc``.

FastAPI writes OpenAPI 3.1, which Swagger UI reads from version 5 on (4.x shows "Unable to
render this definition"). Both viewers come from the installed ``fastapi-offline`` package
(Swagger UI 5 and Redoc 2 bundles, served by the service itself: parks run offline and nothing
is fetched from a CDN). The pages carry no inline script, so their Content-Security-Policy
allows scripts from the service only; Swagger UI is started by ``static/swagger-init.js``,
Redoc by its ``<redoc>`` element.

Redoc 2 draws the Redocly logo from ``cdn.redoc.ly`` in its sidebar, whatever its options; the
bundle is served with that one address replaced by an empty inline image (the "API docs by
Redocly" link stays), so the page asks nothing of another host and breaks no policy.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Final

import fastapi_offline
from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from markupsafe import escape

#: the Swagger UI and Redoc bundles of the installed fastapi-offline package
VIEWERS_DIR: Final = Path(fastapi_offline.__file__).parent / "static"
#: the service's own start-up script of Swagger UI
INIT_DIR: Final = Path(__file__).parent / "static"
ASSETS: Final = "/docs-static"
INIT: Final = "/docs-init"
OPENAPI_URL: Final = "/openapi.json"
#: the remote logo in Redoc 2's sidebar, and what it is served as
REDOC_LOGO: Final = b'src:"https://cdn.redoc.ly/redoc/logo-mini.svg"'
EMPTY_IMAGE: Final = b"src:\"data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E\""

_SWAGGER = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} — Swagger UI</title>
<link rel="icon" href="{assets}/favicon.png">
<link rel="stylesheet" href="{assets}/swagger-ui.css">
</head>
<body>
<p style="font-family:sans-serif;margin:0.5em 1em">{title} · <a href="/redoc">Redoc</a></p>
<div id="swagger-ui" data-openapi="{openapi}"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="{init}/swagger-init.js"></script>
</body>
</html>
"""

_REDOC = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} — Redoc</title>
<link rel="icon" href="{assets}/favicon.png">
</head>
<body style="margin:0">
<redoc spec-url="{openapi}" hide-download-button></redoc>
<script src="{init}/redoc.standalone.js"></script>
</body>
</html>
"""


def _page(template: str, title: str) -> HTMLResponse:
    html = template.format(title=escape(title), assets=ASSETS, init=INIT, openapi=OPENAPI_URL)
    return HTMLResponse(html, headers={"Cache-Control": "no-cache"})


@functools.cache
def redoc_bundle() -> bytes:
    """Redoc's standalone bundle with its remote logo replaced (read once)."""
    bundle = (VIEWERS_DIR / "redoc.standalone.js").read_bytes()
    return bundle.replace(REDOC_LOGO, EMPTY_IMAGE)


def install(app: FastAPI) -> None:
    """Serve ``/docs`` (Swagger UI), ``/redoc`` (Redoc) and their assets on ``app``."""
    app.mount(ASSETS, StaticFiles(directory=str(VIEWERS_DIR)), name="docs-static")

    @app.get(f"{INIT}/redoc.standalone.js", include_in_schema=False)
    def redoc_js() -> Response:
        return Response(
            redoc_bundle(),
            media_type="text/javascript",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    app.mount(INIT, StaticFiles(directory=str(INIT_DIR)), name="docs-init")

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return _page(_SWAGGER, app.title)

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return _page(_REDOC, app.title)
