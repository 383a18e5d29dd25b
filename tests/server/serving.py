"""A real server process for tests: ``server.serve.serve`` on a free port of 127.0.0.1, stopped afterwards."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

REPOSITORY = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 120

# Runs in the child: serve() with the given settings, supervisor constants overridden if asked.
_SCRIPT = """
import json, sys
import server.serve as serving
from server.settings import ServerSettings
options = json.loads(sys.argv[1])
for name, value in options["module"].items():
    setattr(serving, name, value)
settings = ServerSettings(use_cache=True, **options["settings"])
sys.exit(serving.serve(settings, port=options["port"], workers=options["workers"]))
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Served:
    """A running server: its process, base URL, port and log file."""

    def __init__(self, process: subprocess.Popen[bytes], port: int, log: Path) -> None:
        self.process = process
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.log = log

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def healthy(self, timeout: float = 1.0) -> bool:
        assert self.process.poll() is None, f"server exited {self.process.returncode}: {self.log_text()[-3000:]}"
        try:
            return httpx.get(f"{self.base}/healthz", timeout=timeout).status_code == 200
        except httpx.TransportError:
            return False

    def workers(self) -> set[int]:
        text = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text()
        return {int(x) for x in text.split()}


def wait_for(predicate: Any, what: str, timeout: float = START_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@contextmanager
def serving(tmp_path: Path, workers: int = 1, port: int | None = None, module: dict[str, Any] | None = None,
            **settings: Any) -> Iterator[Served]:
    """Start a server, wait for ``/healthz``, yield it; SIGTERM it (then SIGKILL) afterwards."""
    port = port or free_port()
    options = {"port": port, "workers": workers, "settings": settings, "module": module or {}}
    log_path = tmp_path / f"server-{port}.log"
    # One snapshot for every server of the session: the first start compiles it, the others read it.
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "CODINGKG_CACHE_DIR": str(tmp_path.parent / "serving-cache")}
    with log_path.open("wb") as log:
        process = subprocess.Popen([sys.executable, "-c", _SCRIPT, json.dumps(options)], cwd=REPOSITORY, env=env,
                                   stdout=log, stderr=subprocess.STDOUT)
    served = Served(process, port, log_path)
    try:
        wait_for(served.healthy, "/healthz")
        yield served
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
