"""Verify the served releases and compile their snapshot in a process of its own.

Parsing RDF leaves the parsing process's heap fragmented: done inside a running server (or its
worker supervisor, whose heap every forked worker inherits), a reload would leave memory above
what a fresh start uses. A reload therefore first runs ``python -m server.compile`` with the
server's settings in its environment; the server then loads the compact snapshot it wrote.

    CODINGKG_SERVER_DATA=/srv/q3 python -m server.compile   # exit 0, or 2 with one line on stderr
"""

from __future__ import annotations

import os
import subprocess
import sys

from server.settings import ServerSettings

__all__ = ["COMPILE_TIMEOUT_S", "compile_aside", "main"]

#: A build that takes longer is abandoned and the release refused (a full quarter takes minutes).
COMPILE_TIMEOUT_S = 1800


def compile_aside(settings: ServerSettings) -> str | None:
    """Run the compile in a child interpreter.

    Args:
        settings: the server's settings (their data directories are what gets compiled).

    Returns:
        ``None`` when the snapshot is ready, else why the release was refused (one line).
    """
    env = {**os.environ, **settings.to_env()}
    try:
        done = subprocess.run([sys.executable, "-m", "server.compile"], env=env, capture_output=True, text=True,
                              timeout=COMPILE_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"could not build the release aside: {err}"
    if done.returncode == 0:
        return None
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    return lines[-1] if lines else f"the release build exited with status {done.returncode}"


def main() -> int:
    """Compile the snapshot for the settings in the environment; 0 when done, 2 with one line on failure."""
    from server.app import load_graph

    try:
        load_graph(ServerSettings.from_env())
    except Exception as err:  # any failure refuses the release; one line for the server's log
        print(" ".join(str(err).split()) or type(err).__name__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
