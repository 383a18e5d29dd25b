"""The one place that says which files make the default graph, in which order.

Lowest first: the embedded CMS baseline (:mod:`kg.baseline`), then the curated ontology and
data (``ontology/``), then each ``--data`` release directory in the order given. A later layer
overrides the facts of earlier ones for what it states (see :mod:`kg.load`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kg.verify import VerifiedRelease, verify_releases

__all__ = ["CURATED_NAME", "Layers", "default_layers"]

#: The layer name of the curated ontology and data.
CURATED_NAME = "curated"


@dataclass(frozen=True, slots=True)
class Layers:
    """RDF files per layer, lowest first, and a name per layer."""

    files: tuple[tuple[Path, ...], ...]
    names: tuple[str, ...]
    #: The verified release directories among the layers (the imported baseline and ``--data``).
    releases: tuple[VerifiedRelease, ...] = ()

    def flat(self) -> list[Path]:
        """Every file of every layer, in layer order."""
        return [p for layer in self.files for p in layer]

    def digests(self) -> dict[Path, str]:
        """The sha256 of every release file, as verified against its manifest (reused for snapshot keys)."""
        return {path: sha for release in self.releases for path, sha in release.digests().items()}

    def check_unchanged(self) -> None:
        """Check that no release file was replaced since verification (call after loading).

        Raises:
            kg.verify.ReleaseError: a file changed between verification and loading.
        """
        for release in self.releases:
            release.check_unchanged()


def default_layers(data_dirs: Sequence[Path] = (), baseline: bool = True) -> Layers:
    """The layers of the default graph: embedded baseline, curated data, then each release directory.

    Every release directory (the imported baseline included) is verified against its manifest
    before its files are listed, so nothing unverified reaches the loader.

    Args:
        data_dirs: imported release directories, lowest first.
        baseline: include the embedded CMS baseline (importing it on first use).

    Returns:
        The files and names of each layer.

    Raises:
        kg.baseline.BaselineError: the embedded CMS files are missing, altered or do not import.
        kg.verify.ReleaseError: a release directory is missing, empty, or does not match its manifest.

    >>> default_layers(baseline=False).names
    ('curated',)
    >>> default_layers().names
    ('cms-baseline', 'curated')
    """
    from ontology import default_files

    files: list[tuple[Path, ...]] = []
    names: list[str] = []
    releases: list[VerifiedRelease] = []
    if baseline:
        from kg.baseline import BASELINE_NAME, verified_baseline

        releases.append(verified_baseline())
        files.append(tuple(releases[-1].rdf_files()))
        names.append(BASELINE_NAME)
    files.append(tuple(default_files()))
    names.append(CURATED_NAME)
    for directory, release in zip(data_dirs, verify_releases(data_dirs), strict=True):
        releases.append(release)
        files.append(tuple(release.rdf_files()))
        names.append(Path(directory).name)
    return Layers(tuple(files), tuple(names), tuple(releases))
