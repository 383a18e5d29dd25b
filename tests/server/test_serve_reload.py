"""A real ``codingkg serve`` (one process, and two workers): SIGHUP swaps the graph everywhere; a corrupt release is refused."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from kg.verify import seal_release

REPOSITORY = Path(__file__).resolve().parents[2]
TOKEN = "serve-reload-token"
WAIT_S = 60.0
TTL = """\
@prefix ck: <https://w3id.org/codingkg/ontology#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix cpt: <https://w3id.org/codingkg/cpt/> .
@prefix src: <https://w3id.org/codingkg/source/> .
@prefix rel: <https://w3id.org/codingkg/relationship/> .
src:serve-reload a ck:Source ; dcterms:title "Add-on edits for the serve reload test" ;
    dcterms:publisher "CMS" ; ck:quarter "2026-Q3" ; ck:confidence ck:CmsFile .
"""
EDIT = """rel:serve-reload-{to} a ck:AddOnOf ; ck:fromCode cpt:96375 ; ck:toCode cpt:{to} ; ck:editType 1 ;
    ck:effective "2020-01-01"^^xsd:date ; dcterms:source src:serve-reload .
"""


def _write(directory: Path, primaries: list[str]) -> None:
    directory.mkdir(exist_ok=True)
    (directory / "addon.ttl").write_text(TTL + "".join(EDIT.format(to=p) for p in primaries))
    seal_release(directory)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _seen(base: str, samples: int = 24) -> set[tuple[str, int]]:
    """(version, pid) pairs answered over fresh connections (which spread over the workers)."""
    seen = set()
    with httpx.Client(base_url=base, timeout=5.0, limits=httpx.Limits(max_keepalive_connections=0)) as client:
        for _ in range(samples):
            body = client.get("/healthz").json()
            seen.add((body["version"], body["pid"]))
    return seen


def _metric(text: str, series: str) -> float:
    """The value of one series (name and labels exactly as exposed) in a Prometheus exposition."""
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def built_at(base: str) -> str:
    return httpx.get(f"{base}/healthz", timeout=5.0).json()["builtAt"]


def _wait(condition: Callable[[], object], what: str, log: Path) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}: {log.read_text()[-3000:]}"
        time.sleep(0.2)


@pytest.mark.parametrize("workers", [1, 2])
def test_sighup_reloads_every_worker_and_a_corrupt_release_is_refused(tmp_path: Path, workers: int) -> None:
    release = tmp_path / "quarter"
    _write(release, ["96365"])
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "CODINGKG_CACHE_DIR": str(tmp_path / "cache"), "CODINGKG_ADMIN_TOKEN": TOKEN,
           "PYTHONUNBUFFERED": "1"}
    log_path = tmp_path / "server.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "codingkg", "serve", "--port", str(port), "--workers", str(workers), "--data", str(release),
             "--log-format", "json"],
            cwd=REPOSITORY, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    try:
        def up() -> bool:
            assert process.poll() is None, log_path.read_text()
            try:
                return httpx.get(f"{base}/readyz", timeout=1.0).status_code == 200
            except httpx.TransportError:
                return False

        _wait(up, "readiness", log_path)
        first = _seen(base)
        (v1,) = {v for v, _ in first}
        old_pids = {p for _, p in first}

        _write(release, ["96365", "96374"])
        process.send_signal(signal.SIGHUP)
        _wait(lambda: {v for v, _ in _seen(base)} - {v1} and v1 not in {v for v, _ in _seen(base)},
              "every worker on the new release", log_path)
        after = _seen(base)
        (v2,) = {v for v, _ in after}
        assert v2 != v1
        if workers > 1:
            assert not {p for _, p in after} & old_pids  # every worker was replaced by one of the new graph
        else:
            assert {p for _, p in after} == old_pids  # one process swapped its graph in place
        query = {"query": '{ validPrimaries(addOn: "96375", asOf: "2026-06-01") { code } }'}
        codes = httpx.post(f"{base}/graphql", json=query, timeout=5.0).json()["data"]["validPrimaries"]
        assert [c["code"] for c in codes] == ["96365", "96374"]

        # A corrupt quarter offered through a worker's admin endpoint: refused, v2 keeps serving.
        data = release / "addon.ttl"
        data.write_text("".join(data.read_text().splitlines(keepends=True)[:-2]))
        assert httpx.post(f"{base}/admin/reload", timeout=5.0).status_code == 401
        answer = httpx.post(f"{base}/admin/reload", headers={"authorization": f"Bearer {TOKEN}"}, timeout=30.0)
        if workers > 1:
            assert answer.status_code == 202  # handed to the supervisor
        else:
            assert answer.status_code == 409 and "addon.ttl" in answer.json()["error"]
        _wait(lambda: "reload refused" in log_path.read_text(), "the refusal in the log", log_path)
        assert {v for v, _ in _seen(base)} == {v2}
        assert '"request_id"' in log_path.read_text()

        # /metrics from any worker counts the whole server: both reloads, and every request sent.
        sent = 12
        with httpx.Client(base_url=base, timeout=5.0, limits=httpx.Limits(max_keepalive_connections=0)) as client:
            for _ in range(sent):
                assert client.post("/graphql", json=query).status_code == 200
            scrapes = [client.get("/metrics").text for _ in range(6)]
        for text in scrapes:
            assert _metric(text, 'codingkg_reloads_total{outcome="ok"}') == 1
            assert _metric(text, 'codingkg_reloads_total{outcome="refused"}') == 1
            assert _metric(text, 'codingkg_requests_total{operation="query.validPrimaries",outcome="ok"}') == sent + 1
            assert _metric(text, f'codingkg_graph_info{{built_at="{built_at(base)}",version="{v2}"}}') == 1
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
