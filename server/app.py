"""The ASGI application: GraphQL at ``/graphql``, the browser pages, health, readiness, metrics and the admin reload.

``/graphql`` (:class:`~server.endpoint.GraphQLEndpoint`) takes POST (JSON or
``application/graphql``), GET (queries only, never mutations) and shows the self-hosted
GraphiQL to a browser that asks for HTML; ``/`` and ``/explore`` are the landing page and the
code explorer (:mod:`server.pages`). Queries are priced before they run and run on execution
threads, so ``/healthz`` answers while they do. CORS origins, introspection, the pages and the
limits come from :class:`~server.settings.ServerSettings`; bodies larger than its cap are
answered 413. Each request is logged (:class:`~server.middleware.AccessLog`, or the JSON line of
:class:`~server.observability.RequestObserver`) with its operation and cost, never its query
text or variables.
``/healthz`` and ``/readyz`` say which release is served, ``/livez`` that the process answers,
``/metrics`` is the Prometheus exposition (:mod:`server.metrics`). ``POST /admin/reload``
(:mod:`server.admin`) exists only when an admin token is configured.

>>> sorted(route.path for route in create_app(ServerSettings(use_cache=False), admin_token="").routes)
['/', '/explore', '/graphql', '/healthz', '/livez', '/metrics', '/readyz', '/static']
>>> sorted(route.path for route in create_app(ServerSettings(use_cache=False, graphiql=False), admin_token="").routes)
['/graphql', '/healthz', '/livez', '/metrics', '/readyz']
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from strawberry.asgi import GraphQL

from kg.graph import KnowledgeGraph
from server import admin, metrics
from server.context import Context
from server.endpoint import GraphQLEndpoint
from server.middleware import AccessLog, BodySizeLimit
from server.observability import OperationObserver, RequestObserver
from server.pages import graphiql_page, page_routes
from server.reload import ServedGraph
from server.schema import build_schema
from server.settings import ServerSettings

__all__ = ["GraphView", "create_app", "create_app_from_env", "load_graph"]


class GraphView(GraphQL):
    """Strawberry's ASGI view, serving whatever graph :class:`~server.reload.ServedGraph` holds now.

    :class:`~server.endpoint.GraphQLEndpoint` answers queries; this view renders GraphiQL.
    """

    def __init__(self, schema: Any, served: ServedGraph, *, settings: ServerSettings | None = None, **options: Any) -> None:
        super().__init__(schema, **options)
        self.served = served
        self.settings = settings or ServerSettings()

    @property
    def kg(self) -> KnowledgeGraph:
        """The graph new requests are served from."""
        return self.served.current

    async def render_graphql_ide(self, request: Any) -> Any:
        """The self-hosted GraphiQL page (strawberry's own loads its scripts from a CDN)."""
        return graphiql_page(self.settings)

    async def get_context(self, request: Any, response: Any = None) -> Context:  # type: ignore[override]
        """The request's :class:`~server.context.Context`: the current graph, kept for the whole request."""
        return Context(kg=self.served.current, request=request, response=response)

    async def process_result(self, request: Any, result: Any) -> Any:
        """Strawberry's response, with the outcome and cost noted for :mod:`server.metrics`."""
        response = await super().process_result(request, result)
        state = request.scope.setdefault("state", {})
        state["outcome"] = "ok" if not result.errors else ("error" if result.data is None else "partial")
        if isinstance(response, Mapping):
            state["cost"] = metrics.cost_of(response)
        return response


def load_graph(settings: ServerSettings) -> KnowledgeGraph:
    """The graph the settings name: the embedded data plus each release directory, from a snapshot."""
    return KnowledgeGraph.default(settings.data_dirs, use_cache=settings.use_cache)


def create_app(
    settings: ServerSettings | None = None, kg: KnowledgeGraph | None = None, schema: Any = None,
    admin_token: str | None = None, json_access_log: bool = False,
) -> Starlette:
    """Build the ASGI app.

    Args:
        settings: how to serve; defaults to :class:`ServerSettings` defaults.
        kg: the graph to serve first; loaded from ``settings`` when omitted. A reload always
            builds the graph ``settings`` describe.
        schema: the strawberry schema; :func:`server.schema.build_schema` when omitted (the
            benchmark passes a trivial one to measure the stack alone).
        admin_token: the bearer token of ``/admin/*``; ``None`` reads ``CODINGKG_ADMIN_TOKEN``,
            and no token (or an empty one) leaves the admin endpoints out.
        json_access_log: log one JSON-ready ``server.access`` record per request.

    Returns:
        A Starlette app for uvicorn (or any ASGI server). ``app.state.served`` is its
        :class:`~server.reload.ServedGraph`; ``app.state.reload_hook``, when set (forked
        workers), is called by the admin endpoint instead of reloading in place.
    """
    settings = settings or ServerSettings()
    served = ServedGraph(kg if kg is not None else load_graph(settings), loader=lambda: load_graph(settings))
    if schema is None:
        schema = build_schema(introspection=settings.introspection)
    if OperationObserver not in schema.extensions:
        schema.extensions = [*schema.extensions, OperationObserver]
    ide = GraphView(schema, served, settings=settings, graphql_ide="graphiql") if settings.graphiql else None
    endpoint = GraphQLEndpoint(
        schema, lambda: served.current, ide, budget=settings.max_cost, seconds=settings.request_seconds,
        threads=settings.execution_threads, max_response_bytes=settings.max_response_bytes,
        answer_cache_bytes=settings.answer_cache_bytes,
    )

    def health() -> dict[str, Any]:
        release = served.release
        return {"status": "ok", "version": release.version, "builtAt": release.built_at, "pid": os.getpid()}

    async def healthz(_: Request) -> JSONResponse:
        return JSONResponse(health())

    async def livez(_: Request) -> JSONResponse:
        return JSONResponse({"status": "alive", "pid": os.getpid()})

    async def readyz(_: Request) -> JSONResponse:
        # Ready once a verified graph is loaded (create_app returns only then); a reload keeps
        # serving the old graph, so readiness holds through it.
        return JSONResponse({**health(), "status": "ready"})

    async def metrics_endpoint(_: Request) -> Response:
        return Response(metrics.exposition(), media_type=metrics.CONTENT_TYPE)

    middleware = [
        Middleware(RequestObserver, access_log=json_access_log),
        # The text access line (the JSON one is RequestObserver's): operation name and cost, no query.
        *([] if json_access_log else [Middleware(AccessLog)]),
        # Outside the body limit, so that even a 413 carries CORS headers a browser can read.
        Middleware(CORSMiddleware, allow_origins=list(settings.cors_origins), allow_methods=["GET", "POST"],
                   allow_headers=["content-type", "authorization"], max_age=600),
        Middleware(BodySizeLimit, max_bytes=settings.max_body_bytes),
    ]
    # No method list for /graphql: the endpoint answers other methods 405 with a JSON error itself.
    routes = [Route("/graphql", endpoint), Route("/healthz", healthz, methods=["GET"]),
              Route("/livez", livez, methods=["GET"]), Route("/readyz", readyz, methods=["GET"]),
              Route("/metrics", metrics_endpoint, methods=["GET"]), *page_routes(settings, served.release.version)]
    token = admin.configured_token() if admin_token is None else admin_token
    if token:
        routes.extend(admin.routes(token))
    app = Starlette(routes=routes, middleware=middleware)
    app.state.served = served
    app.state.reload_hook = None
    return app


def create_app_from_env() -> Starlette:
    """App factory for ``uvicorn --factory`` (each worker process): settings from the environment."""
    return create_app(ServerSettings.from_env())
