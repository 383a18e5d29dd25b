"""Run the API under uvicorn: one process, or N worker processes started from the app factory."""

from __future__ import annotations

import logging
import os

import uvicorn

from kg.snapshot import cached_load
from server.app import create_app
from server.settings import ServerSettings

__all__ = ["FACTORY", "serve"]

log = logging.getLogger(__name__)

#: Import string of the app factory each worker process calls.
FACTORY = "server.app:create_app_from_env"


def _compile_snapshot(settings: ServerSettings) -> None:
    # Build the snapshot once in the parent so N workers read it instead of parsing RDF N times.
    from kg.load import rdf_files
    from ontology import default_files

    cached_load([default_files(), *(rdf_files(d) for d in settings.data_dirs)], use_cache=True)


def serve(
    settings: ServerSettings | None = None,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    log_level: str = "info",
    access_log: bool = True,
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

    Raises:
        ValueError: ``workers`` is below 1.
    """
    settings = settings or ServerSettings()
    if workers < 1:
        raise ValueError(f"workers must be at least 1 (got {workers})")
    options = {"host": host, "port": port, "log_level": log_level, "access_log": access_log}
    if workers == 1:
        uvicorn.run(create_app(settings), **options)
        return
    if settings.use_cache:
        _compile_snapshot(settings)
    os.environ.update(settings.to_env())
    uvicorn.run(FACTORY, factory=True, workers=workers, **options)
