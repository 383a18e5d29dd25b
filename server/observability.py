"""Request ids, per-request metrics and JSON log lines.

:class:`RequestObserver` is plain ASGI middleware (outermost, so it also times 413s and CORS
preflights): it gives every HTTP request an id (the client's ``X-Request-ID`` when it is short
and plain, else a fresh one), returns it in the response header, makes it visible to every log
record of the request through :data:`REQUEST_ID`, counts the request in :mod:`server.metrics`
and, when asked, writes one JSON access line. In a worker being retired after a reload
(``app.state.draining``) every response says ``Connection: close``. The GraphQL view stores the operation label,
outcome and cost in the request's ASGI ``state``, which this middleware reads at the end.

>>> record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello %s", ("you",), None)
>>> json.loads(JsonFormatter().format(record))["message"]
'hello you'
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from graphql import FieldNode, OperationDefinitionNode
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import SchemaExtension

from server import metrics

__all__ = [
    "REQUEST_ID",
    "JsonFormatter",
    "OperationObserver",
    "RequestIdFilter",
    "RequestObserver",
    "operation_label_of",
    "request_id_of",
]

#: The id of the request being served (``-`` outside a request).
REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("codingkg_request_id", default="-")
_CLIENT_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_ROUTES = frozenset({"/graphql", "/healthz", "/livez", "/readyz", "/metrics", "/admin/reload"})
access_log = logging.getLogger("server.access")


def request_id_of(headers: list[tuple[bytes, bytes]]) -> str:
    """The client's ``X-Request-ID`` when it is safe to echo and log, else a new random id.

    >>> request_id_of([(b"x-request-id", b"abc-1")]), len(request_id_of([(b"x-request-id", b"a b")]))
    ('abc-1', 32)
    """
    for name, value in headers:
        if name == b"x-request-id":
            text = value.decode("latin-1")
            if _CLIENT_ID.match(text):
                return text
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every log record (``-`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True


_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "request_id"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, and any ``extra`` fields.

    Tracebacks are kept (as one string field) for the operator's log; they never reach clients.
    """

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or REQUEST_ID.get(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                line[key] = value if isinstance(value, str | int | float | bool | type(None)) else str(value)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def _draining(scope: Scope) -> bool:
    state = getattr(scope.get("app"), "state", None)
    return bool(getattr(state, "draining", False))


class RequestObserver:
    """ASGI middleware: request id, metrics and (optionally) a JSON access line per request.

    Args:
        app: the wrapped ASGI app.
        access_log: write one ``server.access`` record per request (for ``--log-format json``).
    """

    def __init__(self, app: ASGIApp, access_log: bool = False) -> None:
        self.app = app
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = request_id_of(scope.get("headers", []))
        token = REQUEST_ID.set(rid)
        state = scope.setdefault("state", {})
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [*message.get("headers", []), (b"x-request-id", rid.encode())]
                if _draining(scope):
                    headers.append((b"connection", b"close"))  # a retired worker: reconnect elsewhere
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            path = scope.get("path", "")
            operation = state.get("operation") or (path if path in _ROUTES else "other")
            if status >= 500:
                outcome = "server_error"
            elif status >= 400 and state.get("outcome") in (None, "ok"):
                outcome = "client_error"
            else:
                outcome = state.get("outcome", "ok")
            metrics.observe_request(operation, outcome, seconds, state.get("cost"))
            if self.access_log:
                access_log.info("%s %s %d", scope.get("method", ""), path, status,
                                extra={"request_id": rid, "status": status, "operation": operation, "outcome": outcome,
                                       "duration_ms": round(seconds * 1000, 3), "cost": state.get("cost")})
            REQUEST_ID.reset(token)


class OperationObserver(SchemaExtension):
    """Stores each GraphQL operation's bounded label in the request's ASGI state (see ``server.metrics``)."""

    def on_operation(self) -> Iterator[None]:
        yield
        context = self.execution_context.context
        request = getattr(context, "request", None)
        if request is None:
            return
        request.scope.setdefault("state", {})["operation"] = _operation(self.execution_context)


def _operation(execution: Any) -> str:
    return operation_label_of(execution.graphql_document, execution.operation_name, execution.schema._schema)


def operation_label_of(document: Any, name: str | None, schema: Any) -> str:
    """The bounded metrics label of the operation ``name`` of a parsed document (``None``: did not parse).

    Args:
        document: graphql-core's ``DocumentNode``, or ``None``.
        name: the operation name asked for.
        schema: the graphql-core ``GraphQLSchema``.
    """
    if document is None:
        return "invalid"
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [o for o in operations if name is None or (o.name is not None and o.name.value == name)]
    if len(chosen) != 1:
        return "invalid"
    operation = chosen[0]
    root = schema.get_root_type(operation.operation)
    fields = [s.name.value for s in operation.selection_set.selections if isinstance(s, FieldNode)]
    if root is None or any(f not in root.fields and not f.startswith("__") for f in fields):
        return "invalid"
    return metrics.operation_label(operation.operation.value, fields)
