"""SHACL validation of the RDF the graph is built from (pyshacl over rdflib).

>>> report = validate_files(default_data_files())
>>> report.conforms, report.violations
(True, [])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import rdflib
from pyshacl import validate as shacl_validate
from rdflib.namespace import SH

__all__ = ["ValidationReport", "Violation", "default_data_files", "validate_files"]


@dataclass(frozen=True, slots=True)
class Violation:
    """One SHACL result: the node at fault, the property path and what is wrong."""

    focus_node: str
    path: str | None
    message: str
    severity: str

    def __str__(self) -> str:
        where = f" {self.path}" if self.path else ""
        return f"{self.severity}: {self.focus_node}{where}: {self.message}"


@dataclass(slots=True)
class ValidationReport:
    """Whether the data conforms, and every violation found."""

    conforms: bool
    violations: list[Violation] = field(default_factory=list)


def default_data_files(data_dirs: Sequence[Path] = ()) -> list[Path]:
    """The curated files plus every RDF file of the given release directories, each verified first.

    The embedded CMS baseline is left out: it is the importers' own output (tested against the
    files it comes from), and SHACL over its 20 000 codes would take minutes.

    Raises:
        kg.verify.ReleaseError: a directory is missing, empty, or does not match its manifest.
    """
    from kg.layers import default_layers

    return default_layers(data_dirs, baseline=False).flat()


def validate_files(files: Sequence[Path]) -> ValidationReport:
    """Validate RDF files together against ``ontology/shapes.ttl``.

    Args:
        files: Turtle or N-Triples files; they are validated as one graph, so references
            across files (an add-on pointing at a code defined elsewhere) resolve.

    Returns:
        The report. A file that does not parse is reported as a violation of that file.
    """
    from ontology import SHAPES_FILE

    data = rdflib.Graph()
    violations: list[Violation] = []
    for path in files:
        fmt = "nt" if Path(path).suffix == ".nt" else "turtle"
        try:
            data.parse(str(path), format=fmt)
        except Exception as err:  # rdflib raises many parser-specific types
            violations.append(Violation(str(path), None, f"does not parse: {err}", "Violation"))
    if violations:
        return ValidationReport(False, violations)
    shapes = rdflib.Graph().parse(str(SHAPES_FILE), format="turtle")
    conforms, results, _ = shacl_validate(data, shacl_graph=shapes, inference="none", advanced=False)
    for result in results.subjects(rdflib.RDF.type, SH.ValidationResult):
        path = results.value(result, SH.resultPath)
        message = results.value(result, SH.resultMessage)
        severity = results.value(result, SH.resultSeverity)
        violations.append(Violation(
            focus_node=str(results.value(result, SH.focusNode)),
            path=None if path is None else str(path),
            message=str(message) if message is not None else "constraint violated",
            severity=str(severity).rsplit("#", 1)[-1] if severity is not None else "Violation",
        ))
    violations.sort(key=lambda v: (v.focus_node, v.path or "", v.message))
    return ValidationReport(bool(conforms), violations)
