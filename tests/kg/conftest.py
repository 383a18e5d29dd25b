"""Fixtures for tests that need imported CMS data (importers, diff, and claim checks on imports).

``cms_reference`` is the folder of the real CMS files the package ships (``ontology/cms``).
``write_quarter(directory)`` writes a small quarter of PTP, MUE and add-on files in CMS's
exact layouts (through :mod:`kg.importers.cms_layouts`, the writers the benchmarks use)
with rows whose expected effect on the graph the tests state independently; ``small_release``
is that quarter imported, and ``small_graph`` the curated graph plus it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from kg.baseline import BASELINE_DIR
from kg.graph import KnowledgeGraph
from kg.importers.cms_layouts import AocRecord, MueRecord, PtpRecord, write_aoc, write_mue, write_ptp
from kg.importers.release import import_files

PRACTITIONER_PTP = [
    PtpRecord("96413", "96360", date(2009, 1, 1), None, 1, "Misuse of column two code with column one code"),
    PtpRecord("96365", "96372", date(2010, 1, 1), None, 0, "Standards of Medical/Surgical Practice"),
    PtpRecord("96374", "96372", date(2005, 1, 1), date(2020, 1, 1), 1, "CPT Manual or CMS manual coding instruction"),
    PtpRecord("96367", "96368", date(2007, 1, 1), None, 1, "Mutually exclusive procedures"),
    PtpRecord("99214", "96372", date(2015, 1, 1), date(2015, 1, 1), 9, "Misuse of column two code with column one code"),
    PtpRecord("12345", "J1100", date(1996, 1, 1), None, 1, "CPT separate procedure definition", prior_1996=True),
]
HOSPITAL_PTP = [
    PtpRecord("96413", "96360", date(2009, 1, 1), None, 0, "Misuse of column two code with column one code"),
]
MUE_PRACTITIONER = [MueRecord("96368", 2, 2, "CMS Policy"), MueRecord("96365", 1, 3), MueRecord("J1100", 100, 3)]
MUE_OUTPATIENT = [MueRecord("96368", 1, 2, "CMS Policy")]
MUE_DME = [MueRecord("E0781", 1, 2, "Code Descriptor / CPT Instruction")]
AOC = [
    AocRecord(1, "96368", "96365", date(2013, 4, 1)),
    AocRecord(1, "96368", "96413", date(2013, 4, 1)),
    AocRecord(1, "96368", "96366", date(2013, 4, 1), edit_deleted=date(2020, 1, 1)),
    AocRecord(2, "0999T", "CCCCC", date(2016, 1, 1)),
    AocRecord(3, "96375", "96365", date(2013, 4, 1), notes="96375 text kept out of the graph"),
]


def write_quarter(directory: Path, *, ptp: list[PtpRecord] | None = None, hospital: list[PtpRecord] | None = None,
                  mue: list[MueRecord] | None = None, aoc: list[AocRecord] | None = None,
                  version: str = "v322r0") -> list[Path]:
    """Write the small quarter (or variants of it) in CMS layouts; returns the file paths."""
    directory.mkdir(parents=True, exist_ok=True)
    return [
        write_ptp(directory / f"ccipra-{version}-f1.txt", PRACTITIONER_PTP if ptp is None else ptp),
        write_ptp(directory / f"ccioph-{version}-f1.txt", HOSPITAL_PTP if hospital is None else hospital),
        write_mue(directory / "MCR_MUE_PractitionerServices_Eff_07-01-2026.csv", "practitioner",
                  MUE_PRACTITIONER if mue is None else mue),
        write_mue(directory / "MCR_MUE_OutpatientHospitalServices_Eff_07-01-2026.csv", "outpatient", MUE_OUTPATIENT),
        write_mue(directory / "MCR_MUE_DMESupplierServices_Eff_07-01-2026.csv", "dme", MUE_DME),
        write_aoc(directory / "AOC_V2026Q3-MCR.txt", AOC if aoc is None else aoc),
    ]


@pytest.fixture(scope="session")
def cms_reference() -> Path:
    """The folder of real CMS files (the copies shipped in the package)."""
    return BASELINE_DIR


@pytest.fixture(scope="session")
def quarter_rows() -> dict[str, list]:
    """The rows of the small quarter, by file (``ptp``, ``hospital``, ``mue``, ``aoc``)."""
    return {"ptp": PRACTITIONER_PTP, "hospital": HOSPITAL_PTP, "mue": MUE_PRACTITIONER, "aoc": AOC}


@pytest.fixture(scope="session")
def quarter_writer() -> Callable[..., list[Path]]:
    """:func:`write_quarter`, for tests that need variants of the small quarter."""
    return write_quarter


@pytest.fixture(scope="session")
def small_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small quarter imported into a release directory."""
    root = tmp_path_factory.mktemp("small-quarter")
    files = write_quarter(root / "cms")
    import_files(files, root / "release-2026q3")
    return root / "release-2026q3"


@pytest.fixture(scope="session")
def small_graph(small_release: Path) -> KnowledgeGraph:
    """The curated graph with the small quarter layered on top."""
    return KnowledgeGraph.default([small_release], baseline=False)
