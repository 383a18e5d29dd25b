"""Run the API under uvicorn: one process, or N worker processes sharing one loaded graph.

With ``workers > 1`` on a system with ``fork`` the parent loads the graph once, binds the
socket, freezes the collector's view of the loaded objects and forks the workers: every worker
serves the same graph from pages it shares with the parent (copy-on-write), so memory stays
close to one graph's whatever N. Without ``fork`` uvicorn's own workers each load the graph
from the compiled snapshot.

The parent supervises the forked workers and never gives up silently:

* a worker that dies is replaced; when workers keep dying soon after they start (a crash
  loop) each restart waits twice as long as the last, up to :data:`RESTART_DELAY_MAX`, so the
  supervisor backs off instead of spinning or stopping;
* each worker's event loop writes a heartbeat to memory shared with the parent ten times a
  second; a worker silent for ``heartbeat_timeout`` seconds (hung, stopped) is killed and
  replaced;
* SIGINT/SIGTERM stop every worker and :func:`serve` returns 0; it returns non-zero when the
  service stopped for any other reason.

Connections are limited below the ASGI layer (:mod:`server.connections`): a read timeout,
uvicorn's keep-alive timeout, a header size cap, and a cap on open connections sized to the
file-descriptor limit. uvicorn's own access log is off (it writes the URL, and a GET carries
the query there); :class:`~server.middleware.AccessLog` logs each request instead.
"""

from __future__ import annotations

import contextlib
import copy
import gc
import logging
import multiprocessing
import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from typing import Any

import uvicorn
from uvicorn.config import LOGGING_CONFIG

from kg.snapshot import cached_load
from server.app import create_app
from server.connections import connection_cap, guarded_protocol, raise_fd_limit
from server.middleware import ACCESS_LOGGER
from server.settings import ServerSettings

__all__ = ["FACTORY", "log_config", "serve"]

log = logging.getLogger(__name__)
#: Delay before restarting a worker that died soon after it started; doubles per such death.
RESTART_DELAY_FIRST = 0.5
#: Longest delay between restarts in a crash loop, seconds.
RESTART_DELAY_MAX = 30.0
#: A worker that lived this long was healthy: when it dies, the next one starts at once.
HEALTHY_AFTER = 30.0
#: Seconds the workers get to stop after SIGTERM before they are killed.
STOP_GRACE = 10.0
#: How often (seconds) a thread running Python code lets others take the interpreter lock.
#: Python's default, 5 ms, is paid several times per request by the event loop each time it
#: waits for the lock behind a busy execution thread: ``/healthz`` took 20 to 100 ms during a
#: large claim batch. At 1 ms it stays within a few milliseconds.
SWITCH_INTERVAL = 0.001

#: Import string of the app factory each worker process calls.
FACTORY = "server.app:create_app_from_env"


def _compile_snapshot(settings: ServerSettings) -> None:
    # Build the snapshot once in the parent so N workers read it instead of parsing RDF N times.
    from kg.layers import default_layers

    cached_load(default_layers(settings.data_dirs).files, use_cache=True)


def log_config(access_log: bool = True) -> dict[str, Any]:
    """uvicorn's logging configuration, plus strawberry's and this package's loggers.

    Internal GraphQL errors are logged (with traceback) by the ``strawberry.execution`` logger
    before they are masked; this routes them to the same handler as uvicorn's own messages.
    The access log (``server.access``) goes to stdout like uvicorn's would; asyncio's and
    uvicorn's repeated warnings (failed accepts, invalid requests) are kept to one a minute.

    Args:
        access_log: log one line per request.
    """
    config = copy.deepcopy(LOGGING_CONFIG)
    filters = config.setdefault("filters", {})
    filters["once_a_minute"] = {"()": "server.connections.RateLimitedFilter"}
    filters["warnings_once_a_minute"] = {"()": "server.connections.RateLimitedFilter", "max_level": logging.WARNING}
    for name in ("strawberry", "server"):
        config["loggers"][name] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    config["loggers"][ACCESS_LOGGER] = {"handlers": ["access"], "level": "INFO" if access_log else "WARNING",
                                        "propagate": False}
    config["handlers"]["access"]["formatter"] = "plain_access"
    config["formatters"]["plain_access"] = {"()": "uvicorn.logging.DefaultFormatter", "fmt": "%(levelprefix)s %(message)s"}
    config["loggers"]["asyncio"] = {"handlers": ["default"], "level": "WARNING", "propagate": False,
                                    "filters": ["once_a_minute"]}
    config["loggers"]["uvicorn.error"] = {"level": "INFO", "filters": ["warnings_once_a_minute"]}
    return config


