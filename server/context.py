"""The per-request GraphQL context: the knowledge graph the resolvers read, and the HTTP request.

>>> from kg.graph import KnowledgeGraph
>>> Context(kg=KnowledgeGraph.default()).kg.code("96368").code
'96368'
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from strawberry import Info

from kg.graph import KnowledgeGraph
from server.limits import check_deadline
from server.metrics import record_findings

__all__ = ["Context", "count_findings", "graph_of"]


@dataclass(slots=True)
class Context:
    """What every resolver can reach through ``info.context``.

    Attributes:
        kg: the graph this server serves (loaded once, shared by every request).
        request: the Starlette request, when served over HTTP.
        response: the Starlette response strawberry fills in (headers, status).
        traversals: graph traversals run so far (see :func:`server.limits.spend_traversal`).
        deadline: the :func:`time.monotonic` instant the request must be done by (``None``: no limit).
        findings: rule ids of the findings reported so far (:func:`count_findings`).
    """

    kg: KnowledgeGraph
    request: Any = None
    response: Any = None
    traversals: int = 0
    deadline: float | None = None
    findings: list[str] = field(default_factory=list)


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


def count_findings(info: Any, rules: Iterable[str]) -> None:
    """Count reported findings in the metrics, and note them on the request's context.

    The endpoint keeps them with the answer (:class:`server.answers.Answer`), so that a repeated
    request answered from the cache counts its findings again.

    Args:
        info: the resolver's ``Info`` (graphql-core's or strawberry's).
        rules: the rule id of each finding.
    """
    noted = list(rules)
    record_findings(noted)
    context = getattr(info, "context", None)
    if isinstance(context, Context):
        context.findings.extend(noted)
