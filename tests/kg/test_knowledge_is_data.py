"""No coding fact is written in Python: code numbers belong in ontology/ RDF.

Docstrings may show examples; executable string literals may not hold a code.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CODE_PATTERN = re.compile(r"\b(\d{4}[0-9A-Z]|[A-V]\d{4})\b")


def _string_literals(tree: ast.AST) -> list[tuple[int, str]]:
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    return [(n.lineno, n.value) for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docstrings]


@pytest.mark.parametrize("package", ["kg", "server"])
def test_no_code_numbers_in_engine_or_server_python(package: str) -> None:
    offenders = []
    for path in sorted((REPO / package).rglob("*.py")):
        for line, text in _string_literals(ast.parse(path.read_text(encoding="utf-8"))):
            if CODE_PATTERN.search(text):
                offenders.append(f"{path.relative_to(REPO)}:{line}: {text[:60]!r}")
    assert offenders == []


def test_the_scan_detects_a_code_literal() -> None:
    tree = ast.parse('"""Docstring 96368 is fine."""\nLIMIT = {"96368": 1}\n')
    assert [t for _, t in _string_literals(tree) if CODE_PATTERN.search(t)] == ["96368"]
