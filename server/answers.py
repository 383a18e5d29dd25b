"""Answers kept for repeated requests: the served graph does not change between imports.

A query's answer is a function of the graph it ran on, the request (method, content type and
body, or the query string of a GET) and the day (a field without ``asOf`` reads the graph as
of today). The graph is read-only while it is served and replaced whole by a reload, so an
answer kept under that key is the answer the query would compute again, byte for byte. A
client polling a code card, or a billing system checking the same claim on every save, is
then answered without parsing, pricing or executing anything.

What is kept, and what is not:

* only complete answers: status 200, no GraphQL error, a query (never a mutation);
* only answers of the graph being served now: when a reload swaps the graph, every kept
  answer is dropped at the next request, and an answer computed on the old graph after the
  swap is not kept (:meth:`AnswerCache.put` checks against the current graph);
* at most :data:`~server.limits.ANSWER_CACHE_BYTES` of keys and answers in all, least
  recently used first out; no single entry over a 64th of that;
* the findings a claim check reported, so that a kept answer counts them in the metrics
  again (:attr:`Answer.findings`).

The cache is shared by the event loop (look-ups) and the execution threads (stores); a lock
guards it.

>>> class Graph: ...
>>> graph = Graph()
>>> cache = AnswerCache(lambda: graph, max_bytes=100_000)
>>> key = AnswerCache.key("POST", "application/json", b'{"query": "{ hello }"}', day=1)
>>> cache.put(graph, key, Answer(body=b'{"data": {}}', cost=1))
True
>>> cache.get(graph, key).body
b'{"data": {}}'
>>> cache.get(Graph(), key) is None  # another graph is not answered from this one's answers
True
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from server.limits import ANSWER_CACHE_BYTES

__all__ = ["Answer", "AnswerCache", "AnswerKey"]

#: (day ordinal, method, content type, body or query string).
AnswerKey = tuple[int, str, str, bytes]

#: Bytes counted for an entry beyond its key and body (the objects that hold them).
_ENTRY_OVERHEAD = 256
#: An entry may take at most this share of the cache.
_ENTRY_SHARE = 64


@dataclass(frozen=True, slots=True)
class Answer:
    """One complete answer, as the endpoint sends it.

    Attributes:
        body: the JSON response body.
        cost: the query's cost (``extensions.cost``, also in the body).
        operation: the operation name the access log shows.
        label: the operation's metrics label (:func:`server.metrics.operation_label`).
        findings: rule ids of the findings the query reported, counted again on every use.
    """

    body: bytes
    cost: int
    operation: str | None = None
    label: str | None = None
    findings: tuple[str, ...] = ()

    def size(self, key: AnswerKey) -> int:
        """Bytes this answer takes in the cache under ``key``."""
        return len(self.body) + len(key[3]) + len(key[2]) + _ENTRY_OVERHEAD


class AnswerCache:
    """A bounded LRU of complete answers of the graph being served (see the module doc).

    Args:
        current: gives the graph being served now (each request may still finish on the one
            it started with; its answer is then not kept).
        max_bytes: the most the keys and answers may take in all; 0 keeps nothing.
    """

    def __init__(self, current: Callable[[], Any], max_bytes: int = ANSWER_CACHE_BYTES) -> None:
        self.current = current
        self.max_bytes = max_bytes
        self.max_entry_bytes = max_bytes // _ENTRY_SHARE
        self.bytes = 0
        self._entries: OrderedDict[AnswerKey, Answer] = OrderedDict()
        self._graph: Callable[[], Any] = lambda: None
        self._lock = threading.Lock()

    @staticmethod
    def key(method: str, content_type: str | None, payload: bytes, day: int) -> AnswerKey:
        """The key of a request: what decides its answer, beside the graph.

        Args:
            method: ``GET`` or ``POST``.
            content_type: the request's ``Content-Type`` header, as sent.
            payload: the body of a POST, the raw query string of a GET.
            day: today's date as an ordinal (the default ``asOf`` of every field).
        """
        return day, method, content_type or "", payload

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, graph: Any, key: AnswerKey) -> Answer | None:
        """The kept answer to ``key`` on ``graph``, or ``None``."""
        if not self.max_bytes:
            return None
        with self._lock:
            if not self._serving(graph):
                return None
            answer = self._entries.get(key)
            if answer is not None:
                self._entries.move_to_end(key)
            return answer

    def put(self, graph: Any, key: AnswerKey, answer: Answer) -> bool:
        """Keep ``answer`` for ``key``; returns whether it was kept.

        Not kept when the cache is off, the entry is larger than its share, or ``graph`` is no
        longer the one being served.
        """
        size = answer.size(key)
        if size > self.max_entry_bytes:
            return False
        with self._lock:
            if not self._serving(graph):
                return False
            old = self._entries.pop(key, None)
            if old is not None:
                self.bytes -= old.size(key)
            self._entries[key] = answer
            self.bytes += size
            while self.bytes > self.max_bytes:
                dropped_key, dropped = self._entries.popitem(last=False)
                self.bytes -= dropped.size(dropped_key)
            return True

    def clear(self) -> None:
        """Drop every kept answer."""
        with self._lock:
            self._entries.clear()
            self.bytes = 0

    def _serving(self, graph: Any) -> bool:
        # Under the lock: whether `graph` is the one served now, dropping the answers of a
        # graph a reload replaced. A weak reference, so that kept answers do not keep an old
        # graph (hundreds of MB at full scale) in memory.
        current = self.current()
        if self._graph() is not current:
            self._entries.clear()
            self.bytes = 0
            self._graph = weakref.ref(current)
        return graph is current
