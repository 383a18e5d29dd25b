"""Admin endpoints: ``POST /admin/reload``, only when a token is configured.

The token comes from ``CODINGKG_ADMIN_TOKEN`` and is sent as ``Authorization: Bearer <token>``.
A missing or wrong token gets 401 and changes nothing; the comparison takes the same time
whatever the token (``hmac.compare_digest``), so timing reveals nothing about it.

A reload answers 200 with the new version, or 409 when the release was refused (the old graph
keeps serving; the body says why). In a forked worker the reload is handed to the supervisor,
which swaps every worker, and the answer is 202.
"""

from __future__ import annotations

import hmac
import os

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

__all__ = ["TOKEN_ENV", "authorized", "configured_token", "routes"]

TOKEN_ENV = "CODINGKG_ADMIN_TOKEN"


def configured_token() -> str | None:
    """The admin token from the environment (``None`` when unset or empty: admin endpoints off)."""
    return os.environ.get(TOKEN_ENV) or None


def authorized(request: Request, token: str) -> bool:
    """Whether the request carries the token as a bearer credential (constant-time compare).

    >>> from starlette.requests import Request
    >>> good = Request({"type": "http", "headers": [(b"authorization", b"Bearer s3cret")]})
    >>> bad = Request({"type": "http", "headers": [(b"authorization", b"Bearer s3cre")]})
    >>> authorized(good, "s3cret"), authorized(bad, "s3cret")
    (True, False)
    """
    scheme, _, credential = request.headers.get("authorization", "").partition(" ")
    presented = credential.strip().encode() if scheme.lower() == "bearer" else b""
    # compare_digest on the bytes: constant time for equal lengths, no early exit on a prefix.
    return hmac.compare_digest(presented, token.encode())


def _unauthorized() -> JSONResponse:
    return JSONResponse({"errors": [{"message": "admin token missing or wrong"}]}, status_code=401,
                        headers={"WWW-Authenticate": 'Bearer realm="codingkg-admin"'})


def routes(token: str) -> list[Route]:
    """The admin routes, guarded by ``token``."""

    async def reload(request: Request) -> JSONResponse:
        if not authorized(request, token):
            return _unauthorized()
        app = request.app
        hook = app.state.reload_hook
        if hook is not None:
            hook()
            return JSONResponse({"accepted": True, "version": app.state.served.version}, status_code=202)
        outcome = await anyio.to_thread.run_sync(app.state.served.reload)
        return JSONResponse(outcome.to_json(), status_code=200 if outcome.ok else 409)

    return [Route("/admin/reload", reload, methods=["POST"])]
