"""Connection limits below the ASGI layer: read timeouts and a cap on open connections.

uvicorn closes idle keep-alive connections (``timeout_keep_alive``) but never one that is slow
to send its request: a socket that sends half a request line, then a byte every few seconds,
or nothing at all, stays open for good, and a few hundred of them hold as many file
descriptors. When the descriptors run out, ``accept`` fails for every real client and asyncio
logs each failure. ASGI middleware cannot help (it sees a request only once its headers are
in), so this subclass of uvicorn's HTTP protocol (httptools when installed, the ``fast``
extra; h11 otherwise) does two things at the connection level:

* **read timeout**: a connection must deliver a whole request (headers and body) within
  ``read_timeout`` seconds of connecting or of starting the request; otherwise it is closed;
* **connection cap**: at ``max_connections`` open connections, a new one takes the place of
  the oldest connection that is not being answered (idle, or still sending its request), as
  nginx reuses keep-alive connections when it runs short; when every connection is being
  answered, the new one is closed as soon as it is accepted. Neither writes a log line (a
  flood of them would otherwise flood the log).

:func:`connection_cap` sizes the cap to the process's file-descriptor limit, and
:class:`RateLimitedFilter` keeps asyncio's "accept failed" messages to one a minute should the
limit be reached anyway (another process's descriptors, a cap set too high).
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import resource
import time
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

HttpToolsProtocol: type[Any] | None
try:  # the `fast` extra: uvicorn's httptools protocol, several times cheaper per request than h11
    import httptools  # noqa: F401
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # pragma: no cover - depends on the installed extra
    HttpToolsProtocol = None

__all__ = [
    "FD_RESERVE",
    "HeadersTooLarge",
    "RateLimitedFilter",
    "connection_cap",
    "guarded_protocol",
    "http_stack",
    "raise_fd_limit",
]

log = logging.getLogger(__name__)

#: File descriptors kept for everything but client sockets: the listening socket, the
#: event loop, log files, the snapshot and release files, the thread pool's pipes.
FD_RESERVE = 64


def raise_fd_limit() -> int:
    """Raise this process's soft file-descriptor limit to its hard limit; return the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    return soft


def connection_cap(wanted: int, fd_limit: int | None = None) -> int:
    """The connection cap to use: ``wanted``, lowered to leave :data:`FD_RESERVE` descriptors free.

    >>> connection_cap(1000, fd_limit=1024)
    960
    >>> connection_cap(1000, fd_limit=65536)
    1000
    """
    limit = fd_limit if fd_limit is not None else resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    return max(1, min(wanted, limit - FD_RESERVE))


def http_stack() -> str:
    """The HTTP parser and event loop uvicorn runs on here: ``httptools+uvloop`` with the ``fast`` extra.

    >>> http_stack() in ("httptools+uvloop", "httptools+asyncio", "h11+uvloop", "h11+asyncio")
    True
    """
    # Looked up, not imported: without the extra mypy has no uvloop to type-check an import against.
    loop = "uvloop" if importlib.util.find_spec("uvloop") is not None else "asyncio"
    return ("httptools" if HttpToolsProtocol is not None else "h11") + "+" + loop


class HeadersTooLarge(Exception):
    """A request line and headers longer than the limit (httptools has no limit of its own)."""


