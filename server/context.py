"""The per-request GraphQL context: the knowledge graph the resolvers read, and the HTTP request.

>>> from kg.graph import KnowledgeGraph
>>> Context(kg=KnowledgeGraph.default()).kg.code("96368").code
'96368'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from strawberry import Info

from kg.graph import KnowledgeGraph
from server.limits import check_deadline

__all__ = ["Context", "graph_of"]


@dataclass(slots=True)
class Context:
    """What every resolver can reach through ``info.context``.

    Attributes:
        kg: the graph this server serves (loaded once, shared by every request).
        request: the Starlette request, when served over HTTP.
        response: the Starlette response strawberry fills in (headers, status).
        traversals: graph traversals run so far (see :func:`server.limits.spend_traversal`).
        deadline: the :func:`time.monotonic` instant the request must be done by (``None``: no limit).
    """

    kg: KnowledgeGraph
    request: Any = None
    response: Any = None
    traversals: int = 0
    deadline: float | None = None


def graph_of(info: Info) -> KnowledgeGraph:
    """The knowledge graph of the request a resolver runs for.

    Args:
        info: the resolver's strawberry ``Info``.

    Returns:
        The served :class:`~kg.graph.KnowledgeGraph`.

    Raises:
        DeadlineExceeded: the request has run past its deadline. Every resolver that reads the
            graph comes through here, so a cancelled request stops at its next field.
    """
    check_deadline(info.context)
    return info.context.kg
