"""The ``/graphql`` endpoint: read the request, price it, run it on a thread within a deadline.

Strawberry's ASGI view runs synchronous resolvers on the event loop, so one large query holds
up every other request, ``/healthz`` included; it also has no place to refuse a query by cost
before it runs, to cap a response's size, or to answer malformed bodies with a JSON error. This
endpoint keeps strawberry for the schema and for serving GraphiQL, and does the HTTP part itself:

1. read the request (:func:`server.request_body.parse_request`): malformed → 400/405/415;
2. price it (:func:`server.cost.query_cost`): over :data:`~server.limits.MAX_COST` → refused
   with the cost and the budget, before any resolver runs;
3. run it (:class:`server.execution.Executor`: the strawberry-built schema executed by
   graphql-core, each distinct query text parsed, validated and priced once) on one of
   :data:`~server.limits.EXECUTION_THREADS` threads, with a deadline of
   :data:`~server.limits.REQUEST_SECONDS` (resolvers check it, see :func:`server.context.graph_of`);
   when every thread is busy and :data:`~server.limits.MAX_QUEUED_REQUESTS` wait, answer 503;
4. encode the answer (orjson) on that thread too, and replace it by an error when it is larger than
   :data:`~server.limits.MAX_RESPONSE_BYTES`.

A complete answer is kept (:class:`server.answers.AnswerCache`), and the same request on the
same graph and day is answered from it on the event loop, before any of the steps above. A
small request is read and priced on the event loop, and a cheap query whose document's latest
run was fast runs there too (``GraphQLEndpoint._runs_here``): for a query of a millisecond,
the hand-off to a thread and the interpreter lock passed back and forth cost as much again.

Every answered query carries ``extensions.cost``. Errors are GraphQL-shaped JSON
(``{"errors": [{"message": ...}]}``) whatever went wrong.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import orjson
from graphql import DocumentNode, OperationDefinitionNode, OperationType
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError

from kg.graph import KnowledgeGraph
from server.answers import Answer, AnswerCache, AnswerKey
from server.context import Context
from server.cost import CostExceeded, check_cost
from server.execution import ANY_OPERATION, GET_OPERATIONS, Executor, Prepared
from server.limits import (
    ANSWER_CACHE_BYTES,
    EXECUTION_THREADS,
    INLINE_CPU_SECONDS,
    INLINE_MAX_BODY_BYTES,
    INLINE_MAX_COST,
    MAX_COST,
    MAX_QUEUED_REQUESTS,
    MAX_RESPONSE_BYTES,
    REQUEST_SECONDS,
    deadline_message,
)
from server.metrics import record_findings
from server.observability import operation_label_of
from server.request_body import BadRequest, GraphQLRequest, parse_request
from server.schema import INTERNAL_ERROR_MESSAGE

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
    #: The graph the request runs on: the one served when it arrived.
    kg: KnowledgeGraph
    #: Its key in the answer cache.
    key: AnswerKey
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] | None = None
    operation: str | None = None
    cost: int = 0
    extensions: dict[str, Any] = field(default_factory=dict)
    #: For :mod:`server.metrics`: ``ok``, ``partial`` or ``error`` once the query was answered.
    result: str | None = None
    #: For :mod:`server.metrics`: the operation's label once it was executed (as ``OperationObserver`` did).
    label: str | None = None
    document: DocumentNode | None = None
    #: Whether the operation run is a query (only queries' answers are kept).
    query: bool = False
    #: The request's document as the executor prepared it.
    prepared: Prepared | None = None


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
        answer_cache_bytes: bytes of complete answers kept for repeated requests; 0 keeps none.
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
        answer_cache_bytes: int = ANSWER_CACHE_BYTES,
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
        self.executor = Executor(schema)
        self.answers = AnswerCache(self.graph, answer_cache_bytes)

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

        Reading the body is awaited here. A kept answer is sent from here. A small request
        (:data:`~server.limits.INLINE_MAX_BODY_BYTES`) whose document is prepared already is
        priced here too, and a cheap query whose document's latest run was fast
        (:meth:`_runs_here`) runs here: handing it to a thread would cost more than running it.
        Everything else that costs CPU (JSON, parsing, pricing, validation, execution,
        encoding) runs on an execution thread.
        """
        if request.method == "GET" and "text/html" in request.headers.get("accept", "") and "query" not in request.query_params:
            return None
        if request.method not in ("GET", "POST"):
            message = f"GraphQL takes GET or POST requests, not {request.method}"
            return error_response(405, message, headers={"allow": "GET, POST"})
        body = await request.body() if request.method == "POST" else b""
        kg = self.graph()
        payload = body if request.method == "POST" else request.scope["query_string"]
        key = AnswerCache.key(request.method, request.headers.get("content-type"), payload, date.today().toordinal())
        kept = self.answers.get(kg, key)
        if kept is not None:
            record_findings(kept.findings)
            _note(request, kept.operation, kept.cost, "ok", kept.label)
            return Response(kept.body, media_type="application/json")
        outcome = _Outcome(request=request, deadline=time.monotonic() + self.seconds, kg=kg, key=key)
        if len(payload) > INLINE_MAX_BODY_BYTES:
            response = await self._on_thread(outcome, self._answer, body)
        else:
            graphql_request = self._guarded(self._read, outcome, body)
            if graphql_request is None:
                response = self._response(outcome)
            elif not self.executor.is_prepared(graphql_request.query):
                # Validating a new document may take long (up to a second for a hostile one).
                response = await self._on_thread(outcome, self._price_and_execute, graphql_request)
            elif not self._guarded(self._price, outcome, graphql_request):
                response = self._response(outcome)
            elif self._runs_here(outcome):
                # Yield once first, so that requests that arrived meanwhile are read and queued
                # before this one takes the loop: without it a few connections are served
                # ahead of the rest and p99 was 2-4x worse (32 clients, benchmarks/run.py).
                await asyncio.sleep(0)
                self._guarded(self._execute, outcome, graphql_request)
                response = self._response(outcome)
            else:
                response = await self._on_thread(outcome, self._execute, graphql_request)
        _note(request, outcome.operation, outcome.cost, outcome.result, outcome.label)
        return response

    async def _on_thread(self, outcome: _Outcome, step: Callable[[_Outcome, Any], Any], argument: Any) -> Response:
        """Run ``step(outcome, argument)`` on an execution thread within the deadline; 503 when every slot is taken."""
        if self.running >= self.capacity:
            return error_response(503, "the server is busy; retry shortly", headers={"retry-after": "1"})
        self.running += 1
        future = asyncio.get_running_loop().run_in_executor(self.pool, self._guarded, step, outcome, argument)
        future.add_done_callback(self._finished)
        try:
            # shield: a timeout must not cancel the thread's future (it cannot stop a thread);
            # the deadline in the context makes the thread stop at its next resolver instead.
            await asyncio.wait_for(asyncio.shield(future), timeout=self.seconds + 0.5)
        except TimeoutError:
            # Answered from here: the thread may still write to `outcome` until it stops.
            body = _error_body(deadline_message(self.seconds), dict(outcome.extensions))
            return Response(body, media_type="application/json")
        return self._response(outcome)

    @staticmethod
    def _response(outcome: _Outcome) -> Response:
        return Response(outcome.body, status_code=outcome.status, media_type="application/json", headers=outcome.headers)

    def _runs_here(self, outcome: _Outcome) -> bool:
        """Whether a priced query runs on the event loop: cheap, and its document's latest run was fast.

        A document runs on a thread first (its first run also fills per-code memos). It runs
        here while it costs at most :data:`~server.limits.INLINE_MAX_COST` and its latest run
        took at most :data:`~server.limits.INLINE_CPU_SECONDS` of CPU; after a slow run, its
        next run is on a thread. The cost bound keeps any one run here short (see the
        limits); a document naming an async field always runs on a thread, where the
        executor can run an event loop of its own.
        """
        prepared = outcome.prepared
        if prepared is None or prepared.awaits or prepared.last_run is None:
            return False
        return prepared.last_run <= INLINE_CPU_SECONDS and outcome.cost <= INLINE_MAX_COST

    def _finished(self, _: Any) -> None:
        self.running -= 1

    @staticmethod
    def _guarded(step: Callable[[_Outcome, Any], Any], outcome: _Outcome, argument: Any) -> Any:
        """Run one step of a request; an exception it raises is not the client's fault: 500, logged."""
        try:
            return step(outcome, argument)
        except Exception:
            # Not the client's fault: keep the traceback in the log, never in the answer.
            log.exception("request handling failed")
            outcome.status, outcome.body, outcome.headers = 500, _error_body(INTERNAL_ERROR_MESSAGE), None
            return None

    def _answer(self, outcome: _Outcome, body: bytes) -> None:
        """Read, price, run and encode one request into ``outcome``."""
        graphql_request = self._read(outcome, body)
        if graphql_request is not None:
            self._price_and_execute(outcome, graphql_request)

    def _price_and_execute(self, outcome: _Outcome, graphql_request: GraphQLRequest) -> None:
        if self._price(outcome, graphql_request):
            self._execute(outcome, graphql_request)

    @staticmethod
    def _read(outcome: _Outcome, body: bytes) -> GraphQLRequest | None:
        """The GraphQL request, or ``None`` when it is malformed (``outcome`` then holds the error)."""
        request = outcome.request
        try:
            return parse_request(request.method, request.headers.get("content-type"), body, request.query_params)
        except BadRequest as err:
            outcome.status, outcome.body = err.status, _error_body(err.message)
            if err.status == 405:
                outcome.headers = {"allow": "GET, POST"}
            return None

    def _price(self, outcome: _Outcome, graphql_request: GraphQLRequest) -> bool:
        """Prepare and price a request; ``False`` when ``outcome`` already holds the answer (an error)."""
        request = outcome.request
        prepared = outcome.prepared = self.executor.prepare(graphql_request.query)
        document = outcome.document = prepared.document
        operation = _operation(document, graphql_request.operation_name)
        outcome.operation = self._loggable_name(graphql_request, operation)
        outcome.query = operation is not None and operation.operation == OperationType.QUERY
        if request.method == "GET" and operation is not None and operation.operation != OperationType.QUERY:
            outcome.status, outcome.body, outcome.headers = 405, _error_body("only queries may be sent with GET; use POST"), {
                "allow": "POST"}
            return False
        if document is not None:
            outcome.cost = self.executor.cost(prepared, graphql_request.variables, graphql_request.operation_name)
        outcome.extensions = {"cost": outcome.cost, "costBudget": self.budget}
        try:
            check_cost(outcome.cost, self.budget)
        except CostExceeded as err:
            # A document also too deep or with too many aliases is told that instead, by the
            # execution, which validates first and so runs nothing.
            if document is not None and self.executor.shape_valid(prepared):
                outcome.body = _error_body(str(err), outcome.extensions)
                outcome.result = "error"
                return False
        return True

    def _execute(self, outcome: _Outcome, graphql_request: GraphQLRequest) -> None:
        """Run and encode a priced request into ``outcome``, noting the CPU its document took."""
        started = time.thread_time()
        outcome.status, outcome.body = self._run(graphql_request, outcome)
        # CPU time: the wall clock also counts the waits for the interpreter lock while other
        # threads run, which would send fast documents to the threads under load.
        _last_run(outcome.prepared, time.thread_time() - started)

    def _run(self, graphql_request: GraphQLRequest, outcome: _Outcome) -> tuple[int, bytes]:
        """Execute and encode: (status, JSON body)."""
        context = Context(kg=outcome.kg, request=outcome.request, deadline=outcome.deadline)
        allowed = GET_OPERATIONS if outcome.request.method == "GET" else ANY_OPERATION
        extensions = outcome.extensions
        try:
            result = self.executor.execute(graphql_request.query, graphql_request.variables,
                                           graphql_request.operation_name, context, allowed)
        except InvalidOperationTypeError as err:
            return 405, _error_body(err.as_http_error_reason("GET"))
        except CannotGetOperationTypeError as err:
            return 400, _error_body(err.as_http_error_reason())
        except Exception:
            # Not the client's fault: keep the traceback in the log, never in the answer.
            log.exception("query execution failed")
            return 500, _error_body(INTERNAL_ERROR_MESSAGE)
        outcome.label = operation_label_of(outcome.document, graphql_request.operation_name, self.executor.schema)
        if time.monotonic() > outcome.deadline:
            outcome.result = "error"
            return 200, _error_body(deadline_message(self.seconds), extensions)
        outcome.result = "ok" if not result.errors else ("error" if result.data is None else "partial")
        payload: dict[str, Any] = {"data": result.data}
        if result.errors:
            payload["errors"] = [error.formatted for error in result.errors]
        payload["extensions"] = extensions
        body = orjson.dumps(payload)
        if len(body) > self.max_response_bytes:
            return 200, _error_body(
                f"the response would be {len(body)} bytes, more than the limit of {self.max_response_bytes}: "
                "ask for fewer fields or items", extensions)
        if outcome.result == "ok" and outcome.query:
            self.answers.put(outcome.kg, outcome.key, Answer(body=body, cost=outcome.cost, operation=outcome.operation,
                                                           label=outcome.label, findings=tuple(context.findings)))
        return 200, body

    @staticmethod
    def _loggable_name(graphql_request: GraphQLRequest, operation: OperationDefinitionNode | None) -> str | None:
        if operation is not None and operation.name is not None:
            return operation.name.value
        name = graphql_request.operation_name
        return name if name is not None and _NAME.fullmatch(name) else None


def _last_run(prepared: Prepared | None, seconds: float) -> None:
    """Note how long the latest run of a prepared document took (see ``GraphQLEndpoint._runs_here``)."""
    if prepared is not None:
        prepared.last_run = seconds


def _note(request: Request, operation: str | None, cost: int, result: str | None, label: str | None) -> None:
    """Note on the request what the access log and :mod:`server.metrics` report of it."""
    request.state.graphql_operation = operation
    request.state.graphql_cost = cost
    # What RequestObserver counts in server.metrics.
    state = request.scope.setdefault("state", {})
    state["cost"] = cost
    if result is not None:
        state["outcome"] = result
    if label is not None:
        state["operation"] = label


def _error_body(message: str, extensions: dict[str, Any] | None = None) -> bytes:
    payload: dict[str, Any] = {"data": None, "errors": [{"message": message}]}
    if extensions:
        payload["extensions"] = extensions
    return json.dumps(payload).encode()