def guarded_protocol(read_timeout: float, max_connections: int, max_header_bytes: int = 16 * 1024,
                     *, use_httptools: bool | None = None) -> type[Any]:
    """uvicorn's HTTP protocol with a read timeout and a connection cap (see the module doc).

    Args:
        read_timeout: seconds a connection has to deliver a whole request.
        max_connections: open connections allowed in this process.
        max_header_bytes: the longest request line and headers (h11 is given it as
            ``h11_max_incomplete_event_size``; on httptools this protocol enforces it: 400).
        use_httptools: build on httptools (default: when installed) or on h11.

    Returns:
        A protocol class for ``uvicorn.Config(http=...)``.
    """
    httptools_base = HttpToolsProtocol if use_httptools is None else (HttpToolsProtocol if use_httptools else None)
    base: type[Any] = httptools_base if httptools_base is not None else H11Protocol

    class GuardedH11Protocol(base):
        """An h11 protocol that closes slow and surplus connections."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._refused = False
            self._in_head = True
            self._head_size = 0
            self._since = 0.0
            self._read_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:
            if len(self.connections) >= max_connections and not self._evict():
                # Closed at accept: the descriptor is freed at once, nothing is logged.
                self._refused = True
                transport.abort()
                return
            # time.monotonic, not loop.time: uvloop's clock only moves once per loop turn, and the
            # connections accepted in one turn would tie for "oldest".
            self._since = time.monotonic()
            super().connection_made(transport)
            self._arm()

        def _evict(self) -> bool:
            """Close the oldest connection not being answered; whether there was one."""
            waiting = [c for c in self.connections
                       if isinstance(c, GuardedH11Protocol) and (c.cycle is None or c.cycle.response_complete)]
            if not waiting:
                return False
            oldest = min(waiting, key=lambda c: c._since)
            self.connections.discard(oldest)
            oldest._disarm()
            oldest.transport.abort()
            return True

        def connection_lost(self, exc: Exception | None) -> None:
            if self._refused:
                return
            self._disarm()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if self._read_timer is None and (self.cycle is None or self.cycle.response_complete):
                self._arm()  # the first bytes of a new request on a kept-alive connection
            if base is H11Protocol:
                super().data_received(data)
            elif self._feed_httptools(data):
                return
            cycle = self.cycle
            if cycle is not None and not cycle.response_complete and not cycle.more_body:
                self._disarm()  # the whole request is in; the app's deadline governs from here

        def _feed_httptools(self, data: bytes) -> bool:
            """httptools: parse ``data``; whether the connection was refused for the size of its head."""
            super().data_received(data)
            if self.transport.is_closing() or not self._in_head:
                self._head_size = 0
                return False
            self._head_size += len(data)  # a head still incomplete (trickled or huge): count it as it comes
            if self._head_size > max_header_bytes:
                self.send_400_response("Request headers too large.")
                return True
            return False

        def on_message_begin(self) -> None:
            self._in_head = True
            super().on_message_begin()

        def on_headers_complete(self) -> None:
            self._in_head = False
            self._head_size = 0
            size = len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)
            if size > max_header_bytes:
                raise HeadersTooLarge  # httptools answers 400 and closes
            super().on_headers_complete()

        def _arm(self) -> None:
            self._disarm()
            self._read_timer = self.loop.call_later(read_timeout, self._read_timed_out)

        def _disarm(self) -> None:
            if self._read_timer is not None:
                self._read_timer.cancel()
                self._read_timer = None

        def _read_timed_out(self) -> None:
            self._read_timer = None
            if not self.transport.is_closing():
                log.debug("closing a connection that sent no complete request in %s s", read_timeout)
                self.transport.close()

    return GuardedH11Protocol


class RateLimitedFilter(logging.Filter):
    """Let through at most one record per ``interval`` seconds for each message text.

    Records above ``max_level`` always pass (uvicorn's errors carry tracebacks worth keeping).

    asyncio logs every failed ``accept`` (``socket.accept() out of system resource``); at
    descriptor exhaustion that is thousands of lines a second.

    >>> f = RateLimitedFilter(interval=60)
    >>> record = logging.LogRecord("asyncio", logging.ERROR, "", 0, "socket.accept() out of system resource", (), None)
    >>> f.filter(record), f.filter(record)
    (True, False)
    """

    def __init__(self, interval: float = 60.0, max_level: int = logging.CRITICAL) -> None:
        super().__init__()
        self.interval = interval
        self.max_level = max_level
        self._last: dict[str, float] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        """Whether to emit ``record`` (always, above ``max_level``)."""
        if record.levelno > self.max_level:
            return True
        key = str(record.msg).split("\n", 1)[0]
        now = time.monotonic()
        last = self._last.get(key)
        if last is not None and now - last < self.interval:
            return False
        if len(self._last) > 1000:
            self._last.clear()
        self._last[key] = now
        return True
