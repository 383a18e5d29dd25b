"""The ``/graphql`` endpoint: read the request, price it, run it on a thread within a deadline.

Strawberry's ASGI view runs synchronous resolvers on the event loop, so one large query holds
up every other request, ``/healthz`` included; it also has no place to refuse a query by cost
before it runs, to cap a response's size, or to answer malformed bodies with a JSON error. This
endpoint keeps strawberry for the schema and for serving GraphiQL, and does the HTTP part itself:

1. read the request (:func:`server.request_body.parse_request`): malformed → 400/405/415;
2. price it (:func:`server.cost.query_cost`): over :data:`~server.limits.MAX_COST` → refused
   with the cost and the budget, before any resolver runs;
3. run it (strawberry's ``execute``, on a private event loop) on one of
   :data:`~server.limits.EXECUTION_THREADS` threads, with a deadline of
   :data:`~server.limits.REQUEST_SECONDS` (resolvers check it, see :func:`server.context.graph_of`);
   when every thread is busy and :data:`~server.limits.MAX_QUEUED_REQUESTS` wait, answer 503;
4. encode the answer on that thread too, and replace it by an error when it is larger than
   :data:`~server.limits.MAX_RESPONSE_BYTES`.

Every answered query carries ``extensions.cost``. Errors are GraphQL-shaped JSON
(``{"errors": [{"message": ...}]}``) whatever went wrong.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from graphql import DocumentNode, GraphQLError, OperationDefinitionNode, OperationType, parse, validate
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from strawberry.http import process_result
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types.graphql import OperationType as StrawberryOperationType

from kg.graph import KnowledgeGraph
from server.context import Context
from server.cost import CostExceeded, check_cost, query_cost
from server.limits import (
    EXECUTION_THREADS,
    MAX_COST,
    MAX_QUEUED_REQUESTS,
    MAX_RESPONSE_BYTES,
    MAX_TOKENS,
    REQUEST_SECONDS,
    deadline_message,
)
from server.request_body import BadRequest, GraphQLRequest, parse_request
from server.schema import INTERNAL_ERROR_MESSAGE, extra_validation_rules

__all__ = ["GraphQLEndpoint", "error_response"]

log = logging.getLogger(__name__)

#: A GraphQL name; an ``operationName`` that is not one is not written to the access log.
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,63}", re.ASCII)


def error_response(status: int, message: str, extensions: dict[str, Any] | None = None,
                   headers: dict[str, str] | None = None) -> Response:
    """A GraphQL-shaped JSON error response.

    >>> error_response(415, "unsupported").body
    b'{"errors": [{"message": "unsupported"}]}'
    """
    payload: dict[str, Any] = {"errors": [{"message": message}]}
    if extensions:
        payload["extensions"] = extensions
    return Response(json.dumps(payload), status_code=status, media_type="application/json", headers=headers)


@lru_cache(maxsize=512)
def _parse(query: str) -> DocumentNode | None:
    # The execution parses again (strawberry's ParserCache makes that a lookup); a document
    # that does not parse is left to it, so syntax errors read the same as always.
    try:
        return parse(query, max_tokens=MAX_TOKENS)
    except GraphQLError:
        return None


def _operation(document: DocumentNode | None, name: str | None) -> OperationDefinitionNode | None:
    if document is None:
        return None
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is not None:
        operations = [o for o in operations if o.name is not None and o.name.value == name]
    return operations[0] if len(operations) == 1 else None


@dataclass(slots=True)
class _Outcome:
    """One request as it goes through an execution thread, and what to answer."""

    request: Request
    deadline: float
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] | None = None
    operation: str | None = None
    cost: int = 0
    extensions: dict[str, Any] = field(default_factory=dict)
    #: For :mod:`server.metrics`: ``ok``, ``partial`` or ``error`` once the query was answered.
    result: str | None = None


class GraphQLEndpoint:
    """The ASGI app served at ``/graphql`` (see the module doc).

    Args:
        schema: the strawberry schema (:func:`server.schema.build_schema`).
        kg: the graph every request reads, or a function giving the graph to serve now (a
            reload swaps it; each request keeps the graph it started with).
        ide: an ASGI app that renders GraphiQL for browsers (``GET`` asking for HTML), or
            ``None`` to answer those 404.
        budget: the most a query may cost.
        seconds: the longest a request may run.
        threads: execution threads.
        queued: requests that may wait for a thread.
        max_response_bytes: the largest response body.
    """

    def __init__(
        self,
        schema: Any,
        kg: KnowledgeGraph | Callable[[], KnowledgeGraph],
        ide: Any = None,
        *,
        budget: int = MAX_COST,
        seconds: float = REQUEST_SECONDS,
        threads: int = EXECUTION_THREADS,
        queued: int = MAX_QUEUED_REQUESTS,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
    ) -> None:
        self.schema = schema
        self.graph: Callable[[], KnowledgeGraph] = kg if callable(kg) else (lambda: kg)
        self.ide = ide
        self.budget = budget
        self.seconds = seconds
        self.max_response_bytes = max_response_bytes
        self.capacity = threads + queued
        self.running = 0
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="graphql")
        self._local = threading.local()
        # Only the shape limits: GraphQL's full rule set can take a tenth of a second on a
        # large document, and a refused query should cost the server little.
        self._rules = list(extra_validation_rules())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        response = await self.respond(request)
        if response is None:  # a browser asking for GraphiQL
            if self.ide is not None:
                await self.ide(scope, receive, send)
                return
            response = error_response(404, "GraphiQL is not served here")
        await response(scope, receive, send)

    async def respond(self, request: Request) -> Response | None:
        """The response to one request; ``None`` when it is a browser asking for GraphiQL.

        Only I/O happens on the event loop: reading the body is awaited here, and everything
        that costs CPU (JSON, parsing, pricing, validation, execution, encoding) runs on an
        execution thread.
        """
        if request.method == "GET" and "text/html" in request.headers.get("accept", "") and "query" not in request.query_params:
            return None
        if request.method not in ("GET", "POST"):
            message = f"GraphQL takes GET or POST requests, not {request.method}"
            return error_response(405, message, headers={"allow": "GET, POST"})
        body = await request.body() if request.method == "POST" else b""
        if self.running >= self.capacity:
            return error_response(503, "the server is busy; retry shortly", headers={"retry-after": "1"})
        outcome = _Outcome(request=request, deadline=time.monotonic() + self.seconds)
        self.running += 1
        future = asyncio.get_running_loop().run_in_executor(self.pool, self._handle, outcome, body)
        future.add_done_callback(self._finished)
        try:
            # shield: a timeout must not cancel the thread's future (it cannot stop a thread);
            # the deadline in the context makes the thread stop at its next resolver instead.
            await asyncio.wait_for(asyncio.shield(future), timeout=self.seconds + 0.5)
            status, body, headers = outcome.status, outcome.body, outcome.headers
        except TimeoutError:
            # Answered from here: the thread may still write to `outcome` until it stops.
            status, body, headers = 200, _error_body(deadline_message(self.seconds), dict(outcome.extensions)), None
        request.state.graphql_operation = outcome.operation
        request.state.graphql_cost = outcome.cost
        # What RequestObserver counts in server.metrics (the operation label is OperationObserver's).
        state = request.scope.setdefault("state", {})
        state["cost"] = outcome.cost
        if outcome.result is not None:
            state["outcome"] = outcome.result
        return Response(body, status_code=status, media_type="application/json", headers=headers)

    def _finished(self, _: Any) -> None:
        self.running -= 1

    def _handle(self, outcome: _Outcome, body: bytes) -> None:
        """On an execution thread: read, price, run and encode one request into ``outcome``."""
        try:
            self._answer(outcome, body)
        except Exception:
            # Not the client's fault: keep the traceback in the log, never in the answer.
            log.exception("request handling failed")
            outcome.status, outcome.body, outcome.headers = 500, _error_body(INTERNAL_ERROR_MESSAGE), None

    def _answer(self, outcome: _Outcome, body: bytes) -> None:
        request = outcome.request
        try:
            graphql_request = parse_request(request.method, request.headers.get("content-type"), body, request.query_params)
        except BadRequest as err:
            outcome.status, outcome.body = err.status, _error_body(err.message)
            if err.status == 405:
                outcome.headers = {"allow": "GET, POST"}
            return
        document = _parse(graphql_request.query)
        operation = _operation(document, graphql_request.operation_name)
        outcome.operation = self._loggable_name(graphql_request, operation)
        if request.method == "GET" and operation is not None and operation.operation != OperationType.QUERY:
            outcome.status, outcome.body, outcome.headers = 405, _error_body("only queries may be sent with GET; use POST"), {
                "allow": "POST"}
            return
        if document is not None:
            outcome.cost = query_cost(self.schema._schema, document, graphql_request.variables, graphql_request.operation_name)
        outcome.extensions = {"cost": outcome.cost, "costBudget": self.budget}
        try:
            check_cost(outcome.cost, self.budget)
        except CostExceeded as err:
            # A document also too deep or with too many aliases is told that instead, by the
            # execution, which validates first and so runs nothing.
            if document is not None and not validate(self.schema._schema, document, self._rules):
                outcome.body = _error_body(str(err), outcome.extensions)
                outcome.result = "error"
                return
        outcome.status, outcome.body = self._run(graphql_request, outcome)

    def _run(self, graphql_request: GraphQLRequest, outcome: _Outcome) -> tuple[int, bytes]:
        """Execute and encode: (status, JSON body)."""
        context = Context(kg=self.graph(), request=outcome.request, deadline=outcome.deadline)
        allowed = {StrawberryOperationType.QUERY} if outcome.request.method == "GET" else set(StrawberryOperationType)
        extensions = outcome.extensions
        try:
            result = self._loop().run_until_complete(self.schema.execute(
                graphql_request.query,
                variable_values=graphql_request.variables,
                context_value=context,
                operation_name=graphql_request.operation_name,
                allowed_operation_types=allowed,
            ))
        except InvalidOperationTypeError as err:
            return 405, _error_body(err.as_http_error_reason("GET"))
        except CannotGetOperationTypeError as err:
            return 400, _error_body(err.as_http_error_reason())
        except Exception:
            # Not the client's fault: keep the traceback in the log, never in the answer.
            log.exception("query execution failed")
            return 500, _error_body(INTERNAL_ERROR_MESSAGE)
        if time.monotonic() > outcome.deadline:
            outcome.result = "error"
            return 200, _error_body(deadline_message(self.seconds), extensions)
        outcome.result = "ok" if not result.errors else ("error" if result.data is None else "partial")
        payload = process_result(result)
        payload["extensions"] = {**(payload.get("extensions") or {}), **extensions}
        body = "".join(_json_chunks(payload)).encode()
        if len(body) > self.max_response_bytes:
            return 200, _error_body(
                f"the response would be {len(body)} bytes, more than the limit of {self.max_response_bytes}: "
                "ask for fewer fields or items", extensions)
        return 200, body

    def _loop(self) -> asyncio.AbstractEventLoop:
        # One event loop per execution thread, kept for its life: resolvers may be coroutines
        # (releaseDiff awaits a thread of its own), and a loop per request would cost more.
        loop = getattr(self._local, "loop", None)
        if loop is None:
            loop = self._local.loop = asyncio.new_event_loop()
        return loop

    @staticmethod
    def _loggable_name(graphql_request: GraphQLRequest, operation: OperationDefinitionNode | None) -> str | None:
        if operation is not None and operation.name is not None:
            return operation.name.value
        name = graphql_request.operation_name
        return name if name is not None and _NAME.fullmatch(name) else None


#: Levels of a response encoded piece by piece (see :func:`_json_chunks`).
_CHUNKED_LEVELS = 4


def _json_chunks(value: Any, level: int = 0) -> Iterator[str]:
    """``json.dumps(value)`` in pieces: the top levels item by item, each item in one call.

    ``json.dumps`` is C code that holds the interpreter lock until it is done: 50 ms or more
    for the answer to a large claim batch, during which the event loop cannot answer even
    ``/healthz``. Encoding each item of the top levels separately gives the lock up between
    items. The text is the same.

    >>> value = {"data": {"a": [1, {"b": [None, "é"]}], "c": []}, "errors": [{"message": "x"}]}
    >>> "".join(_json_chunks(value)) == json.dumps(value)
    True
    """
    if level < _CHUNKED_LEVELS and isinstance(value, dict) and value:
        yield "{"
        for n, (key, item) in enumerate(value.items()):
            yield (", " if n else "") + json.dumps(str(key)) + ": "
            yield from _json_chunks(item, level + 1)
        yield "}"
    elif level < _CHUNKED_LEVELS and isinstance(value, list) and value:
        yield "["
        for n, item in enumerate(value):
            if n:
                yield ", "
            yield from _json_chunks(item, level + 1)
        yield "]"
    else:
        yield json.dumps(value)


def _error_body(message: str, extensions: dict[str, Any] | None = None) -> bytes:
    payload: dict[str, Any] = {"data": None, "errors": [{"message": message}]}
    if extensions:
        payload["extensions"] = extensions
    return json.dumps(payload).encode()
