"""Forked workers share the connections: a burst spreads over them, and a reload or a dead worker drops none."""

from __future__ import annotations

import collections
import json
import os
import signal
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from server.accepting import FRESH_S
from tests.server.serving import Served, serving, wait_for

CLIENTS = 32


def _read_pid(sock: socket.socket) -> int:
    """Read the answer to ``GET /healthz`` on a connection: the pid of the worker holding it."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, "connection closed before an answer"
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:"))
    while len(body) < length:
        body += sock.recv(65536)
    return int(json.loads(body)["pid"])


def _both_serving(server: Served) -> bool:
    """Whether two connections open together land on two workers (one still starting takes none)."""
    pair = [socket.create_connection(("127.0.0.1", server.port), timeout=10) for _ in range(2)]
    try:
        for s in pair:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
        return len({_read_pid(s) for s in pair}) == 2
    finally:
        for s in pair:
            s.close()


def test_a_burst_of_connections_spreads_evenly_over_the_workers(tmp_path: Path) -> None:
    # A long stall: on a loaded machine the test may resume one worker, then wait its turn for
    # the CPU long enough that the first, rightly, starts taking the connections the second leaves.
    with serving(tmp_path, workers=2, module={"ACCEPT_STALL_S": 3.0}) as server:
        workers = server.workers()
        wait_for(lambda: _both_serving(server), "both workers serving", timeout=60)
        for _ in range(3):
            # The burst waits in the listening socket's queue while the workers cannot run, then
            # meets two workers that wake together: the pattern in which one used to take all 32.
            for pid in workers:
                os.kill(pid, signal.SIGSTOP)
            try:
                sockets = [socket.create_connection(("127.0.0.1", server.port), timeout=10) for _ in range(CLIENTS)]
            finally:
                for pid in workers:
                    os.kill(pid, signal.SIGCONT)
            try:
                for s in sockets:  # every request out first: each must arrive within the read timeout
                    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
                held = collections.Counter(_read_pid(s) for s in sockets)
            finally:
                for s in sockets:
                    s.close()
            assert set(held) == workers, held
            assert min(held.values()) >= CLIENTS // 2 - 4, held  # even, give or take a few accepts in flight
            wait_for(lambda: server.healthy(), "the workers to see the connections closed", timeout=10)
            time.sleep(0.3)


class _Hammer:
    """Clients sending requests until stopped, some over kept-alive connections, some one connection per request."""

    def __init__(self, base: str, keep_alive: int = 6, fresh: int = 6) -> None:
        self.base = base
        self.errors: list[str] = []
        self.answered = 0
        self.pids: collections.Counter[int] = collections.Counter()
        self.latencies: list[tuple[float, float]] = []  # (sent at, seconds) of each answer
        self.running = threading.Event()  # set: clients send; clear: they finish their request and wait
        self.stop = threading.Event()
        self.idle = threading.Semaphore(0)
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._client, args=(n < keep_alive,), daemon=True)
                        for n in range(keep_alive + fresh)]

    def _client(self, keep_alive: bool) -> None:
        limits = httpx.Limits(max_keepalive_connections=1 if keep_alive else 0)
        while not self.stop.is_set():
            self.running.wait()
            # A client per period of sending: a pause closes its kept-alive connection.
            with httpx.Client(base_url=self.base, timeout=20.0, limits=limits) as client:
                while self.running.is_set() and not self.stop.is_set():
                    self._send(client)
            self.idle.release()

    def _send(self, client: httpx.Client) -> None:
        started = time.monotonic()
        try:
            response = client.get("/healthz")
            outcome = None if response.status_code == 200 else f"status {response.status_code}"
        except httpx.HTTPError as err:
            outcome = f"{type(err).__name__}: {err}"
        with self.lock:
            if outcome is None:
                self.answered += 1
                self.pids[int(response.json()["pid"])] += 1
                self.latencies.append((started, time.monotonic() - started))
            else:
                self.errors.append(outcome)

    def pause(self) -> None:
        """Return once every client has its last answer, has closed its connection and sends nothing more."""
        self.running.clear()
        for _ in self.threads:
            assert self.idle.acquire(timeout=30)

    def resume(self) -> None:
        self.running.set()


@contextmanager
def _hammering(server: Served) -> Iterator[_Hammer]:
    hammer = _Hammer(server.base)
    hammer.resume()
    for thread in hammer.threads:
        thread.start()
    try:
        yield hammer
    finally:
        hammer.stop.set()
        hammer.running.set()
        for thread in hammer.threads:
            thread.join(timeout=30)


def test_no_connection_is_dropped_through_a_reload_or_while_a_worker_is_hung_and_replaced(tmp_path: Path) -> None:
    with serving(tmp_path, workers=2) as server, _hammering(server) as hammer:
        first = server.workers()
        wait_for(lambda: hammer.answered > 50, "the first answers", timeout=30)
        server.process.send_signal(signal.SIGHUP)  # re-fork both workers from a freshly loaded graph
        wait_for(lambda: len(server.workers() - first) == 2 and not server.workers() & first,
                 "the old workers replaced and gone", timeout=90)
        before = hammer.answered
        wait_for(lambda: hammer.answered > before + 50, "answers from the new workers", timeout=30)
        assert hammer.errors == [], hammer.errors[:5]
        assert not set(hammer.pids) - first - server.workers()

        # A worker stopped while it holds no connection: what the clients open meanwhile waits
        # in the shared queue for the other worker, and nothing is lost when it is killed.
        hammer.pause()
        victim, survivor = sorted(server.workers())
        time.sleep(0.2)  # the victim sees its connections closed
        os.kill(victim, signal.SIGSTOP)
        answered_by_victim = hammer.pids[victim]
        stopped_at = time.monotonic()
        hammer.resume()
        before = hammer.answered
        wait_for(lambda: hammer.answered > before + 50, "answers while a worker is stopped", timeout=30)
        # The stopped worker still counts as a live peer holding nothing (its heartbeat is
        # fresh for FRESH_S), yet the other takes the waiting connections after STALL_S.
        slowest = max(seconds for sent, seconds in hammer.latencies if sent >= stopped_at)
        assert slowest < FRESH_S / 2, slowest
        os.kill(victim, signal.SIGKILL)
        wait_for(lambda: len(server.workers()) == 2 and victim not in server.workers(), "a replacement", timeout=30)
        (newcomer,) = server.workers() - {survivor}
        wait_for(lambda: hammer.pids[newcomer] > 20, "answers from the replacement", timeout=30)
        hammer.pause()
        assert hammer.errors == [], hammer.errors[:5]
        assert hammer.pids[victim] == answered_by_victim  # it answered nothing once stopped
