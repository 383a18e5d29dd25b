"""Prometheus metrics (prometheus-client): requests, latency, query cost, findings, graph and reloads.

Every label takes values from a bounded set (schema field names, route paths, rule ids, fixed
outcomes), never raw client text, so a client cannot grow the series count. The metrics live in
their own registry, exposed at ``/metrics``. With ``--workers N`` prometheus-client runs in its
multiprocess mode (:mod:`server.metrics_dir`): every process writes its values to a shared
directory and any worker's ``/metrics`` sums the counters and histograms of all of them, the
supervisor's (reloads) and exited workers' included; the graph gauges report the largest value
among live processes.

>>> operation_label("query", ["code"]), operation_label("query", ["code", "search"]), operation_label(None, [])
('query.code', 'query.multi', 'invalid')
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess

from server.metrics_dir import MULTIPROCESS_ENV

__all__ = [
    "CONTENT_TYPE",
    "REGISTRY",
    "cost_of",
    "exposition",
    "mark_process_dead",
    "observe_graph",
    "observe_request",
    "operation_label",
    "record_findings",
    "record_reload",
]

REGISTRY = CollectorRegistry(auto_describe=True)
CONTENT_TYPE = CONTENT_TYPE_LATEST

REQUESTS = Counter("codingkg_requests", "Requests answered, by GraphQL operation (or route) and outcome.",
                   ["operation", "outcome"], registry=REGISTRY)
LATENCY = Histogram("codingkg_request_duration_seconds", "Time to answer a request, by operation.", ["operation"],
                    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
                    registry=REGISTRY)
COST = Histogram("codingkg_query_cost", "Query cost reported in the response's extensions.cost, by operation.",
                 ["operation"], buckets=(1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000),
                 registry=REGISTRY)
FINDINGS = Counter("codingkg_findings", "Findings reported by claim checks and encounter coding, by rule id.",
                   ["rule"], registry=REGISTRY)
GRAPH = Gauge("codingkg_graph_info", "1 for the served graph's release version and build time.",
              ["version", "built_at"], multiprocess_mode="livemax", registry=REGISTRY)
GRAPH_NODES = Gauge("codingkg_graph_nodes", "Nodes in the served graph.", multiprocess_mode="livemax",
                    registry=REGISTRY)
GRAPH_EDGES = Gauge("codingkg_graph_edges", "Edges in the served graph (bulk relationships included).",
                    multiprocess_mode="livemax", registry=REGISTRY)
GRAPH_TRIPLES = Gauge("codingkg_graph_triples", "RDF triples the served graph was built from.",
                      multiprocess_mode="livemax", registry=REGISTRY)
RELOADS = Counter("codingkg_reloads", "Release reloads, by outcome (ok or refused).", ["outcome"], registry=REGISTRY)
_served_labels: list[tuple[str, str]] = []


def _multiprocess() -> bool:
    return bool(os.environ.get(MULTIPROCESS_ENV))


def operation_label(kind: str | None, fields: Iterable[str]) -> str:
    """A bounded label for a GraphQL operation: ``query.code``, ``query.multi``, or ``invalid``."""
    names = sorted(set(fields))
    if kind is None or not names:
        return "invalid"
    if all(n.startswith("__") for n in names):
        return "introspection"
    return f"{kind}.{names[0]}" if len(names) == 1 else f"{kind}.multi"


def cost_of(response: Mapping[str, Any]) -> float | None:
    """The query cost a response reports in ``extensions.cost`` (a number, or an object with a total).

    >>> cost_of({"extensions": {"cost": 12}}), cost_of({"extensions": {"cost": {"total": 3}}}), cost_of({})
    (12.0, 3.0, None)
    """
    extensions = response.get("extensions")
    if not isinstance(extensions, Mapping):
        return None
    cost = extensions.get("cost")
    if isinstance(cost, Mapping):
        cost = next((cost[k] for k in ("total", "actual", "cost", "requested", "estimated") if k in cost), None)
    if isinstance(cost, bool) or not isinstance(cost, int | float):
        return None
    return float(cost)


def observe_request(operation: str, outcome: str, seconds: float, cost: float | None = None) -> None:
    """Count one answered request."""
    REQUESTS.labels(operation, outcome).inc()
    LATENCY.labels(operation).observe(seconds)
    if cost is not None:
        COST.labels(operation).observe(cost)


def record_findings(rules: Iterable[str]) -> None:
    """Count findings by rule id (rule ids come from the ontology, a bounded set)."""
    for rule in rules:
        FINDINGS.labels(rule).inc()


def observe_graph(version: str, built_at: str, nodes: int, edges: int, triples: int) -> None:
    """Publish the served graph's version and size."""
    for old in _served_labels:
        if _multiprocess():
            GRAPH.labels(*old).set(0)  # other processes' files keep the series: zero it, do not drop it
        else:
            GRAPH.remove(*old)
    _served_labels[:] = [(version, built_at)]
    GRAPH.labels(version, built_at).set(1)
    GRAPH_NODES.set(nodes)
    GRAPH_EDGES.set(edges)
    GRAPH_TRIPLES.set(triples)


def record_reload(outcome: str) -> None:
    """Count one reload attempt (``ok`` or ``refused``)."""
    RELOADS.labels(outcome).inc()


def mark_process_dead(pid: int) -> None:
    """Drop an exited process's live gauges (its counters keep counting in the totals)."""
    if _multiprocess():
        multiprocess.mark_process_dead(pid)


def exposition() -> bytes:
    """The metrics in the Prometheus text format: this process's, or every process's in multiprocess mode."""
    if _multiprocess():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)
