"""The closed ``ck:`` namespace: every term the code names is declared by the ontology."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import rdflib

from kg.vocab import CK, ck_terms
from ontology import VOCABULARY_FILE

REPO = Path(__file__).resolve().parents[2]


def _written_terms() -> dict[str, str]:
    found: dict[str, str] = {}
    for package in ("kg", "server", "codingkg"):
        for path in sorted((REPO / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "CK":
                    found.setdefault(node.attr, f"{path.relative_to(REPO)}:{node.lineno}")
    return found


def test_every_term_the_code_names_is_declared() -> None:
    written = _written_terms()
    assert len(written) > 30  # the scan sees the code
    assert {name: where for name, where in written.items() if name not in ck_terms()} == {}


def test_the_term_list_is_what_rdflib_reads() -> None:
    graph = rdflib.Graph().parse(VOCABULARY_FILE, format="turtle")
    prefix = str(CK)
    declared = {str(s)[len(prefix):] for s in graph.subjects() if str(s).startswith(prefix)}
    assert ck_terms() == declared


def test_a_typo_fails_instead_of_naming_an_empty_iri() -> None:
    with pytest.raises(AttributeError, match="ck:AddOnOff is not defined"):
        _ = CK.AddOnOff
    with pytest.raises(AttributeError):
        CK.term("NoSuchClass")
    assert CK.term("AddOnOf") == CK.AddOnOf
