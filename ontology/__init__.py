"""The codingkg ontology: vocabulary, SHACL shapes and curated data, shipped as Turtle.

Only declarative knowledge lives here; this module just tells the engine where the files are.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["DATA_DIR", "ONTOLOGY_DIR", "SHAPES_FILE", "VOCABULARY_FILE", "default_files"]

ONTOLOGY_DIR = Path(__file__).resolve().parent
VOCABULARY_FILE = ONTOLOGY_DIR / "codingkg.ttl"
SHAPES_FILE = ONTOLOGY_DIR / "shapes.ttl"
DATA_DIR = ONTOLOGY_DIR / "data"


def default_files() -> list[Path]:
    """The Turtle files of the embedded default graph: the vocabulary and every curated data file.

    >>> files = default_files()
    >>> files[0].name, all(p.suffix == ".ttl" for p in files)
    ('codingkg.ttl', True)
    """
    return [VOCABULARY_FILE, *sorted(DATA_DIR.glob("*.ttl"))]
