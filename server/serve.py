"""Run the API under uvicorn: one process, or N worker processes sharing one loaded graph.

With ``workers > 1`` on a system with ``fork`` the parent loads the graph once, binds the
socket, freezes the collector's view of the loaded objects and forks the workers: every worker
serves the same graph from pages it shares with the parent (copy-on-write), so memory stays
close to one graph's whatever N. Without ``fork`` uvicorn's own workers each load the graph
from the compiled snapshot.

The forked workers share the one listening socket, so a connection waits in one queue until
some worker accepts it, whatever workers are retired, die or start meanwhile (per-worker
``SO_REUSEPORT`` listeners would lose the connections queued on a listener that closes). They
take turns by load (:mod:`server.accepting`): each worker publishes how many connections it
holds in memory shared with its peers and stops accepting while it holds more than the least
loaded live one, so a burst of clients spreads evenly instead of landing on whichever worker
woke first; when connections wait 100 ms while a less loaded peer takes none (busy, hung), a
paused worker takes one, then twice as many every 100 ms they keep waiting.

The parent supervises the forked workers and never gives up silently:

* a worker that dies is replaced; when workers keep dying soon after they start (a crash
  loop) each restart waits twice as long as the last, up to :data:`RESTART_DELAY_MAX`, so the
  supervisor backs off instead of spinning or stopping;
* each worker's event loop writes a heartbeat (and the connections it holds) to memory shared
  with the parent and the other workers ten times a second; a worker silent for
  ``heartbeat_timeout`` seconds (hung, stopped) is killed and replaced;
* SIGINT/SIGTERM stop every worker and :func:`serve` returns 0; it returns non-zero when the
  service stopped for any other reason.

Connections are limited below the ASGI layer (:mod:`server.connections`): a read timeout,
uvicorn's keep-alive timeout, a header size cap, and a cap on open connections sized to the
file-descriptor limit. uvicorn's own access log is off (it writes the URL, and a GET carries
the query there); :class:`~server.middleware.AccessLog` (text) or
:class:`~server.observability.RequestObserver` (JSON) logs each request instead.

SIGHUP reloads the releases without a restart. A child interpreter first verifies the releases
and compiles their snapshot (:mod:`server.compile`), so the serving processes never parse RDF
and their memory stays what a fresh start gives. One process then reloads in place (a thread
loads the new graph aside and swaps it in: :class:`server.reload.ServedGraph`). With forked
workers the parent loads it, forks a fresh set of workers from it and retires the old ones (they stop accepting,
leaving what waits in the shared queue to the new ones, answer what their open connections send
with ``Connection: close``, then exit), so requests in flight finish on the old graph, clients
move over without a dropped connection and memory stays shared; a release that fails to verify
or load is refused and the old workers keep serving.
``POST /admin/reload`` in a worker asks the parent for the same by signalling it.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import ctypes
import gc
import logging
import logging.config
import multiprocessing
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import uvicorn
from uvicorn.config import LOGGING_CONFIG

from kg.claims import engine_build
from server import metrics
from server.accepting import STALL_S, Acceptor, Peers
from server.app import create_app, load_graph
from server.compile import compile_aside
from server.connections import connection_cap, guarded_protocol, http_stack, raise_fd_limit
from server.middleware import ACCESS_LOGGER
from server.settings import ServerSettings

__all__ = ["FACTORY", "LOG_FORMATS", "log_config", "serve"]

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
#: Accepted values of ``--log-format``.
LOG_FORMATS = ("text", "json")
#: Seconds connections wait in the shared queue while a less loaded worker takes none before a
#: paused worker takes one (see :mod:`server.accepting`).
ACCEPT_STALL_S = STALL_S
#: Seconds a worker retired by a reload keeps answering on its open connections (each answer
#: saying ``Connection: close``, so clients reconnect to the new workers) before it shuts down.
DRAIN_S = 5.0


def _compile_snapshot(settings: ServerSettings) -> None:
    # Build the snapshot once in the parent so N workers read it instead of parsing RDF N times
    # (the releases are verified first, as every load does).
    load_graph(settings)


def log_config(log_format: str = "text", access_log: bool = True) -> dict[str, Any]:
    """uvicorn's logging configuration, plus strawberry's and this package's loggers.

    Internal GraphQL errors are logged (with traceback) by the ``strawberry.execution`` logger
    before they are masked; this routes them to the same handler as uvicorn's own messages.
    The access log (``server.access``) goes to stdout like uvicorn's would; asyncio's and
    uvicorn's repeated warnings (failed accepts, invalid requests) are kept to one a minute.

    Args:
        log_format: ``text`` (uvicorn's lines) or ``json`` (one object per line with the
            request id, see :class:`server.observability.JsonFormatter`).
        access_log: log one line per request.
    """
    config = copy.deepcopy(LOGGING_CONFIG)
    filters = config.setdefault("filters", {})
    filters["once_a_minute"] = {"()": "server.connections.RateLimitedFilter"}
    filters["warnings_once_a_minute"] = {"()": "server.connections.RateLimitedFilter", "max_level": logging.WARNING}
    for name in ("strawberry", "server", "kg"):
        config["loggers"][name] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    config["loggers"][ACCESS_LOGGER] = {"handlers": ["access"], "level": "INFO" if access_log else "WARNING",
                                        "propagate": False}
    config["handlers"]["access"]["formatter"] = "plain_access"
    config["formatters"]["plain_access"] = {"()": "uvicorn.logging.DefaultFormatter", "fmt": "%(levelprefix)s %(message)s"}
    config["loggers"]["asyncio"] = {"handlers": ["default"], "level": "WARNING", "propagate": False,
                                    "filters": ["once_a_minute"]}
    config["loggers"]["uvicorn.error"] = {"level": "INFO", "filters": ["warnings_once_a_minute"]}
    if log_format == "json":
        config["formatters"]["json"] = {"()": "server.observability.JsonFormatter"}
        config.setdefault("filters", {})["request_id"] = {"()": "server.observability.RequestIdFilter"}
        for handler in config["handlers"].values():
            handler["formatter"] = "json"
            handler["filters"] = ["request_id"]
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
    log_format: str = "text",
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
        log_format: ``text`` or ``json`` (JSON lines with a request id, one access line per
            request from the app instead of uvicorn's).

    Returns:
        The exit status: 0 when stopped by SIGINT/SIGTERM, non-zero otherwise.

    Raises:
        ValueError: ``workers`` is below 1, or above 1 with an ``app``, or an unknown log format.
        OSError: the address cannot be bound (in use, not an interface of this host, ...).
        kg.verify.ReleaseError: a release directory is missing, empty or does not match its manifest.
        kg.load.GraphLoadError: the graph does not load.
    """
    settings = settings or ServerSettings()
    if workers < 1:
        raise ValueError(f"workers must be at least 1 (got {workers})")
    if app is not None and workers > 1:
        raise ValueError("an explicit app can only be served by one process")
    if log_format not in LOG_FORMATS:
        raise ValueError(f"log format must be one of {', '.join(LOG_FORMATS)} (got {log_format!r})")
    json_logs = log_format == "json"
    sys.setswitchinterval(SWITCH_INTERVAL)
    # uvicorn's access log is off: it writes the URL, and a GET carries the query there. The
    # app logs each request instead (AccessLog in text, RequestObserver in JSON).
    options: dict[str, Any] = {
        "host": host, "port": port, "log_level": log_level, "access_log": False,
        "log_config": log_config(log_format, access_log and not json_logs),
        "timeout_keep_alive": settings.keep_alive, "h11_max_incomplete_event_size": settings.max_header_bytes,
    }
    if hasattr(os, "fork"):
        cap = connection_cap(settings.max_connections, raise_fd_limit())
        options["http"] = guarded_protocol(settings.read_timeout, cap, settings.max_header_bytes)

    # The supervisor logs reloads too, so it gets the workers' logging configuration (uvicorn
    # applies it again in each worker).
    logging.config.dictConfig(options["log_config"])

    def build() -> Any:
        return create_app(settings, json_access_log=json_logs and access_log)

    if workers == 1:
        # Bound here, before the graph loads, rather than by uvicorn: a port in use is then an
        # OSError the caller reports at once in one line, and port 0 can be announced.
        sock = _bind(host, port)
        try:
            app = app if app is not None else build()
            _log_stack(options)
            _reload_in_place_on_sighup(app, settings)
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
            app = build()
        except BaseException:
            sock.close()
            raise
        _log_stack(options)
        prepare = (lambda: compile_aside(settings)) if settings.use_cache else None
        return _serve_forked(app, sock, workers, options, settings.heartbeat_timeout, on_listen, rebuild=build,
                             prepare=prepare)
    if settings.use_cache:
        _compile_snapshot(settings)
    os.environ.update(settings.to_env())
    if on_listen is not None:
        on_listen(_url(host, port))
    uvicorn.run(FACTORY, factory=True, workers=workers, **options)
    return 0


