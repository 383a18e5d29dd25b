"""Acceptors sharing one listening socket: they take turns by load, and a stuck peer holds no connection back."""

from __future__ import annotations

import asyncio
import socket
import time
from multiprocessing import RawArray

from server.accepting import STALL_S, Acceptor, Peers


class _Held(asyncio.Protocol):
    """Holds its connection open and counts itself among the open ones of its acceptor."""

    def __init__(self, open_set: set[_Held]) -> None:
        self.open_set = open_set

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.open_set.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.open_set.discard(self)


def _listener() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock


def _acceptor(sock: socket.socket, peers: Peers) -> tuple[Acceptor, set[_Held]]:
    held: set[_Held] = set()
    return Acceptor(sock, lambda: _Held(held), peers, held.__len__), held


async def _connect(port: int, count: int) -> list[socket.socket]:
    clients = []
    for _ in range(count):
        client = socket.socket()
        client.setblocking(False)
        await asyncio.get_running_loop().sock_connect(client, ("127.0.0.1", port))
        clients.append(client)
    return clients


async def _until(condition: object, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline
        await asyncio.sleep(0.01)


def test_two_acceptors_split_the_connections_evenly() -> None:
    async def run() -> tuple[int, int]:
        loads, beats = RawArray("l", 2), RawArray("d", 2)
        with _listener() as sock, sock.dup() as copy:  # as a forked worker's copy: same socket, another fd
            (a, held_a), (b, held_b) = (_acceptor(s, Peers(loads, beats, n)) for n, s in enumerate((sock, copy)))
            a.peers.publish(0)
            b.peers.publish(0)
            a.start()
            b.start()
            clients = await _connect(sock.getsockname()[1], 20)
            await _until(lambda: len(held_a) + len(held_b) == 20)
            a.close()
            b.close()
            for client in clients:
                client.close()
            return len(held_a), len(held_b)

    split = asyncio.run(run())
    assert sorted(split) == [10, 10]  # one loop, no race: strictly alternating turns


def test_connections_wait_at_most_a_stall_for_a_peer_that_accepts_nothing() -> None:
    async def run() -> tuple[int, float, int]:
        loads, beats = RawArray("l", 2), RawArray("d", 2)
        with _listener() as sock:
            a, held_a = _acceptor(sock, Peers(loads, beats, 0))
            stuck = Peers(loads, beats, 1)
            stuck.publish(0)  # a live peer holding nothing, that never accepts (hung, descheduled)
            a.start()
            started = time.monotonic()
            clients = await _connect(sock.getsockname()[1], 6)
            await _until(lambda: len(held_a) == 6)
            waited = time.monotonic() - started
            # The stuck peer is still fresh: without the stall rule a would have stopped at one.
            fresh = time.monotonic() - beats[1]
            a.close()
            for client in clients:
                client.close()
            return len(held_a), waited, fresh

    taken, waited, fresh = asyncio.run(run())
    assert taken == 6
    assert STALL_S <= waited < 1.0  # it waited for the peer a little, then took them
    assert fresh < 1.0


def test_a_retired_peer_no_longer_counts() -> None:
    loads, beats = RawArray("l", 2), RawArray("d", 2)
    mine, other = Peers(loads, beats, 0), Peers(loads, beats, 1)
    other.publish(1)
    assert not mine.may_accept(2)
    other.leave()
    assert mine.may_accept(2)
    other.arrive()  # forked, not accepting yet: the supervisor hears it, the peers do not wait for it
    assert mine.may_accept(2) and beats[1] > 0
