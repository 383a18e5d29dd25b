"""The ASGI application: GraphQL at ``/graphql``, a health check at ``/healthz``, the browser pages.

``/graphql`` (:class:`~server.endpoint.GraphQLEndpoint`) takes POST (JSON or
``application/graphql``), GET (queries only, never mutations) and shows the self-hosted
GraphiQL to a browser that asks for HTML; ``/`` and ``/explore`` are the landing page and the
code explorer (:mod:`server.pages`). Queries are priced before they run and run on execution
threads, so ``/healthz`` answers while they do. CORS origins, introspection, the pages and the
limits come from :class:`~server.settings.ServerSettings`; bodies larger than its cap are
answered 413. Each request is logged (:class:`~server.middleware.AccessLog`) with its
operation name and cost, never its query text or variables.

>>> sorted(route.path for route in create_app(ServerSettings(use_cache=False)).routes)
['/', '/explore', '/graphql', '/healthz', '/static']
>>> sorted(route.path for route in create_app(ServerSettings(use_cache=False, graphiql=False)).routes)
['/graphql', '/healthz']
"""

from __future__ import annotations

import os
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from strawberry.asgi import GraphQL

from kg.graph import KnowledgeGraph
from server.context import Context
from server.endpoint import GraphQLEndpoint
from server.middleware import AccessLog, BodySizeLimit
from server.pages import graphiql_page, page_routes
from server.schema import build_schema
from server.settings import ServerSettings

__all__ = ["GraphView", "create_app", "create_app_from_env", "load_graph"]


class GraphView(GraphQL):
    """Strawberry's ASGI view, with the served graph in every request's context.

    :class:`~server.endpoint.GraphQLEndpoint` answers queries; this view renders GraphiQL.
    """

    def __init__(self, schema: Any, kg: KnowledgeGraph, *, settings: ServerSettings | None = None, **options: Any) -> None:
        super().__init__(schema, **options)
        self.kg = kg
        self.settings = settings or ServerSettings()

    async def render_graphql_ide(self, request: Any) -> Any:
        """The self-hosted GraphiQL page (strawberry's own loads its scripts from a CDN)."""
        return graphiql_page(self.settings)

    async def get_context(self, request: Any, response: Any = None) -> Context:
        """The request's :class:`~server.context.Context`."""
        return Context(kg=self.kg, request=request, response=response)


def load_graph(settings: ServerSettings) -> KnowledgeGraph:
    """The graph the settings name: the embedded data plus each release directory, from a snapshot."""
    return KnowledgeGraph.default(settings.data_dirs, use_cache=settings.use_cache)


def create_app(
    settings: ServerSettings | None = None, kg: KnowledgeGraph | None = None, schema: Any = None
) -> Starlette:
    """Build the ASGI app.

    Args:
        settings: how to serve; defaults to :class:`ServerSettings` defaults.
        kg: the graph to serve; loaded from ``settings`` when omitted.
        schema: the strawberry schema; :func:`server.schema.build_schema` when omitted (the
            benchmark passes a trivial one to measure the stack alone).

    Returns:
        A Starlette app for uvicorn (or any ASGI server).
    """
    settings = settings or ServerSettings()
    graph = kg if kg is not None else load_graph(settings)
    schema = schema if schema is not None else build_schema(introspection=settings.introspection)
    ide = GraphView(schema, graph, settings=settings, graphql_ide="graphiql") if settings.graphiql else None
    endpoint = GraphQLEndpoint(
        schema, graph, ide, budget=settings.max_cost, seconds=settings.request_seconds,
        threads=settings.execution_threads, max_response_bytes=settings.max_response_bytes,
    )
    release = graph.release()
    health = {"status": "ok", "version": release.version, "builtAt": release.built_at}

    async def healthz(_: Request) -> JSONResponse:
        return JSONResponse({**health, "pid": os.getpid()})

    middleware = [
        # Outermost, so that every answer (a 413, a CORS refusal) is logged.
        Middleware(AccessLog),
        # Next, so that even a 413 carries CORS headers a browser can read.
        Middleware(CORSMiddleware, allow_origins=list(settings.cors_origins), allow_methods=["GET", "POST"],
                   allow_headers=["content-type", "authorization"], max_age=600),
        Middleware(BodySizeLimit, max_bytes=settings.max_body_bytes),
    ]
    # No method list: the endpoint answers other methods 405 with a JSON error itself.
    routes = [Route("/graphql", endpoint), Route("/healthz", healthz, methods=["GET"]),
              *page_routes(settings, release.version)]
    return Starlette(routes=routes, middleware=middleware)


def create_app_from_env() -> Starlette:
    """App factory for ``uvicorn --factory`` (each worker process): settings from the environment."""
    return create_app(ServerSettings.from_env())
