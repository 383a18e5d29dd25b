"""codingkg engine: a knowledge graph of medical billing codes, usable without the server."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
