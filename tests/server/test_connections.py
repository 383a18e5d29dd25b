"""A real server under load and hostile connections: health stays prompt, bad sockets are closed."""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from server.limits import MAX_BATCH_LINES, MAX_CLAIM_LINES, MAX_CLAIMS
from tests.server.serving import serving

LINE_CODES = ["96413", "96415", "96417", "96368", "96375", "96365", "96366", "96367", "96411", "96360"]
BATCH = ("query Batch($claims: [ClaimInput!]!) { checkClaims(claims: $claims) "
         "{ valid findings { rule severity line message } } }")


def largest_batch() -> list[dict[str, Any]]:
    per_claim = min(MAX_CLAIM_LINES, MAX_BATCH_LINES // MAX_CLAIMS)
    lines = [{"code": LINE_CODES[n % len(LINE_CODES)], "units": 1 + n % 3, "modifiers": ["59"] if n % 4 == 0 else []}
             for n in range(per_claim)]
    claim = {"claimType": "PROFESSIONAL", "placeOfService": "11", "dateOfService": "2026-06-01", "lines": lines}
    return [claim] * MAX_CLAIMS


def test_health_answers_within_100_ms_while_the_largest_claim_batch_runs(tmp_path: Path) -> None:
    claims = largest_batch()
    assert sum(len(c["lines"]) for c in claims) == MAX_BATCH_LINES
    body = json.dumps({"query": BATCH, "variables": {"claims": claims}}, separators=(",", ":")).encode()
    with serving(tmp_path) as server:
        answer: dict[str, Any] = {}

        def check() -> None:
            started = time.perf_counter()
            response = httpx.post(f"{server.base}/graphql", content=body, headers={"content-type": "application/json"},
                                  timeout=60)
            answer["seconds"] = time.perf_counter() - started
            answer["response"] = response

        worker = threading.Thread(target=check)
        worker.start()
        latencies = []
        with httpx.Client(base_url=server.base, timeout=5) as client:
            client.get("/healthz")  # the connection is open before the batch arrives
            while worker.is_alive():
                started = time.perf_counter()
                assert client.get("/healthz").status_code == 200
                latencies.append(time.perf_counter() - started)
                time.sleep(0.02)
        worker.join()
        response = answer["response"]
        assert response.status_code == 200
        results = response.json()["data"]["checkClaims"]
        assert len(results) == MAX_CLAIMS and "errors" not in response.json()
        # The batch ran long enough for the health checks to mean something.
        assert answer["seconds"] > 0.2 and len(latencies) >= 5, (answer["seconds"], len(latencies))
        # Nine in ten within 100 ms, none past 250 ms: on a shared two-core machine a single check
        # can wait behind another process; a health check held up by the batch would fail both.
        ordered = sorted(latencies)
        p90 = ordered[int(len(ordered) * 0.9) - 1]
        shown = f"of {len(latencies)}: p90 {p90 * 1000:.0f} ms, slowest {ordered[-1] * 1000:.0f} ms"
        assert p90 < 0.1 and ordered[-1] < 0.25, shown


def _closed_by_server(sock: socket.socket, within: float) -> bool:
    sock.settimeout(within)
    try:
        return sock.recv(1) == b""
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True


def test_slow_and_idle_sockets_are_closed_after_the_read_timeout(tmp_path: Path) -> None:
    with serving(tmp_path, read_timeout=1.0) as server:
        slow = []
        for _ in range(5):
            sock = socket.create_connection(("127.0.0.1", server.port))
            sock.sendall(b"POST /graphql HTTP/1.1\r\nHost: x\r\n")
            slow.append(sock)
        idle = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(5)]
        started = time.monotonic()
        # Trickle a header byte now and then: it must not keep the connection open.
        for sock in slow:
            sock.sendall(b"X")
        assert all(_closed_by_server(sock, 5.0) for sock in slow + idle)
        assert 0.8 < time.monotonic() - started < 4.0
        # A complete request on a kept-alive connection is unaffected; the connection then idles out.
        with httpx.Client(base_url=server.base) as client:
            assert client.get("/healthz").status_code == 200
            time.sleep(1.5)
            assert client.get("/healthz").status_code == 200
        for sock in slow + idle:
            sock.close()


def test_at_the_connection_cap_new_connections_replace_idle_ones_without_flooding_the_log(tmp_path: Path) -> None:
    with serving(tmp_path, read_timeout=30.0, max_connections=20) as server:
        logged = len(server.log_text())
        first = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(20)]
        time.sleep(0.3)
        # Ten more: each takes the place of the oldest idle one.
        later = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(10)]
        assert all(_closed_by_server(sock, 2.0) for sock in first[:10])
        assert not any(_closed_by_server(sock, 0.05) for sock in first[10:] + later)
        # A connection whose request is being answered is not replaced: a claim batch sent now
        # completes while 200 idle sockets arrive, and real clients still get in at once.
        body = json.dumps({"query": BATCH, "variables": {"claims": largest_batch()}}).encode()
        answer: dict[str, Any] = {}
        batch = threading.Thread(target=lambda: answer.update(response=httpx.post(
            f"{server.base}/graphql", content=body, headers={"content-type": "application/json"}, timeout=60)))
        batch.start()
        time.sleep(0.3)
        flood = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(200)]
        for _ in range(5):
            assert server.healthy(timeout=2.0)
        batch.join()
        assert answer["response"].status_code == 200 and len(answer["response"].json()["data"]["checkClaims"]) == MAX_CLAIMS
        assert len(server.log_text()) - logged < 3000, server.log_text()[logged:]
        for sock in first + later + flood:
            sock.close()


async def _hello_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"hello"})


def test_request_heads_over_the_limit_are_refused_on_httptools() -> None:
    # httptools has no limit of its own; the guarded protocol counts the head (h11 is given
    # h11_max_incomplete_event_size, which bounds only a head still arriving).
    import uvicorn

    from server.connections import guarded_protocol

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    protocol = guarded_protocol(5.0, 10, 2048, use_httptools=True)
    server = uvicorn.Server(uvicorn.Config(_hello_app, http=protocol, lifespan="off", log_level="critical",
                                           h11_max_incomplete_event_size=2048))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{sock.getsockname()[1]}"
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        assert httpx.get(base, headers={"x-small": "a" * 100}).status_code == 200
        assert httpx.get(base, headers={"x-large": "a" * 4000}).status_code == 400
        assert httpx.get(base, headers={"x-small": "b" * 100}).status_code == 200
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
