"""The supervisor of forked workers: it backs off in a crash loop, replaces hung workers, exits non-zero on failure."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

from tests.server.serving import REPOSITORY, serving, wait_for

# Short delays so that a crash loop of a dozen deaths runs in seconds.
FAST = {"RESTART_DELAY_FIRST": 0.02, "RESTART_DELAY_MAX": 0.3}


def test_a_crash_loop_backs_off_instead_of_stopping(tmp_path: Path) -> None:
    with serving(tmp_path, workers=2, module=FAST) as server:
        # Twelve deaths in a row, each soon after the worker started: more than the ten a
        # minute after which the supervisor used to stop the whole service.
        for _ in range(12):
            victim = min(server.workers())
            os.kill(victim, signal.SIGKILL)
            wait_for(lambda victim=victim: victim not in server.workers() and len(server.workers()) == 2,
                     "a replacement worker", timeout=20)
        assert server.process.poll() is None
        wait_for(server.healthy, "/healthz after the crash loop", timeout=20)
        delays = [float(d) for d in re.findall(r"starting another in ([\d.]+) s", server.log_text())]
        assert len(delays) == 12
        assert delays[0] < delays[3] <= FAST["RESTART_DELAY_MAX"], delays  # growing, capped
        assert max(delays) == FAST["RESTART_DELAY_MAX"]
        process = server.process
    assert process.returncode == 0  # stopped by SIGTERM: a clean exit


def test_a_hung_worker_is_replaced(tmp_path: Path) -> None:
    with serving(tmp_path, workers=2, heartbeat_timeout=1.5, module=FAST) as server:
        victim = min(server.workers())
        os.kill(victim, signal.SIGSTOP)  # alive, but its event loop no longer turns
        wait_for(lambda: victim not in server.workers() and len(server.workers()) == 2, "the hung worker replaced",
                 timeout=20)
        assert f"worker {victim} sent no heartbeat" in server.log_text()
        for _ in range(10):
            assert server.healthy(timeout=2.0)


def test_a_service_that_cannot_start_exits_non_zero(tmp_path: Path) -> None:
    with serving(tmp_path) as server:
        # The port is taken: a second server on it, with one or two workers, must fail loudly.
        for workers in (1, 2):
            script = ("import sys; from server.serve import serve; from server.settings import ServerSettings; "
                      f"sys.exit(serve(ServerSettings(use_cache=False), port={server.port}, workers={workers}))")
            result = subprocess.run([sys.executable, "-c", script], cwd=REPOSITORY, capture_output=True, timeout=120)
            assert result.returncode != 0, (workers, result.stderr[-2000:])
