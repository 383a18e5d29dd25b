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

from server.limits import MAX_BODY_BYTES

__all__ = ["ENV_PREFIX", "ServerSettings"]

ENV_PREFIX = "CODINGKG_SERVER_"


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


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
    """

    data_dirs: tuple[Path, ...] = ()
    cors_origins: tuple[str, ...] = ()
    introspection: bool = True
    graphiql: bool = True
    max_body_bytes: int = MAX_BODY_BYTES
    use_cache: bool = True

    def to_env(self) -> dict[str, str]:
        """The settings as environment variables (``CODINGKG_SERVER_*``)."""
        return {
            f"{ENV_PREFIX}DATA": os.pathsep.join(str(d) for d in self.data_dirs),
            f"{ENV_PREFIX}CORS_ORIGINS": ",".join(self.cors_origins),
            f"{ENV_PREFIX}INTROSPECTION": "1" if self.introspection else "0",
            f"{ENV_PREFIX}GRAPHIQL": "1" if self.graphiql else "0",
            f"{ENV_PREFIX}MAX_BODY_BYTES": str(self.max_body_bytes),
            f"{ENV_PREFIX}USE_CACHE": "1" if self.use_cache else "0",
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
        return cls(
            data_dirs=tuple(Path(d) for d in data.split(os.pathsep) if d),
            cors_origins=tuple(o.strip() for o in origins.split(",") if o.strip()),
            introspection=_flag(env.get(f"{ENV_PREFIX}INTROSPECTION"), True),
            graphiql=_flag(env.get(f"{ENV_PREFIX}GRAPHIQL"), True),
            max_body_bytes=max_body,
            use_cache=_flag(env.get(f"{ENV_PREFIX}USE_CACHE"), True),
        )
