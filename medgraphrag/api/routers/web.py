"""The web app at `/`: one page and its script and style sheet, package files served as they are.
The page holds no data; everything it shows comes from the API with the user's key."""

from __future__ import annotations

import base64
import hashlib
from functools import cache
from importlib import resources

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from medgraphrag.core.errors import NotFound

router = APIRouter(include_in_schema=False)

# The app's files and their media types: nothing else under /app is served.
ASSETS = {"app.js": "text/javascript; charset=utf-8", "app.css": "text/css; charset=utf-8"}


def _script_hash(name: str) -> str:
    digest = hashlib.sha256(resources.files("medgraphrag.web").joinpath(name).read_bytes()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


# The page and its files may come only from this server; nothing loads from elsewhere. The one
# inline script allowed is the evidence picture's (an answer's graph, drawn in a frame that inherits
# this policy).
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-src 'self'; "
    f"style-src 'self' 'unsafe-inline'; script-src 'self' {_script_hash('evidence.js')}",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


@cache
def _asset(name: str) -> bytes:
    return resources.files("medgraphrag.web").joinpath("app", name).read_bytes()


@router.get("/", response_class=HTMLResponse)
async def page() -> HTMLResponse:
    """The web app."""
    return HTMLResponse(_asset("index.html"), headers=SECURITY_HEADERS)


@router.get("/app/{name}")
async def asset(name: str) -> Response:
    """The app's script or style sheet."""
    if name not in ASSETS:
        raise NotFound(f"no file {name}")
    return Response(_asset(name), media_type=ASSETS[name], headers={**SECURITY_HEADERS, "Cache-Control": "no-cache"})
