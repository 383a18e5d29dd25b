"""The browser pages: the GraphiQL playground, the code explorer and a landing page.

Every script, stylesheet and font the pages use ships in ``server/static`` (built from
``frontend/`` and committed), so no request leaves the server; a Content-Security-Policy
tells the browser to refuse any that would. The pages read the server's limits from a JSON
element the server writes into them, and call the API by a relative URL, so they work behind
a path prefix and send nothing the API would refuse. ``--no-graphiql`` turns them all off.

>>> sorted(r.path for r in page_routes(ServerSettings(), "v1"))
['/', '/explore', '/static']
>>> page_routes(ServerSettings(graphiql=False), "v1")
[]
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from server import limits
from server.settings import ServerSettings

__all__ = ["CONTENT_SECURITY_POLICY", "STATIC_DIR", "examples", "graphiql_page", "page_config", "page_routes"]

STATIC_DIR = Path(__file__).parent / "static"
TEMPLATE_DIR = Path(__file__).parent / "templates"

#: Only this server may be asked for scripts, styles, fonts, images and API calls. Inline styles
#: are allowed because GraphiQL and the map library set style attributes; inline scripts are not.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'self'; form-action 'self'"
)
_HEADERS = {"content-security-policy": CONTENT_SECURITY_POLICY, "x-content-type-options": "nosniff",
            "referrer-policy": "no-referrer", "cache-control": "no-cache"}
_PLACEHOLDER = re.compile(r"\{(static|root|config|release|version:[\w.]+)\}")


@cache
def examples() -> list[dict[str, Any]]:
    """The README's example operations, opened as the playground's first tabs.

    Returns:
        A list of ``{"name", "query", "variables"?}`` objects, in README order.
    """
    return json.loads((TEMPLATE_DIR / "examples.json").read_text(encoding="utf-8"))


def page_config(settings: ServerSettings) -> dict[str, Any]:
    """What the pages need to know about this server: where the API is and what it accepts.

    Args:
        settings: the served settings (for the body cap).

    Returns:
        A JSON-ready dict written into each page.
    """
    return {
        "endpoint": "./graphql",
        "limits": {
            "maxBodyBytes": settings.max_body_bytes,
            "maxTextLength": limits.MAX_TEXT_LENGTH,
            "maxCodeLength": limits.MAX_CODE_LENGTH,
            "maxCodes": limits.MAX_CODES,
            "maxFirst": limits.MAX_FIRST,
            "maxRelatedDepth": limits.MAX_RELATED_DEPTH,
            "maxClaimLines": limits.MAX_CLAIM_LINES,
        },
    }


@cache
def _asset_version(name: str) -> str:
    # A content hash in each asset URL, so a browser never runs a stale bundle after an upgrade.
    return hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:12]


def _render(template: str, config: dict[str, Any], release: str = "") -> HTMLResponse:
    # str.format would trip over the braces of inline CSS, so placeholders are replaced by name.
    text = (TEMPLATE_DIR / template).read_text(encoding="utf-8")
    values = {
        "static": "./static",
        "root": "./",
        # "<" escaped so no string in the config can close the script element.
        "config": json.dumps(config).replace("<", "\\u003c"),
        "release": html.escape(release),
    }

    def substitute(match: re.Match[str]) -> str:
        key = match.group(1)
        return _asset_version(key.split(":", 1)[1]) if key.startswith("version:") else values[key]

    return HTMLResponse(_PLACEHOLDER.sub(substitute, text), headers=_HEADERS)


def graphiql_page(settings: ServerSettings) -> HTMLResponse:
    """The self-hosted GraphiQL page, opening with the README's examples as tabs.

    Args:
        settings: the served settings.

    Returns:
        The HTML response (with a Content-Security-Policy that keeps every request on this server).
    """
    return _render("graphiql.html", {**page_config(settings), "examples": examples()})


def page_routes(settings: ServerSettings, release: str) -> list[BaseRoute]:
    """The routes of the browser pages: ``/`` (landing), ``/explore`` and ``/static``.

    Args:
        settings: the served settings; ``graphiql=False`` turns every page off.
        release: the served data version, shown on the landing page.

    Returns:
        Routes to add to the app (none when the pages are off).
    """
    if not settings.graphiql:
        return []
    config = page_config(settings)

    async def landing(_: Request) -> HTMLResponse:
        return _render("landing.html", config, release)

    async def explore(_: Request) -> HTMLResponse:
        return _render("explore.html", config)

    return [
        Route("/", landing, methods=["GET"]),
        Route("/explore", explore, methods=["GET"]),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
    ]
