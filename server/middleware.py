"""ASGI middleware: cap the size of request bodies; log each request without its query.

Starlette limits only multipart form parts, and uvicorn has no body limit, so
:class:`BodySizeLimit` is written by hand: it answers 413 when ``Content-Length`` is too large,
and stops reading (then answers 413) when a body without a length grows past the cap.

uvicorn's access log writes the whole URL, and a GET request carries its query and variables
there; :class:`AccessLog` replaces it with one line naming the path (never the query string),
the status, the time, and the GraphQL operation name and cost the endpoint recorded.
"""

from __future__ import annotations

import json
import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["ACCESS_LOGGER", "AccessLog", "BodySizeLimit"]

#: Name of the access logger (configured by :func:`server.serve.log_config`).
ACCESS_LOGGER = "server.access"


class AccessLog:
    """Log one line per HTTP request: client, method, path, status, milliseconds, operation, cost.

    Args:
        app: the wrapped ASGI app.
        logger: where to log (INFO); :data:`ACCESS_LOGGER` by default.
    """

    def __init__(self, app: ASGIApp, logger: logging.Logger | None = None) -> None:
        self.app = app
        self.log = logger or logging.getLogger(ACCESS_LOGGER)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.log.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            state = scope.get("state") or {}
            client = scope.get("client")
            self.log.info(
                '%s "%s %s" %s %.1fms op=%s cost=%s',
                f"{client[0]}:{client[1]}" if client else "-", scope["method"], scope["path"], status or "-",
                (time.perf_counter() - started) * 1000, state.get("graphql_operation") or "-",
                state.get("graphql_cost", "-"),
            )


class _BodyTooLarge(Exception):
    """Raised inside ``receive`` once the body has grown past the cap."""


class BodySizeLimit:
    """Answer 413 to HTTP requests whose body exceeds ``max_bytes``.

    Args:
        app: the wrapped ASGI app.
        max_bytes: the largest body accepted.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    await self._reject(send, 400, "invalid Content-Length header")
                    return
                if declared > self.max_bytes:
                    await self._reject(send, 413, self._too_large())
                    return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge:
            if not started:
                await self._reject(send, 413, self._too_large())

    def _too_large(self) -> str:
        return f"request body larger than {self.max_bytes} bytes"

    @staticmethod
    async def _reject(send: Send, status: int, message: str) -> None:
        # A GraphQL-shaped body, so clients that only read `errors` still see the reason.
        body = json.dumps({"errors": [{"message": message}]}).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