def _log_stack(options: dict[str, Any]) -> None:
    # Once the port is ours and the graph built: a port in use or a bad file stays a one-line error.
    log.info("HTTP on %s; claim engine %s", http_stack() if "http" in options else "uvicorn's default protocol",
             engine_build())


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


def _reload_in_place_on_sighup(app: Any, settings: ServerSettings) -> None:
    """One process: SIGHUP reloads in a thread (the event loop keeps serving the old graph meanwhile)."""
    served = getattr(getattr(app, "state", None), "served", None)
    if served is None or not hasattr(signal, "SIGHUP"):
        return
    if settings.use_cache:
        served.prepare = lambda: compile_aside(settings)  # parse elsewhere, load the snapshot here

    def on_sighup(_signum: int, _frame: Any) -> None:
        threading.Thread(target=served.reload, name="codingkg-reload", daemon=True).start()

    def let_old_graph_go() -> None:
        # The first graph was frozen out of the collector's reach; unfreeze so its cycles can be
        # collected once the last request holding it ends, then freeze what is live now.
        gc.unfreeze()
        _return_freed_memory()
        gc.freeze()

    served.on_swap = let_old_graph_go
    signal.signal(signal.SIGHUP, on_sighup)


def _ask_parent_to_reload(app: Any, parent: int) -> None:
    """In a forked worker: the admin endpoint signals the supervisor, which swaps every worker."""
    state = getattr(app, "state", None)
    if state is not None and hasattr(state, "served"):
        state.reload_hook = lambda: os.kill(parent, signal.SIGHUP)


