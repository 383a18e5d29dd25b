"""Namespaces and vocabulary terms, in one place.

Terms are plain IRI strings: the runtime graph keys nodes and attributes by string, so the
engine never needs rdflib term objects on its hot paths.

>>> CK.AddOnOf
'https://w3id.org/codingkg/ontology#AddOnOf'
>>> local_name(CK.modifierIndicator)
'modifierIndicator'
"""

from __future__ import annotations

__all__ = [
    "BASE",
    "CK",
    "DCTERMS",
    "OWL",
    "RDF",
    "RDFS",
    "SKOS",
    "XSD",
    "Namespace",
    "code_iri",
    "local_name",
]

BASE = "https://w3id.org/codingkg/"


class Namespace(str):
    """A string IRI prefix whose attributes are the IRIs of its terms.

    >>> Namespace("http://example.org/ns#").thing
    'http://example.org/ns#thing'
    """

    __slots__ = ()

    def __getattr__(self, name: str) -> str:
        if name.startswith("__"):
            raise AttributeError(name)
        return str(self) + name

    def term(self, name: str) -> str:
        """The IRI of ``name`` in this namespace (for names that are not identifiers)."""
        return str(self) + name


CK = Namespace(BASE + "ontology#")
RDF = Namespace("http://www.w3.org/1999/02/22-rdf-syntax-ns#")
RDFS = Namespace("http://www.w3.org/2000/01/rdf-schema#")
OWL = Namespace("http://www.w3.org/2002/07/owl#")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
DCTERMS = Namespace("http://purl.org/dc/terms/")


def local_name(iri: str) -> str:
    """The part of an IRI after its last ``#`` or ``/``.

    >>> local_name("https://w3id.org/codingkg/cpt/96368")
    '96368'
    """
    cut = max(iri.rfind("#"), iri.rfind("/"))
    return iri[cut + 1 :]


def code_iri(system: str, notation: str) -> str:
    """The IRI of a code of a code system (``cpt`` or ``hcpcs``).

    >>> code_iri("cpt", "96368")
    'https://w3id.org/codingkg/cpt/96368'
    """
    return f"{BASE}{system.lower()}/{notation}"
