"""Server settings, and their round trip through environment variables.

``uvicorn`` starts each worker process from an import string, so with ``--workers N`` the
settings travel to the workers as environment variables read by the app factory.

>>> s = ServerSettings(data_dirs=(Path("rel"),), cors_origins=("https://a.example",), graphiql=False)
>>> ServerSettings.from_env(s.to_env()) == s
True
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from server.limits import ANSWER_CACHE_BYTES, EXECUTION_THREADS, MAX_BODY_BYTES, MAX_COST, MAX_RESPONSE_BYTES, REQUEST_SECONDS

__all__ = ["ENV_PREFIX", "ServerSettings"]

ENV_PREFIX = "CODINGKG_SERVER_"


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


#: The numeric settings beyond the body cap, as (field name, type); each is ``CODINGKG_SERVER_<NAME>``.
_NUMBERS: dict[str, type] = {
    "max_cost": int, "request_seconds": float, "execution_threads": int, "max_response_bytes": int,
    "read_timeout": float, "keep_alive": float, "max_connections": int, "max_header_bytes": int,
    "heartbeat_timeout": float, "answer_cache_bytes": int,
}
#: Numeric settings that may be 0 (off).
_MAY_BE_ZERO = frozenset({"answer_cache_bytes"})


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """How the app is built.

    Attributes:
        data_dirs: imported release directories layered over the embedded graph, in order.
        cors_origins: origins allowed to call the API from a browser (``*`` for any).
        introspection: answer ``__schema``/``__type`` queries.
        graphiql: serve the browser pages: GraphiQL at ``/graphql``, the explorer at ``/explore``, ``/``.
        max_body_bytes: larger request bodies are answered 413.
        use_cache: load the graph from a compiled snapshot (written on first start).
        max_cost: the most a query may cost (:mod:`server.cost`).
        request_seconds: the longest a request may run before it is cancelled.
        execution_threads: threads that run queries, off the event loop.
        max_response_bytes: larger answers are replaced by an error.
        read_timeout: seconds a connection may take to send a whole request (headers and body)
            before it is closed; also closes connections that never send one.
        keep_alive: seconds an idle keep-alive connection stays open.
        max_connections: open connections per process; more are closed at accept, silently.
            Lowered to fit the file-descriptor limit.
        max_header_bytes: the largest request line and headers.
        heartbeat_timeout: with several workers, seconds without a heartbeat after which
            the supervisor replaces a worker as hung.
        answer_cache_bytes: bytes of complete answers kept for repeated requests
            (:mod:`server.answers`); 0 turns the cache off.
    """

    data_dirs: tuple[Path, ...] = ()
    cors_origins: tuple[str, ...] = ()
    introspection: bool = True
    graphiql: bool = True
    max_body_bytes: int = MAX_BODY_BYTES
    use_cache: bool = True
    max_cost: int = MAX_COST
    request_seconds: float = REQUEST_SECONDS
    execution_threads: int = EXECUTION_THREADS
    max_response_bytes: int = MAX_RESPONSE_BYTES
    read_timeout: float = 10.0
    keep_alive: float = 5.0
    max_connections: int = 1000
    max_header_bytes: int = 16 * 1024
    heartbeat_timeout: float = 30.0
    answer_cache_bytes: int = ANSWER_CACHE_BYTES

    def to_env(self) -> dict[str, str]:
        """The settings as environment variables (``CODINGKG_SERVER_*``)."""
        return {
            f"{ENV_PREFIX}DATA": os.pathsep.join(str(d) for d in self.data_dirs),
            f"{ENV_PREFIX}CORS_ORIGINS": ",".join(self.cors_origins),
            f"{ENV_PREFIX}INTROSPECTION": "1" if self.introspection else "0",
            f"{ENV_PREFIX}GRAPHIQL": "1" if self.graphiql else "0",
            f"{ENV_PREFIX}MAX_BODY_BYTES": str(self.max_body_bytes),
            f"{ENV_PREFIX}USE_CACHE": "1" if self.use_cache else "0",
            **{f"{ENV_PREFIX}{name.upper()}": str(getattr(self, name)) for name in _NUMBERS},
        }

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ServerSettings:
        """Read the settings :meth:`to_env` wrote; absent variables keep their defaults.

        Args:
            environ: the environment (``os.environ`` when omitted).

        Raises:
            ValueError: ``CODINGKG_SERVER_MAX_BODY_BYTES`` is not a positive integer.
        """
        env = os.environ if environ is None else environ
        data = env.get(f"{ENV_PREFIX}DATA", "")
        origins = env.get(f"{ENV_PREFIX}CORS_ORIGINS", "")
        max_body = int(env.get(f"{ENV_PREFIX}MAX_BODY_BYTES") or MAX_BODY_BYTES)
        if max_body <= 0:
            raise ValueError(f"{ENV_PREFIX}MAX_BODY_BYTES must be positive (got {max_body})")
        numbers = {}
        for name, kind in _NUMBERS.items():
            text = env.get(f"{ENV_PREFIX}{name.upper()}")
            if text:
                try:
                    value = kind(text)
                except ValueError:
                    raise ValueError(f"{ENV_PREFIX}{name.upper()} must be a number (got {text!r})") from None
                if value < 0 or (value == 0 and name not in _MAY_BE_ZERO):
                    least = "0 or more" if name in _MAY_BE_ZERO else "positive"
                    raise ValueError(f"{ENV_PREFIX}{name.upper()} must be {least} (got {text})")
                numbers[name] = value
        return cls(
            **numbers,
            data_dirs=tuple(Path(d) for d in data.split(os.pathsep) if d),
            cors_origins=tuple(o.strip() for o in origins.split(",") if o.strip()),
            introspection=_flag(env.get(f"{ENV_PREFIX}INTROSPECTION"), True),
            graphiql=_flag(env.get(f"{ENV_PREFIX}GRAPHIQL"), True),
            max_body_bytes=max_body,
            use_cache=_flag(env.get(f"{ENV_PREFIX}USE_CACHE"), True),
        )