class _BeatingServer(uvicorn.Server):
    """A forked worker's uvicorn server: a heartbeat on every tick, accepts balanced with its peers.

    Instead of an ``asyncio.Server`` on the shared socket it accepts through a
    :class:`server.accepting.Acceptor`, which takes a connection only while this worker holds
    no more connections than its least loaded peer.
    """

    def __init__(self, config: uvicorn.Config, peers: Peers) -> None:
        super().__init__(config)
        self.peers = peers
        self.retired = False
        self.acceptors: list[Acceptor] = []

    def held(self) -> int:
        """Client connections this worker holds."""
        return sum(a.held() for a in self.acceptors) if self.acceptors else len(self.server_state.connections)

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """uvicorn's start-up (the app's lifespan) without its listener; an :class:`Acceptor` per socket instead."""
        await super().startup(sockets=[])
        config = self.config

        def protocol() -> asyncio.Protocol:
            return config.http_protocol_class(config=config, server_state=self.server_state,  # type: ignore[call-arg]
                                              app_state=self.lifespan.state)

        connections = self.server_state.connections
        self.acceptors = [Acceptor(sock, protocol, self.peers, connections.__len__, ACCEPT_STALL_S)
                          for sock in sockets or ()]
        self.servers = self.acceptors  # type: ignore[assignment]  # uvicorn's shutdown closes them
        if not self.retired:
            for acceptor in self.acceptors:
                acceptor.start()

    async def on_tick(self, counter: int) -> bool:
        """uvicorn calls this ten times a second from the event loop: a beat proves the loop turns."""
        if not self.retired:
            self.peers.publish(self.held())
        return await super().on_tick(counter)

    def retire(self) -> None:
        """Stop accepting and stop counting as a peer (from the event loop's thread)."""
        self.retired = True
        self.peers.leave()
        for acceptor in self.acceptors:
            acceptor.close()


