"""Where the closed vocabularies come from: ``ck:enumName`` individuals in the ontology.

Each closed vocabulary (claim types, severities, relationship kinds, perspectives, routes,
substance categories, pumps, confidence levels, modifier applicability) is defined once, in
Turtle. :mod:`kg.enums` is generated from it (``python -m kg.enum_source`` rewrites it) so
that the engine and the type checker see ordinary ``StrEnum`` classes; a test regenerates it
and fails when the file and the ontology drift apart.
"""

from __future__ import annotations

import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import rdflib
from rdflib.namespace import RDF, RDFS

from ontology import DATA_DIR, VOCABULARY_FILE

__all__ = ["ENUMS_FILE", "VOCABULARIES", "Vocabulary", "ontology_values", "render"]

ENUMS_FILE = Path(__file__).resolve().parent / "enums.py"
_CK = rdflib.Namespace("https://w3id.org/codingkg/ontology#")
#: The files that hold the vocabularies' individuals (the curated data is not needed to read them).
_FILES = (VOCABULARY_FILE, DATA_DIR / "settings.ttl", DATA_DIR / "encounter-rules.ttl")


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """One closed vocabulary: the Python (and GraphQL) enum name and the class whose individuals list it.

    ``record_facing`` keeps only individuals without a ``ck:broaderCategory`` (a narrower
    category is derived from a drug's code, never stated by a record). ``by_edge_kind`` reads
    the values from ``ck:edgeKind`` of the class's subclasses (relationship kinds are classes).
    """

    name: str
    class_name: str
    record_facing: bool = False
    by_edge_kind: bool = False


VOCABULARIES = (
    Vocabulary("ClaimType", "ClaimType"),
    Vocabulary("Severity", "SeverityLevel"),
    Vocabulary("RelationKind", "Relationship", by_edge_kind=True),
    Vocabulary("Perspective", "Perspective"),
    Vocabulary("Route", "AdministrationRoute"),
    Vocabulary("SubstanceCategory", "SubstanceCategory", record_facing=True),
    Vocabulary("Pump", "Pump"),
    Vocabulary("ConfidenceLevel", "Confidence"),
    Vocabulary("Applicability", "Applicability"),
)


def _graph() -> rdflib.Graph:
    graph = rdflib.Graph()
    for path in _FILES:
        graph.parse(path, format="turtle")
    return graph


def _values(graph: rdflib.Graph, vocabulary: Vocabulary) -> list[str]:
    cls = _CK[vocabulary.class_name]
    if vocabulary.by_edge_kind:
        found = [(sub, graph.value(sub, _CK.edgeKind)) for sub in graph.subjects(RDFS.subClassOf, cls)]
    else:
        found = [(ind, graph.value(ind, _CK.enumName)) for ind in graph.subjects(RDF.type, cls)
                 if not (vocabulary.record_facing and (ind, _CK.broaderCategory, None) in graph)]
    if any(value is None for _, value in found):
        raise ValueError(f"ck:{vocabulary.class_name}: an individual has no ck:enumName")
    # In the order the Turtle declares the individuals: the API lists enum values in that order.
    text = "\n".join(path.read_text(encoding="utf-8") for path in _FILES)

    def declared(item: tuple[rdflib.term.Node, rdflib.term.Node | None]) -> tuple[int, str]:
        local = str(item[0]).rsplit("#", 1)[-1].rsplit("/", 1)[-1]
        return text.find(f":{local} a "), str(item[1])

    return [str(value) for _, value in sorted(found, key=declared)]


def ontology_values(graph: rdflib.Graph | None = None) -> dict[str, list[str]]:
    """Each vocabulary's values as the ontology lists them, sorted.

    >>> ontology_values()["Severity"]
    ['ERROR', 'WARNING', 'INFO']
    """
    graph = graph if graph is not None else _graph()
    return {v.name: _values(graph, v) for v in VOCABULARIES}


def _comment(graph: rdflib.Graph, vocabulary: Vocabulary) -> str:
    cls = _CK[vocabulary.class_name]
    text = graph.value(cls, RDFS.comment) or graph.value(cls, RDFS.label) or vocabulary.name
    return " ".join(str(text).split()).replace('"', "'")


def render(graph: rdflib.Graph | None = None) -> str:
    """The text of :mod:`kg.enums` as the ontology defines it."""
    graph = graph if graph is not None else _graph()
    out = ['"""Closed vocabularies, generated from the ontology by ``python -m kg.enum_source``: do not edit.',
           "", "Each class lists the ``ck:enumName`` values of one ontology class (see :mod:`kg.enum_source`).",
           '"""', "", "from enum import StrEnum", "",
           "__all__ = [", *(f'    "{name}",' for name in sorted(v.name for v in VOCABULARIES)), "]"]
    for vocabulary in VOCABULARIES:
        out += ["", "", f"class {vocabulary.name}(StrEnum):",
                *textwrap.wrap(f'"""ck:{vocabulary.class_name}: {_comment(graph, vocabulary)}"""', 100,
                               initial_indent="    ", subsequent_indent="    "), ""]
        out += [f'    {value} = "{value}"' for value in _values(graph, vocabulary)]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    ENUMS_FILE.write_text(render(), encoding="utf-8")
    sys.exit(0)
