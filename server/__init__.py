"""codingkg's GraphQL API: strawberry types over the engine, served by uvicorn.

- :mod:`server.types` output types wrapping :mod:`kg.model` objects
- :mod:`server.query` the root fields
- :mod:`server.limits` API limits and argument checks
- :mod:`server.cost` a query's worst-case cost, computed from the document before it runs
- :mod:`server.schema` schema assembly, safety extensions and SDL export
- :mod:`server.request_body` reading a GraphQL request from HTTP (malformed ones refused)
- :mod:`server.endpoint` ``/graphql``: priced, run on execution threads within a deadline
- :mod:`server.app` the ASGI app (``/graphql``, ``/healthz``); :mod:`server.serve` runs it
- :mod:`server.connections` read timeouts and a connection cap below the ASGI layer
"""

from __future__ import annotations

__all__: list[str] = []
