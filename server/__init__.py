"""codingkg's GraphQL API: strawberry types over the engine, served by uvicorn.

- :mod:`server.types` output types wrapping :mod:`kg.model` objects
- :mod:`server.query` the root fields
- :mod:`server.limits` API limits and argument checks
- :mod:`server.schema` schema assembly, safety extensions and SDL export
- :mod:`server.app` the ASGI app (``/graphql``, ``/healthz``); :mod:`server.serve` runs it
"""

from __future__ import annotations

__all__: list[str] = []
