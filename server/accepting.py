"""Forked workers share one listening socket and take turns accepting from it by load.

Every forked worker (:mod:`server.serve`) listens on the socket the supervisor bound. Left to
asyncio, each worker's event loop accepts up to a hundred connections per wake-up, so a worker
that happens to wake first takes a whole burst: with 32 keep-alive clients one worker held all
32 connections in one run of eight and served them alone while the other idled.

Here each worker accepts through an :class:`Acceptor` instead of ``loop.create_server``: before
each ``accept`` it compares the connections it holds with those its live peers hold
(:class:`Peers`, in memory shared across fork) and stops watching the socket while it holds
more than the least loaded of them. A worker never pauses wrongly: a peer's count is published
as soon as it accepts (and lowered ten times a second), so what a worker reads is never below
the truth, and the least loaded worker always accepts. A paused worker looks again every
:data:`PAUSE_POLL_S`. Should connections wait in the queue for :data:`STALL_S` all the same
(the less loaded peer is busy, descheduled or hung; Linux reports the queue's length), the
paused worker takes one anyway, and twice as many each further :data:`STALL_S` they wait. A
peer counts only while its heartbeat is fresh (:data:`FRESH_S`), and a retired or dead worker
stops counting at once.

Why not one ``SO_REUSEPORT`` listener per worker: the kernel spreads connections over the
listeners by a hash, but when a listener closes (a worker retired by a reload, or one that
died) Linux resets the connections waiting in its accept queue unless
``net.ipv4.tcp_migrate_req`` is set, which a service cannot require. With one shared socket a
connection waits in one queue until some worker accepts it, whichever workers come and go.

Hand-written because neither asyncio, uvloop nor uvicorn can pause a server's accepting (only
close it) or balance accepts across processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import functools
import logging
import socket
import struct
import time
from collections.abc import Callable
from typing import Any

__all__ = ["ACCEPT_BATCH", "FRESH_S", "PAUSE_POLL_S", "STALL_S", "Acceptor", "Peers"]

log = logging.getLogger(__name__)

#: Seconds after its last heartbeat that a peer's load still counts (beats come ten times a second).
FRESH_S = 2.0
#: Seconds between a paused worker's looks at its peers' loads.
PAUSE_POLL_S = 0.005
#: Seconds connections may wait in the queue while a less loaded peer takes none before a paused worker takes one.
STALL_S = 0.1
#: Most connections accepted per wake-up (asyncio's own loop takes up to the backlog, 100).
ACCEPT_BATCH = 16
#: Seconds to stop accepting after the process ran out of descriptors or memory (as asyncio does).
ACCEPT_RETRY_S = 1.0
#: ``accept`` failures that mean "out of resources": stop for a while rather than spin.
_EXHAUSTED = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}
#: Seconds between two log lines about exhausted resources.
_LOG_EVERY_S = 60.0
#: Bytes of ``struct tcp_info`` read, and the offset of ``tcpi_unacked`` (8 one-byte fields, then 4 u32 before it).
_TCP_INFO_SIZE = 104
_TCPI_UNACKED = 24


class Peers:
    """Open connections and heartbeats of every worker, one slot each, in memory shared across fork.

    Args:
        loads: per slot, the connections that worker holds, -1 while it does not accept (a
            ``multiprocessing.RawArray``).
        beats: per slot, the ``time.monotonic()`` of that worker's last heartbeat (0: none).
        slot: this worker's slot.

    >>> from multiprocessing import RawArray
    >>> loads, beats = RawArray("l", 3), RawArray("d", 3)
    >>> a, b = Peers(loads, beats, 0), Peers(loads, beats, 1)
    >>> a.publish(0), b.publish(2)
    (None, None)
    >>> a.may_accept(0), a.may_accept(2), a.may_accept(3), b.may_accept(2)
    (True, True, False, False)
    >>> b.leave()
    >>> a.may_accept(3)
    True
    >>> b.arrive()  # started, not accepting yet: not a peer
    >>> a.may_accept(3)
    True
    """

    def __init__(self, loads: Any, beats: Any, slot: int) -> None:
        self.loads = loads
        self.beats = beats
        self.slot = slot

    def arrive(self) -> None:
        """A worker being started: heard from now (the supervisor's clock), not a peer until it accepts."""
        self.loads[self.slot] = -1
        self.beats[self.slot] = time.monotonic()

    def publish(self, held: int) -> None:
        """Tell the peers this worker holds ``held`` connections; also a heartbeat (its loop turns)."""
        self.loads[self.slot] = held
        self.beats[self.slot] = time.monotonic()

    def leave(self) -> None:
        """Stop counting as a peer (a retired worker): the others no longer wait for this one."""
        self.beats[self.slot] = 0.0
        self.loads[self.slot] = -1

    def may_accept(self, held: int) -> bool:
        """Whether a worker holding ``held`` connections may take one more: not above its least loaded live peer."""
        now = time.monotonic()
        least = None
        for slot in range(len(self.loads)):
            load = self.loads[slot]
            if slot != self.slot and load >= 0 and now - self.beats[slot] < FRESH_S:
                least = load if least is None or load < least else least
        return least is None or held <= least


class Acceptor:
    """Accepts connections from a shared listening socket while :class:`Peers` says this worker may.

    Stands in for the ``asyncio.Server`` uvicorn keeps in ``Server.servers``: it has ``close``
    and ``wait_closed``. The socket itself stays open (the supervisor and the other workers
    share it); ``close`` only stops this worker accepting.

    Args:
        sock: the listening socket (non-blocking mode is set on it).
        protocol_factory: builds the protocol of each accepted connection (uvicorn's).
        peers: the loads of this worker and its peers.
        held: the number of connections this worker holds now (uvicorn's open connections).
        stall_s: seconds connections wait while a less loaded peer takes none before this
            worker takes one (:data:`STALL_S`).
    """

    def __init__(self, sock: socket.socket, protocol_factory: Callable[[], asyncio.Protocol], peers: Peers,
                 held: Callable[[], int], stall_s: float = STALL_S) -> None:
        self.sock = sock
        self.stall_s = stall_s
        self.protocol_factory = protocol_factory
        self.peers = peers
        self._held = held
        self._pending = 0  # accepted, their transport not made yet
        self._loop: asyncio.AbstractEventLoop | None = None
        self._watching = False
        self._timer: asyncio.TimerHandle | None = None
        self._closed = False
        self._logged = 0.0
        self._stalled_since: float | None = None
        self._steal = 1  # connections to take at the next stall
        self._tcp_info: int | None = getattr(socket, "TCP_INFO", None)

    def held(self) -> int:
        """Connections this worker holds, counting those accepted whose transport is being made."""
        return self._held() + self._pending

    def start(self) -> None:
        """Start accepting (call from the running event loop)."""
        self._loop = asyncio.get_running_loop()
        self.sock.setblocking(False)
        self._watch()

    def close(self) -> None:
        """Stop accepting for good; the socket stays open for the processes sharing it."""
        self._closed = True
        self._unwatch()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    async def wait_closed(self) -> None:
        """Nothing to wait for once closed (the protocol of ``asyncio.Server``)."""

    def _watch(self) -> None:
        if not self._watching and not self._closed and self._loop is not None:
            self._loop.add_reader(self.sock.fileno(), self._accept)
            self._watching = True

    def _unwatch(self) -> None:
        if self._watching and self._loop is not None:
            self._loop.remove_reader(self.sock.fileno())
            self._watching = False

    def _pause(self, seconds: float) -> None:
        self._unwatch()
        if self._timer is None and self._loop is not None and not self._closed:
            self._timer = self._loop.call_later(seconds, self._look_again)

    def _look_again(self) -> None:
        self._timer = None
        held = self.held()
        self.peers.publish(held)  # a paused worker's load falls as its connections end: say so
        if self.peers.may_accept(held):
            self._stalled_since, self._steal = None, 1
            self._watch()
            return
        if self._queued():
            # Connections wait although a peer is less loaded: it may be busy answering,
            # descheduled, or hung. Every STALL_S that they keep waiting take one, then twice
            # as many: a peer busy for a moment loses a connection or two, a hung one its whole
            # share within a few STALL_S, long before its heartbeat goes stale.
            now = time.monotonic()
            if self._stalled_since is None:
                self._stalled_since = now
            elif now - self._stalled_since >= self.stall_s:
                self._stalled_since = now
                for _ in range(self._steal):
                    if not self._take_one(self.held()):
                        break
                self._steal = min(2 * self._steal, ACCEPT_BATCH)
        else:
            self._stalled_since, self._steal = None, 1
        self._pause(PAUSE_POLL_S)

    def _queued(self) -> int:
        """Connections waiting in the listening socket's accept queue (Linux; 0 where unknown)."""
        if self._tcp_info is None:
            return 0
        try:
            info = self.sock.getsockopt(socket.IPPROTO_TCP, self._tcp_info, _TCP_INFO_SIZE)
        except OSError:
            self._tcp_info = None
            return 0
        # struct tcp_info: for a listening socket tcpi_unacked is the accept queue's length.
        return struct.unpack_from("I", info, _TCPI_UNACKED)[0] if len(info) >= _TCPI_UNACKED + 4 else 0

    def _accept(self) -> None:
        for _ in range(ACCEPT_BATCH):
            held = self.held()
            if not self.peers.may_accept(held):
                self.peers.publish(held)
                self._pause(PAUSE_POLL_S)
                return
            if not self._take_one(held):
                return

    def _take_one(self, held: int) -> bool:
        """Accept one connection and start its transport; whether there was one to accept."""
        assert self._loop is not None
        try:
            conn, _address = self.sock.accept()
        except (BlockingIOError, InterruptedError, ConnectionAbortedError):
            return False  # another worker took it, or the client gave up while queued
        except OSError as err:
            if err.errno in _EXHAUSTED:
                self._log_exhausted(err)
                self._pause(ACCEPT_RETRY_S)
                return False
            raise
        self._pending += 1
        self.peers.publish(held + 1)  # before the next accept anywhere can read a stale count
        conn.setblocking(False)
        with contextlib.suppress(OSError):  # small responses must not wait on Nagle and delayed ACKs
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        made = [False]

        def protocol() -> asyncio.Protocol:
            # Pending until uvicorn's protocol counts it among its connections (connection_made
            # runs a loop turn or more after the protocol is built). Counting it pending until
            # the task's callback double-counted it meanwhile, and stopping at the protocol's
            # birth left a burst of them uncounted: either way the balance was off by many.
            made_protocol = self.protocol_factory()
            connection_made = made_protocol.connection_made

            def counted(transport: asyncio.BaseTransport) -> None:
                self._made(made)
                connection_made(transport)

            made_protocol.connection_made = counted  # type: ignore[method-assign]
            return made_protocol

        task = self._loop.create_task(self._loop.connect_accepted_socket(protocol, conn))
        task.add_done_callback(functools.partial(self._connected, conn, made))
        return True

    def _made(self, made: list[bool]) -> None:
        if not made[0]:
            made[0] = True
            self._pending -= 1

    def _connected(self, conn: socket.socket, made: list[bool], task: asyncio.Task[Any]) -> None:
        if task.cancelled() or task.exception() is not None:
            self._made(made)  # no connection_made will come
            conn.close()  # the client went away before its transport was made

    def _log_exhausted(self, err: OSError) -> None:
        now = time.monotonic()
        if now - self._logged >= _LOG_EVERY_S:  # at descriptor exhaustion this would be thousands of lines a second
            self._logged = now
            log.error("accept failed (%s); this worker stops accepting for %.0f s", err.strerror, ACCEPT_RETRY_S)
