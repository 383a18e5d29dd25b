"""Metrics shared by forked workers: prometheus-client's multiprocess mode, switched on before it loads.

prometheus-client picks where metric values live (process memory, or one memory-mapped file per
process in ``PROMETHEUS_MULTIPROC_DIR``) when it is first imported. ``codingkg serve --workers
N`` therefore calls :func:`share_metrics_across_workers` before importing the server, so every
worker's counters land in one private directory and ``/metrics`` from any worker reports the
whole server (see :mod:`server.metrics`). This module must not import prometheus-client.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from pathlib import Path

__all__ = ["MULTIPROCESS_ENV", "share_metrics_across_workers"]

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
log = logging.getLogger(__name__)


def share_metrics_across_workers(workers: int) -> Path | None:
    """Point prometheus-client at a fresh private directory when several workers will serve.

    Args:
        workers: the number of worker processes.

    Returns:
        The directory created (the caller removes it when the server stops), or ``None`` when
        one process serves, the variable is already set, or prometheus-client is already loaded.
    """
    if workers < 2 or os.environ.get(MULTIPROCESS_ENV):
        return None
    if "prometheus_client.values" in sys.modules:
        log.warning("prometheus-client already loaded: each worker reports its own metrics")
        return None
    directory = Path(tempfile.mkdtemp(prefix="codingkg-metrics-"))  # 0700, this user's
    os.environ[MULTIPROCESS_ENV] = str(directory)
    return directory