def _fork_worker(app: Any, sock: socket.socket, options: dict[str, Any], peers: Peers) -> int:
    parent = os.getpid()
    peers.arrive()  # the worker's first beat: it has heartbeat_timeout to start
    pid = os.fork()
    if pid:
        return pid
    # In the worker: default signal handling (uvicorn installs its own), serve until told to stop.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, signal.SIG_IGN)  # reloads are the parent's job
    _ask_parent_to_reload(app, parent)
    config = {k: v for k, v in options.items() if k not in ("host", "port")}
    status = 1
    try:
        server = _BeatingServer(uvicorn.Config(app, **config), peers)
        _drain_on_sigusr1(server, app)
        server.run(sockets=[sock])
        status = 0 if server.started else 1
    finally:
        os._exit(status)


def _drain_on_sigusr1(server: _BeatingServer, app: Any) -> None:
    """In a worker: SIGUSR1 retires it without dropping connections.

    The worker stops accepting (the connections still queued on the shared socket go to the
    other workers), answers what its open connections still send with ``Connection: close``
    (see :class:`server.observability.RequestObserver`), and shuts down gracefully after
    :data:`DRAIN_S`. Shutting down at once would close idle keep-alive connections under
    clients about to reuse them.
    """
    if not hasattr(signal, "SIGUSR1"):
        return

    def retire() -> None:
        state = getattr(app, "state", None)
        if state is not None:
            state.draining = True
        server.retire()
        threading.Timer(DRAIN_S, setattr, (server, "should_exit", True)).start()

    def drain(_signum: int, _frame: Any) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not serving yet: startup sees server.retired and never accepts
            retire()
            return
        loop.call_soon_threadsafe(retire)  # the acceptors belong to the loop: change them from it

    signal.signal(signal.SIGUSR1, drain)


def _return_freed_memory() -> None:
    """Collect the old graph and hand freed heap pages back to the system (glibc only).

    Python has no binding for malloc_trim; without it the pages of a replaced graph stay in
    this process's RSS and in every worker forked from it.
    """
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # not glibc: the pages stay, costing memory only
        ctypes.CDLL("libc.so.6").malloc_trim(0)


class _Workers:
    """The live workers: each one's slot in memory shared across fork (heartbeat, open connections), start time."""

    def __init__(self, sock: socket.socket, options: dict[str, Any], capacity: int) -> None:
        self.sock = sock
        self.options = options
        self.beats = multiprocessing.RawArray("d", capacity)
        self.loads = multiprocessing.RawArray("l", capacity)  # connections each worker holds
        self.slots: dict[int, int] = {}  # pid -> slot in beats and loads
        self.born: dict[int, float] = {}  # pid -> time.monotonic() at fork

    def spawn(self, app: Any) -> int:
        """Fork a worker serving ``app`` into a free slot; its pid."""
        used = set(self.slots.values())
        slot = next(n for n in range(len(self.beats)) if n not in used)
        pid = _fork_worker(app, self.sock, self.options, Peers(self.loads, self.beats, slot))
        self.slots[pid] = slot
        self.born[pid] = time.monotonic()
        return pid

    def forget(self, pid: int) -> float | None:
        """Stop watching a worker (dead or retired); when it was live, the time it was forked.

        Its slot stops counting at once: the other workers no longer balance against a load
        that is gone (a retired worker also leaves by itself, and stops beating).
        """
        slot = self.slots.pop(pid, None)
        if slot is not None:
            Peers(self.loads, self.beats, slot).leave()
        return self.born.pop(pid, None)

    def silent(self, timeout: float) -> list[tuple[int, float]]:
        """The live workers whose last heartbeat is older than ``timeout`` seconds, with the silence."""
        now = time.monotonic()
        return [(pid, now - self.beats[slot]) for pid, slot in list(self.slots.items()) if now - self.beats[slot] > timeout]

    def beat_now(self, pid: int) -> None:
        """Count the worker as just heard from (one kill per silence, not one per supervisor turn)."""
        slot = self.slots.get(pid)
        if slot is not None:
            self.beats[slot] = time.monotonic()


