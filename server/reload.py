"""The graph a server process serves, and reloading it without a restart.

:class:`ServedGraph` holds the current :class:`~kg.graph.KnowledgeGraph`. A request reads
:attr:`ServedGraph.current` once, when its context is made, and keeps that graph to the end,
so a reload never changes the data under a request in flight. :meth:`ServedGraph.reload`
verifies and builds the new graph aside (release manifests checked, RDF or snapshot loaded)
and only then replaces the reference, one assignment, which is atomic. A release that fails
is refused and logged, and the old graph keeps serving with its version unchanged.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from kg.graph import KnowledgeGraph
from kg.model import Release
from server import metrics

__all__ = ["ReloadOutcome", "ServedGraph"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ReloadOutcome:
    """What a reload did.

    Attributes:
        ok: the new graph is being served.
        version: the release version served after the attempt.
        previous: the version served before it.
        error: why a refused release was refused (one line).
    """

    ok: bool
    version: str
    previous: str
    error: str | None = None

    def to_json(self) -> dict[str, object]:
        """The outcome as JSON-ready data (the admin endpoint's body)."""
        return {"reloaded": self.ok, "version": self.version, "previous": self.previous, "error": self.error}


def publish(release: Release) -> None:
    """Set the graph gauges to a served release's version and size."""
    metrics.observe_graph(release.version, release.built_at, release.nodes, release.edges, release.triples)


class ServedGraph:
    """The current graph of one server process, swappable while requests run.

    Args:
        kg: the graph to serve first.
        loader: builds a fresh graph (verifying its releases); raises on a bad release.
    """

    def __init__(self, kg: KnowledgeGraph, loader: Callable[[], KnowledgeGraph] | None = None) -> None:
        self.current = kg
        #: ``current.release()``, computed once per graph (health checks read it often).
        self.release: Release = kg.release()
        self._loader = loader
        self._lock = threading.Lock()
        #: Called after each successful swap (the server uses it to let the old graph be collected).
        self.on_swap: Callable[[], None] | None = None
        #: Called before loading; returns why the release is refused, or ``None`` (the server
        #: compiles the snapshot in another process with it, see :mod:`server.compile`).
        self.prepare: Callable[[], str | None] | None = None
        publish(self.release)

    @property
    def version(self) -> str:
        """The release version served now."""
        return self.release.version

    def reload(self) -> ReloadOutcome:
        """Build the graph again from its release directories and swap it in if it loads.

        Reloads run one at a time; a caller arriving during one waits and then reloads again
        (the files may have changed since the first one started).

        Returns:
            The outcome; never raises for a bad release.
        """
        with self._lock:
            previous = self.version
            if self._loader is None:
                return ReloadOutcome(False, previous, previous, "this server was given a fixed graph; nothing to reload")
            try:
                problem = self.prepare() if self.prepare is not None else None
                if problem is not None:
                    raise ValueError(problem)
                fresh = self._loader()
            except Exception as err:  # any failure refuses the release; the old graph stays
                reason = " ".join(str(err).split()) or type(err).__name__
                log.error("reload refused, still serving %s: %s", previous, reason)
                metrics.record_reload("refused")
                return ReloadOutcome(False, previous, previous, reason)
            release = fresh.release()
            self.current = fresh  # the swap: requests already running keep the graph they read
            self.release = release  # (a health check between the two lines shows the old version)
            publish(release)
            metrics.record_reload("ok")
            if self.on_swap is not None:
                self.on_swap()
            version = release.version
            log.info("reloaded: now serving %s (was %s)", version, previous)
            return ReloadOutcome(True, version, previous)
