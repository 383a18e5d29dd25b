"""Code systems (CPT, HCPCS Level II): which one a notation belongs to, read from the ontology.

A core concept the engine, the importers and the release diff share; it lives outside
``kg.importers`` so that reading a release does not depend on the code that writes one.
"""

from __future__ import annotations

import re
from functools import cache

from kg.vocab import CK, RDF, local_name

__all__ = ["notation_patterns", "scheme_of"]


@cache
def notation_patterns() -> dict[str, re.Pattern[str]]:
    """Each code system's notation pattern, by the system's local name (``cpt``, ``hcpcs``).

    >>> sorted(notation_patterns())
    ['cpt', 'hcpcs']
    """
    from kg.load import parse_triples
    from ontology import default_files

    systems: set[str] = set()
    patterns: dict[str, str] = {}
    for path in default_files():
        for s, p, o, _ in parse_triples(path):
            if p == RDF.type and o == CK.CodeSystem:
                systems.add(s)
            elif p == CK.notationPattern:
                patterns[s] = str(o)
    return {local_name(s): re.compile(patterns[s]) for s in sorted(systems) if s in patterns}


def scheme_of(notation: str) -> str | None:
    """The code system whose notation pattern matches ``notation``, or ``None``.

    >>> scheme_of("96368"), scheme_of("J1100"), scheme_of("??")
    ('cpt', 'hcpcs', None)
    """
    for name, pattern in notation_patterns().items():
        if pattern.match(notation):
            return name
    return None