class _Generation:
    """The app new workers are forked from, and the workers of older apps being retired."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.retired: set[int] = set()
        self.reloading = False
        self.pending = False
        self.stopping = False


def _refork_on_sighup(generation: _Generation, live: _Workers, workers: int, rebuild: Callable[[], Any],
                      prepare: Callable[[], str | None] | None = None) -> None:
    """Forked workers: SIGHUP builds a new app aside, forks new workers from it, retires the old."""
    def refuse(reason: str) -> None:
        log.error("reload refused, workers keep serving %s: %s", generation.app.state.served.version, reason)
        metrics.record_reload("refused")

    def reload_workers() -> None:
        if generation.stopping:
            return
        problem = prepare() if prepare is not None else None
        if problem is not None:
            refuse(problem)
            return
        try:
            fresh = rebuild()
        except Exception as err:  # any failure refuses the release; the old workers keep serving
            refuse(" ".join(str(err).split()) or type(err).__name__)
            return
        metrics.record_reload("ok")  # counted before forking, so the new workers' /metrics show it
        log.info("reloaded: now serving %s", fresh.state.served.version)
        old = set(live.slots)
        generation.app = fresh
        gc.unfreeze()
        _return_freed_memory()
        _freeze_loaded_objects()
        for _ in range(workers):
            live.spawn(fresh)
        for pid in old:
            live.forget(pid)
            generation.retired.add(pid)
            try:
                os.kill(pid, signal.SIGUSR1)  # drain, then exit (see _drain_on_sigusr1)
            except ProcessLookupError:
                generation.retired.discard(pid)

    def on_sighup(_signum: int, _frame: Any) -> None:
        # Runs in the main thread between os.wait() retries; a HUP during a reload queues one more.
        if generation.reloading:
            generation.pending = True
            return
        generation.reloading = True
        try:
            while True:
                generation.pending = False
                reload_workers()
                if not generation.pending:
                    break
        finally:
            generation.reloading = False

    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, on_sighup)


def _restart_delay(quick_deaths: int) -> float:
    """Seconds to wait before the next restart after ``quick_deaths`` deaths in a row soon after start.

    >>> [_restart_delay(n) for n in (0, 1, 2, 3, 10)]
    [0.0, 0.5, 1.0, 2.0, 30.0]
    """
    return 0.0 if quick_deaths == 0 else min(RESTART_DELAY_FIRST * 2 ** (quick_deaths - 1), RESTART_DELAY_MAX)


def _serve_forked(app: Any, sock: socket.socket, workers: int, options: dict[str, Any], heartbeat_timeout: float,
                  on_listen: Callable[[str], None] | None = None, rebuild: Callable[[], Any] | None = None,
                  prepare: Callable[[], str | None] | None = None) -> int:
    """Pre-fork ``workers`` uvicorn servers over one bound socket and one graph; supervise them (see the module doc)."""
    _announce(on_listen, options["host"], sock)
    _freeze_loaded_objects()
    generation = _Generation(app)
    # Room for two sets of workers: a reload forks the new set before it retires the old.
    live = _Workers(sock, options, capacity=2 * workers)
    for _ in range(workers):
        live.spawn(app)
    del app  # from here on only generation.app holds it, so a reload can free the old graph
    if rebuild is not None:
        _refork_on_sighup(generation, live, workers, rebuild, prepare)
    restarts: list[float] = []  # when to start a worker in place of one that died
    quick_deaths = 0
    stopping: float | None = None

    def stop(signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = stopping or time.monotonic()
        generation.stopping = True
        for pid in [*live.slots, *generation.retired]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        while live.slots or stopping is None:
            now = time.monotonic()
            for pid, status in _reap():
                metrics.mark_process_dead(pid)
                if pid in generation.retired:
                    generation.retired.discard(pid)
                    continue
                born = live.forget(pid)
                if born is None or stopping is not None:
                    continue
                lived = now - born
                quick_deaths = 0 if lived >= HEALTHY_AFTER else quick_deaths + 1
                delay = _restart_delay(quick_deaths)
                log.warning("worker %d exited (status %s) after %.1f s; starting another in %.1f s", pid, status, lived, delay)
                restarts.append(now + delay)
            if stopping is not None:
                if now - stopping > STOP_GRACE:
                    for pid in list(live.slots):
                        _kill(pid)
                time.sleep(0.05)
                continue
            for when in [t for t in restarts if t <= now]:
                restarts.remove(when)
                live.spawn(generation.app)
            for pid, silence in live.silent(heartbeat_timeout):
                log.error("worker %d sent no heartbeat for %.0f s; replacing it", pid, silence)
                _kill(pid)
                live.beat_now(pid)
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
