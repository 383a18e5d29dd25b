"""The rules are data: every contract rule id is declared in RDF, the shapes catch bad rules, and
the engine's Python holds no code numbers, severities or rule ids."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from kg.claims import rule_book
from kg.validate import default_data_files, validate_files

from .conftest import PREFIXES

CONTRACT_IDS = {
    "UNKNOWN_CODE", "INVALID_UNITS", "ADDON_WITHOUT_PRIMARY", "MUE_EXCEEDED", "MODIFIER_NOT_APPLICABLE",
    "MODIFIER_MISPLACED", "BUNDLED", "MUTUALLY_EXCLUSIVE", "MULTIPLE_INITIAL_SERVICES", "HIERARCHY_VIOLATION",
    "PACKAGED", "NOT_REPORTABLE_IN_SETTING", "NOT_PAYABLE", "HYDRATION_CONCURRENT", "NO_DATA",
    "DRUG_ADMINISTRATION_MISMATCH",
}
ENGINE = Path(__file__).resolve().parents[3] / "kg" / "claims"


def test_every_contract_rule_id_is_declared_with_sources_and_a_message(kg):
    rules = [r for r in rule_book(kg).rules if not r.disabled]
    assert {r.rule_id for r in rules} == CONTRACT_IDS
    assert all(r.sources and r.message and r.severity for r in rules)


def _non_docstring_constants(tree: ast.AST) -> list[object]:
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    return [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and id(n) not in docstrings]


def test_engine_python_holds_no_rule_values():
    code = re.compile(r"\b[0-9][0-9]{3}[0-9A-Z]\b|\b[A-Z][0-9]{4}\b")
    forbidden = CONTRACT_IDS | {"ERROR", "WARNING", "INFO", "25", "51", "59", "XU", "11", "22"}
    for module in sorted(ENGINE.glob("*.py")):
        for value in _non_docstring_constants(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(value, str):
                assert value not in forbidden, f"{module.name}: {value!r}"
                assert not code.search(value), f"{module.name}: {value!r}"


def test_shapes_reject_a_rule_with_an_undocumented_id_and_no_source(tmp_path):
    bad = tmp_path / "bad.ttl"
    bad.write_text(PREFIXES + """
cr:test-bad a ck:ClaimRule ; ck:ruleId "MADE_UP" ; ck:checkKind ck:MaxUnits ; ck:severity ck:ErrorSeverity ;
    ck:message "x" .
cr:test-half-disabled a ck:ClaimRule ; ck:disabled true ; dcterms:source src:codingkg-curation .
""", encoding="utf-8")
    report = validate_files([*default_data_files(), bad])
    assert not report.conforms
    focus = {(v.focus_node.rsplit("/", 1)[1], re.split("[#/]", v.path)[-1] if v.path else None) for v in report.violations}
    assert ("test-bad", "ruleId") in focus and ("test-bad", "source") in focus
    assert any(node == "test-half-disabled" for node, _ in focus)