def serve(
    settings: ServerSettings | None = None,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    log_level: str = "info",
    access_log: bool = True,
    app: Any = None,
    on_listen: Callable[[str], None] | None = None,
) -> int:
    """Serve the GraphQL API until interrupted.

    Args:
        settings: what to serve and how (data directories, CORS, introspection, GraphiQL).
        host: interface to bind (loopback by default: expose it deliberately).
        port: TCP port.
        workers: worker processes; above 1 the settings reach them as ``CODINGKG_SERVER_*``
            environment variables and each loads the graph from the compiled snapshot.
        log_level: uvicorn's log level.
        access_log: log one line per request.
        app: an ASGI app to serve instead of the one built from ``settings`` (one process only;
            the benchmark serves a trivial schema this way to compare like with like).
        on_listen: called with the base URL (``http://HOST:PORT``) once the socket is bound and
            the graph loaded, before serving (with port 0 the URL names the port chosen).

    Returns:
        The exit status: 0 when stopped by SIGINT/SIGTERM, non-zero otherwise.

    Raises:
        ValueError: ``workers`` is below 1, or above 1 with an ``app``.
        OSError: the address cannot be bound (in use, not an interface of this host, ...).
        kg.load.GraphLoadError: the graph does not load.
    """
    settings = settings or ServerSettings()
    if workers < 1:
        raise ValueError(f"workers must be at least 1 (got {workers})")
    if app is not None and workers > 1:
        raise ValueError("an explicit app can only be served by one process")
    sys.setswitchinterval(SWITCH_INTERVAL)
    # uvicorn's access log is off: AccessLog logs each request without its query string.
    options: dict[str, Any] = {
        "host": host, "port": port, "log_level": log_level, "access_log": False, "log_config": log_config(access_log),
        "timeout_keep_alive": settings.keep_alive, "h11_max_incomplete_event_size": settings.max_header_bytes,
    }
    if hasattr(os, "fork"):
        cap = connection_cap(settings.max_connections, raise_fd_limit())
        options["http"] = guarded_protocol(settings.read_timeout, cap)
    if workers == 1:
        # Bound here, before the graph loads, rather than by uvicorn: a port in use is then an
        # OSError the caller reports at once in one line, and port 0 can be announced.
        sock = _bind(host, port)
        try:
            app = app if app is not None else create_app(settings)
            _announce(on_listen, host, sock)
            _freeze_loaded_objects()
            config = {k: v for k, v in options.items() if k not in ("host", "port")}
            server = uvicorn.Server(uvicorn.Config(app, **config))
            server.run(sockets=[sock])
        finally:
            sock.close()
        return 0 if server.started else 1
    if hasattr(os, "fork"):
        sock = _bind(host, port)
        try:
            app = create_app(settings)
        except BaseException:
            sock.close()
            raise
        return _serve_forked(app, sock, workers, options, settings.heartbeat_timeout, on_listen)
    if settings.use_cache:
        _compile_snapshot(settings)
    os.environ.update(settings.to_env())
    if on_listen is not None:
        on_listen(_url(host, port))
    uvicorn.run(FACTORY, factory=True, workers=workers, **options)
    return 0


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _announce(on_listen: Callable[[str], None] | None, host: str, sock: socket.socket) -> None:
    if on_listen is not None:
        on_listen(_url(host, sock.getsockname()[1]))


def _freeze_loaded_objects() -> None:
    """Move everything loaded so far (the graph, the schema) out of the cyclic collector's reach.

    Those objects live as long as the server, so collecting them only costs: full collections
    over a graph of 100 k edges pause requests (the p99), and in forked workers the
    collector's writes to their headers would unshare the pages copy-on-write keeps shared.
    """
    gc.collect()
    gc.freeze()


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY on accepted connections only when the
    # socket says it is TCP; with proto 0 every small response waits on Nagle's algorithm and
    # the client's delayed ACK (about 40 ms a request on Linux).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


