"""Namespaces and vocabulary terms, in one place.

Terms are plain IRI strings: the runtime graph keys nodes and attributes by string, so the
engine never needs rdflib term objects on its hot paths.

>>> CK.AddOnOf
'https://w3id.org/codingkg/ontology#AddOnOf'
>>> local_name(CK.modifierIndicator)
'modifierIndicator'
"""

from __future__ import annotations

import re
from functools import cache

from ontology import VOCABULARY_FILE

__all__ = [
    "BASE",
    "CK",
    "DCTERMS",
    "OWL",
    "RDF",
    "RDFS",
    "SKOS",
    "XSD",
    "ClosedNamespace",
    "Namespace",
    "ck_terms",
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


class ClosedNamespace(Namespace):
    """A namespace that knows its terms: a name it does not define raises ``AttributeError``.

    The terms are read from the Turtle that declares them, so ``CK.someTypo`` fails where it is
    first evaluated (at import for module-level uses) instead of naming an IRI no data carries;
    a test checks every ``CK.<name>`` written in the code against the same list.

    >>> CK.AddOnOf
    'https://w3id.org/codingkg/ontology#AddOnOf'
    >>> CK.AddOnOff
    Traceback (most recent call last):
    ...
    AttributeError: ck:AddOnOff is not defined in ontology/codingkg.ttl
    """

    __slots__ = ()

    def __getattr__(self, name: str) -> str:
        if name.startswith("__"):
            raise AttributeError(name)
        if name not in ck_terms():
            raise AttributeError(f"ck:{name} is not defined in ontology/codingkg.ttl")
        return str(self) + name

    def term(self, name: str) -> str:
        """The IRI of ``name``, which the ontology must define."""
        return getattr(self, name)


@cache
def ck_terms() -> frozenset[str]:
    """The local names ``ontology/codingkg.ttl`` declares (each subject written ``ck:name a ...``).

    >>> {"Code", "ClaimRule", "enumName"} <= ck_terms()
    True
    """
    # A line scan rather than an RDF parse: it runs at import, and the file declares each term
    # at the start of a line (a test keeps it so by comparing with rdflib's parse).
    text = VOCABULARY_FILE.read_text(encoding="utf-8")
    return frozenset(re.findall(r"^ck:(\w+)\s+a\s", text, re.MULTILINE))


CK = ClosedNamespace(BASE + "ontology#")
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
