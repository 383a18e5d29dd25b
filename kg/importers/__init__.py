"""CMS file importers, one module per format, chosen by reading each file's header.

The registry follows kgx's source registry: a dict keyed by format name whose values offer
``sniff(header_rows) -> bool`` (the first rows of a file, as cells) and ``read(path, out,
quarter)``. :func:`kg.importers.release.detect` asks every importer to sniff; the file name is
never used to pick a format.

>>> sorted(REGISTRY)
['cms-aoc', 'mpfs-pprrvu', 'ncci-mue', 'ncci-ptp', 'opps-addendum-b']
"""

from __future__ import annotations

from kg.importers.addon import AddOnImporter
from kg.importers.base import CmsFileError, Importer
from kg.importers.mue import MueImporter
from kg.importers.opps import AddendumBImporter
from kg.importers.pprrvu import PprrvuImporter
from kg.importers.ptp import PtpImporter

__all__ = ["REGISTRY", "CmsFileError", "Importer"]

REGISTRY: dict[str, Importer] = {
    importer.name: importer
    for importer in (PtpImporter(), MueImporter(), AddOnImporter(), AddendumBImporter(), PprrvuImporter())
}
