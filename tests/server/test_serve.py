"""One real ``python -m codingkg serve`` process on a free loopback port, driven with plain httpx."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPOSITORY = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 120.0  # a fresh cache imports the baseline and builds a snapshot first; slow on a busy machine

EVERY_ROOT_FIELD = """{
  code(code: "96368") { isAddOn mue { maxUnits } paymentStatuses { paymentSystem status } }
  codes(codes: ["96413", "99999"]) { code }
  search(text: "concurrent infusion") { code }
  validPrimaries(addOn: "96375", asOf: "2023-06-01") { code }
  modifier(code: "59") { code }
  modifiers { code }
  payers { id }
  path(from: "96411", to: "96415") { kind }
  release { layers sources { quarter } }
}"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_real_server_process(release_dir: Path, tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "CODINGKG_CACHE_DIR": str(tmp_path / "cache"), "PYTHONUNBUFFERED": "1"}
    log = (tmp_path / "server.log").open("w+")
    process = subprocess.Popen(
        [sys.executable, "-m", "codingkg", "serve", "--port", str(port), "--data", str(release_dir),
         "--cors-origin", "https://app.example"],
        cwd=REPOSITORY, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            assert process.poll() is None, f"server exited: {Path(log.name).read_text()}"
            try:
                if httpx.get(f"{base}/healthz", timeout=1.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"no /healthz within {START_TIMEOUT_S}s: {Path(log.name).read_text()}"
            time.sleep(0.1)

        with httpx.Client(base_url=base, timeout=10.0) as client:
            body = client.post("/graphql", json={"query": EVERY_ROOT_FIELD}).json()
            data = body["data"]
            assert [e["message"] for e in body["errors"]] == ["unknown code '99999'"]
            assert data["code"]["isAddOn"] is True and data["code"]["mue"]["maxUnits"] == 1
            assert {"paymentSystem": "OPPS", "status": "N"} in data["code"]["paymentStatuses"]
            assert data["codes"] == [{"code": "96413"}, None]
            assert data["search"] == [{"code": "96368"}]
            # The release layered with --data dates the add-on edits of 96375.
            assert [c["code"] for c in data["validPrimaries"]] == ["96365", "96374"]
            assert data["modifier"] == {"code": "59"} and len(data["modifiers"]) >= 10
            assert {p["id"] for p in data["payers"]} == {"commercial", "medicaid", "medicare"}
            assert [r["kind"] for r in data["path"]] == ["ADD_ON_OF", "ADD_ON_OF"]
            assert data["release"]["layers"] == ["cms-baseline", "curated", release_dir.name]

            got = client.get("/graphql", params={"query": '{ code(code: "96368") { code } }'},
                             headers={"origin": "https://app.example"})
            assert got.json()["data"] == {"code": {"code": "96368"}} and got.json()["extensions"]["cost"] == 2
            assert got.headers["access-control-allow-origin"] == "https://app.example"

            huge = client.post("/graphql", content=b" " * (3 * 1024 * 1024), headers={"content-type": "application/json"})
            assert huge.status_code == 413
            bad = client.post("/graphql", content=b"not json", headers={"content-type": "application/json"})
            assert bad.status_code == 400
            again = client.post("/graphql", json={"query": '{ validPrimaries(addOn: "96368") { code } }'})
            assert again.status_code == 200 and "errors" not in again.json()

        assert list((tmp_path / "cache").glob("graph-*.snap")), "the server starts from a compiled snapshot"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


def _children(pid: int) -> set[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return {int(x) for x in text.split()}


def _wait(predicate: object, what: str, timeout: float = START_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_workers_share_one_loaded_graph_and_stop_together(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "CODINGKG_CACHE_DIR": str(tmp_path / "cache")}
    log = (tmp_path / "server.log").open("w+")
    process = subprocess.Popen([sys.executable, "-m", "codingkg", "serve", "--port", str(port), "--workers", "2"],
                               cwd=REPOSITORY, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        assert process.poll() is None, Path(log.name).read_text()
        try:
            return httpx.get(f"{base}/healthz", timeout=1.0).status_code == 200
        except httpx.TransportError:
            return False

    try:
        _wait(healthy, "/healthz")
        # It says where it serves (a container's log is where a user looks first).
        assert f"serving http://127.0.0.1:{port}/graphql" in Path(log.name).read_text()
        workers = _children(process.pid)
        assert len(workers) == 2  # forked from the parent that loaded the graph
        answered = {httpx.get(f"{base}/healthz", timeout=5.0).json()["pid"] for _ in range(40)}
        assert answered <= workers
        data = httpx.post(f"{base}/graphql", json={"query": '{ validPrimaries(addOn: "96375") { code } }'}).json()
        assert [c["code"] for c in data["data"]["validPrimaries"]] == ["96365", "96374", "96409", "96413"]

        # A worker that dies is replaced.
        victim = min(workers)
        os.kill(victim, 9)
        _wait(lambda: victim not in _children(process.pid) and len(_children(process.pid)) == 2, "a new worker")
        _wait(healthy, "/healthz after the restart")
    finally:
        process.terminate()
        process.wait(timeout=15)
        log.close()
    for pid in workers:
        _wait(lambda pid=pid: not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text().lower(),
              f"worker {pid} to stop")
