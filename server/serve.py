"""Run the API under uvicorn: one process, or N worker processes started from the app factory."""

from __future__ import annotations

import copy
import os
from typing import Any

import uvicorn
from uvicorn.config import LOGGING_CONFIG

from kg.snapshot import cached_load
from server.app import create_app
from server.settings import ServerSettings

__all__ = ["FACTORY", "log_config", "serve"]

#: Import string of the app factory each worker process calls.
FACTORY = "server.app:create_app_from_env"

def _compile_snapshot(settings: ServerSettings) -> None:
    # Build the snapshot once in the parent so N workers read it instead of parsing RDF N times.
    from kg.load import rdf_files
    from ontology import default_files

    cached_load([default_files(), *(rdf_files(d) for d in settings.data_dirs)], use_cache=True)

def log_config() -> dict[str, Any]:
    """uvicorn's logging configuration, plus strawberry's and this package's loggers.

    Internal GraphQL errors are logged (with traceback) by the ``strawberry.execution`` logger
    before they are masked; this routes them to the same handler as uvicorn's own messages.
    """
    config = copy.deepcopy(LOGGING_CONFIG)
    for name in ("strawberry", "server"):
        config["loggers"][name] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


def serve(
    settings: ServerSettings | None = None,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    log_level: str = "info",
    access_log: bool = True,
    app: Any = None,
) -> None:
    """Serve the GraphQL API until interrupted.

    Args:
        settings: what to serve and how (data directories, CORS, introspection, GraphiQL).
        host: interface to bind (loopback by default: expose it deliberately).
        port: TCP port.
        workers: worker processes; above 1 the settings reach them as ``CODINGKG_SERVER_*``
            environment variables and each loads the graph from the compiled snapshot.
        log_level: uvicorn's log level.
        access_log: log one line per request.
        app: an ASGI app to serve instead of the one built from ``settings`` (one process only;
            the benchmark serves a trivial schema this way to compare like with like).

    Raises:
        ValueError: ``workers`` is below 1, or above 1 with an ``app``.
    """
    settings = settings or ServerSettings()
    if workers < 1:
        raise ValueError(f"workers must be at least 1 (got {workers})")
    if app is not None and workers > 1:
        raise ValueError("an explicit app can only be served by one process")
    options = {"host": host, "port": port, "log_level": log_level, "access_log": access_log, "log_config": log_config()}
    if workers == 1:
        uvicorn.run(app if app is not None else create_app(settings), **options)
        return
    if settings.use_cache:
        _compile_snapshot(settings)
    os.environ.update(settings.to_env())
    uvicorn.run(FACTORY, factory=True, workers=workers, **options)
