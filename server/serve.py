"""Run the API under uvicorn: one process, or N worker processes sharing one loaded graph.

With ``workers > 1`` on a system with ``fork`` the parent loads the graph once, binds the
socket, freezes the collector's view of the loaded objects and forks the workers: every worker
serves the same graph from pages it shares with the parent (copy-on-write), so memory stays
close to one graph's whatever N. The parent supervises: it restarts a worker that dies and
stops them all on SIGINT/SIGTERM. Without ``fork`` uvicorn's own workers each load the graph
from the compiled snapshot.
"""

from __future__ import annotations

import copy
import gc
import logging
import os
import signal
import socket
import time
from collections.abc import Callable
from typing import Any

import uvicorn
from uvicorn.config import LOGGING_CONFIG

from kg.snapshot import cached_load
from server.app import create_app
from server.settings import ServerSettings

__all__ = ["FACTORY", "log_config", "serve"]

log = logging.getLogger(__name__)
#: Restarts of crashed workers allowed per minute before the supervisor gives up.
MAX_RESTARTS_PER_MINUTE = 10

#: Import string of the app factory each worker process calls.
FACTORY = "server.app:create_app_from_env"


def _compile_snapshot(settings: ServerSettings) -> None:
    # Build the snapshot once in the parent so N workers read it instead of parsing RDF N times.
    from kg.layers import default_layers

    cached_load(default_layers(settings.data_dirs).files, use_cache=True)


def log_config() -> dict[str, Any]:
    """uvicorn's logging configuration, plus strawberry's and this package's loggers.

    Internal GraphQL errors are logged (with traceback) by the ``strawberry.execution`` logger
    before they are masked; this routes them to the same handler as uvicorn's own messages.
    """
    config = copy.deepcopy(LOGGING_CONFIG)
    for name in ("strawberry", "server"):
        config["loggers"][name] = {"handlers": ["default"], "level": "INFO", "propagate": False}
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
) -> None:
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
    options = {"host": host, "port": port, "log_level": log_level, "access_log": access_log, "log_config": log_config()}
    if workers == 1:
        # Bound here, before the graph loads, rather than by uvicorn: a port in use is then an
        # OSError the caller reports at once in one line, and port 0 can be announced.
        sock = _bind(host, port)
        try:
            app = app if app is not None else create_app(settings)
            _announce(on_listen, host, sock)
            _freeze_loaded_objects()
            config = {k: v for k, v in options.items() if k not in ("host", "port")}
            uvicorn.Server(uvicorn.Config(app, **config)).run(sockets=[sock])
        finally:
            sock.close()
        return
    if hasattr(os, "fork"):
        sock = _bind(host, port)
        try:
            app = create_app(settings)
        except BaseException:
            sock.close()
            raise
        _serve_forked(app, sock, workers, options, on_listen)
        return
    if settings.use_cache:
        _compile_snapshot(settings)
    os.environ.update(settings.to_env())
    if on_listen is not None:
        on_listen(_url(host, port))
    uvicorn.run(FACTORY, factory=True, workers=workers, **options)


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


def _fork_worker(app: Any, sock: socket.socket, options: dict[str, Any]) -> int:
    pid = os.fork()
    if pid:
        return pid
    # In the worker: default signal handling (uvicorn installs its own), serve until told to stop.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    config = {k: v for k, v in options.items() if k not in ("host", "port")}
    try:
        uvicorn.Server(uvicorn.Config(app, **config)).run(sockets=[sock])
    finally:
        os._exit(0)


def _serve_forked(app: Any, sock: socket.socket, workers: int, options: dict[str, Any],
                  on_listen: Callable[[str], None] | None = None) -> None:
    """Pre-fork ``workers`` uvicorn servers over one bound socket and one graph (see the module doc)."""
    _announce(on_listen, options["host"], sock)
    _freeze_loaded_objects()
    children = {_fork_worker(app, sock, options) for _ in range(workers)}
    stopping = False

    def stop(signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True
        for pid in list(children):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                children.discard(pid)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    restarts: list[float] = []
    try:
        while children:
            try:
                pid, status = os.wait()
            except ChildProcessError:
                break
            except InterruptedError:
                continue
            children.discard(pid)
            if stopping:
                continue
            now = time.monotonic()
            restarts = [t for t in restarts if now - t < 60] + [now]
            if len(restarts) > MAX_RESTARTS_PER_MINUTE:
                log.error("workers keep dying (last status %s); stopping", status)
                stop(signal.SIGTERM, None)
                continue
            log.warning("worker %d exited with status %s; starting another", pid, status)
            children.add(_fork_worker(app, sock, options))
    finally:
        sock.close()
