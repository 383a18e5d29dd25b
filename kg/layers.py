"""The one place that says which files make the default graph, in which order.

Lowest first: the embedded CMS baseline (:mod:`kg.baseline`), then the curated ontology and
data (``ontology/``), then each ``--data`` release directory in the order given. A later layer
overrides the facts of earlier ones for what it states (see :mod:`kg.load`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kg.load import rdf_files

__all__ = ["CURATED_NAME", "Layers", "default_layers"]

#: The layer name of the curated ontology and data.
CURATED_NAME = "curated"


@dataclass(frozen=True, slots=True)
class Layers:
    """RDF files per layer, lowest first, and a name per layer."""

    files: tuple[tuple[Path, ...], ...]
    names: tuple[str, ...]

    def flat(self) -> list[Path]:
        """Every file of every layer, in layer order."""
        return [p for layer in self.files for p in layer]


def default_layers(data_dirs: Sequence[Path] = (), baseline: bool = True) -> Layers:
    """The layers of the default graph: embedded baseline, curated data, then each release directory.

    Args:
        data_dirs: imported release directories, lowest first.
        baseline: include the embedded CMS baseline (importing it on first use).

    Returns:
        The files and names of each layer.

    Raises:
        kg.baseline.BaselineError: the embedded CMS files are missing, altered or do not import.

    >>> default_layers(baseline=False).names
    ('curated',)
    >>> default_layers().names
    ('cms-baseline', 'curated')
    """
    from ontology import default_files

    files: list[tuple[Path, ...]] = []
    names: list[str] = []
    if baseline:
        from kg.baseline import BASELINE_NAME, baseline_files

        files.append(tuple(baseline_files()))
        names.append(BASELINE_NAME)
    files.append(tuple(default_files()))
    names.append(CURATED_NAME)
    for directory in data_dirs:
        files.append(tuple(rdf_files(Path(directory))))
        names.append(Path(directory).name)
    return Layers(tuple(files), tuple(names))