class _BeatingServer(uvicorn.Server):
    """A uvicorn server whose event loop writes a heartbeat to shared memory on every tick."""

    def __init__(self, config: uvicorn.Config, beats: Any, slot: int) -> None:
        super().__init__(config)
        self.beats = beats
        self.slot = slot

    async def on_tick(self, counter: int) -> bool:
        """uvicorn calls this ten times a second from the event loop: a beat proves the loop turns."""
        self.beats[self.slot] = time.monotonic()
        return await super().on_tick(counter)


def _fork_worker(app: Any, sock: socket.socket, options: dict[str, Any], beats: Any, slot: int) -> int:
    beats[slot] = time.monotonic()  # the worker's first beat: it has heartbeat_timeout to start
    pid = os.fork()
    if pid:
        return pid
    # In the worker: default signal handling (uvicorn installs its own), serve until told to stop.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    config = {k: v for k, v in options.items() if k not in ("host", "port")}
    status = 1
    try:
        server = _BeatingServer(uvicorn.Config(app, **config), beats, slot)
        server.run(sockets=[sock])
        status = 0 if server.started else 1
    finally:
        os._exit(status)


def _restart_delay(quick_deaths: int) -> float:
    """Seconds to wait before the next restart after ``quick_deaths`` deaths in a row soon after start.

    >>> [_restart_delay(n) for n in (0, 1, 2, 3, 10)]
    [0.0, 0.5, 1.0, 2.0, 30.0]
    """
    return 0.0 if quick_deaths == 0 else min(RESTART_DELAY_FIRST * 2 ** (quick_deaths - 1), RESTART_DELAY_MAX)


def _serve_forked(app: Any, sock: socket.socket, workers: int, options: dict[str, Any], heartbeat_timeout: float,
                  on_listen: Callable[[str], None] | None = None) -> int:
    """Pre-fork ``workers`` uvicorn servers over one bound socket and one graph; supervise them (see the module doc)."""
    _announce(on_listen, options["host"], sock)
    _freeze_loaded_objects()
    beats = multiprocessing.RawArray("d", workers)  # shared with the workers across fork
    slots: dict[int, int] = {}  # pid -> slot
    born: dict[int, float] = {}  # pid -> start time
    pending: dict[int, float] = {}  # slot -> when to start its next worker
    quick_deaths = 0
    stopping: float | None = None

    def start(slot: int) -> None:
        pid = _fork_worker(app, sock, options, beats, slot)
        slots[pid] = slot
        born[pid] = time.monotonic()

    def stop(signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = stopping or time.monotonic()
        for pid in list(slots):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for slot in range(workers):
        start(slot)
    try:
        while slots or stopping is None:
            now = time.monotonic()
            for pid, status in _reap():
                slot = slots.pop(pid, None)
                if slot is None or stopping is not None:
                    continue
                lived = now - born.pop(pid, now)
                quick_deaths = 0 if lived >= HEALTHY_AFTER else quick_deaths + 1
                delay = _restart_delay(quick_deaths)
                log.warning("worker %d exited (status %s) after %.1f s; starting another in %.1f s", pid, status, lived, delay)
                pending[slot] = now + delay
            if stopping is not None:
                if now - stopping > STOP_GRACE:
                    for pid in list(slots):
                        _kill(pid)
                time.sleep(0.05)
                continue
            for slot, when in list(pending.items()):
                if now >= when:
                    del pending[slot]
                    start(slot)
            for pid, slot in list(slots.items()):
                silent = now - beats[slot]
                if silent > heartbeat_timeout:
                    log.error("worker %d sent no heartbeat for %.0f s; replacing it", pid, silent)
                    _kill(pid)
                    beats[slot] = now  # one kill per timeout, not one per loop turn
            time.sleep(0.1)
    finally:
        sock.close()
    return 0


def _reap() -> list[tuple[int, int]]:
    """The (pid, status) of every child that has exited, without waiting."""
    exited = []
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            break
        exited.append((pid, status))
    return exited


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
