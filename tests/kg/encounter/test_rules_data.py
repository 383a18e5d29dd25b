"""The encounter rules are data: SHACL guards them, and editing the Turtle changes the coding."""

from __future__ import annotations

import ast
import re
from datetime import date
from pathlib import Path

import pytest

from kg.encounter import Administration as adm
from kg.encounter import Encounter, EncounterRules, code_encounter
from kg.graph import KnowledgeGraph
from kg.validate import validate_files
from ontology import DATA_DIR, default_files

RULES_FILE = DATA_DIR / "encounter-rules.ttl"
PACKAGE = Path(__file__).resolve().parents[3] / "kg" / "encounter"


def graph_with(tmp_path: Path, old: str, new: str) -> list[Path]:
    """The default files with ``old`` replaced by ``new`` in a copy of the encounter rules."""
    text = RULES_FILE.read_text(encoding="utf-8")
    assert old in text
    edited = tmp_path / RULES_FILE.name
    edited.write_text(text.replace(old, new), encoding="utf-8")
    return [edited if p == RULES_FILE else p for p in default_files()]


def test_every_rule_is_sourced_and_valid():
    report = validate_files(default_files())
    assert report.conforms, report.violations


def test_shacl_rejects_a_rule_without_its_code(tmp_path):
    files = graph_with(tmp_path, "ck:codingRole ck:InitialRole ; ck:producesCode cpt:96413 ;", "ck:codingRole ck:InitialRole ;")
    report = validate_files(files)
    assert not report.conforms
    assert any("code-chemotherapy-infusion-initial" in v.focus_node for v in report.violations)


def test_changing_the_hydration_minimum_in_turtle_changes_the_coding(tmp_path):
    record = Encounter("FACILITY", None, [adm("a", "saline", "HYDRATION", "IV_INFUSION", "09:00", "09:45")])
    assert code_encounter(KnowledgeGraph.default(), record).codes() == [("96360", 1)]
    edited = KnowledgeGraph.from_layers([graph_with(tmp_path, "ck:minimumMinutes 31 ;", "ck:minimumMinutes 46 ;")])
    coding = code_encounter(edited, record)
    assert coding.codes() == [] and coding.rules() == ["HYDRATION_TOO_SHORT"]


def test_the_separate_site_modifier_is_read_from_turtle(tmp_path):
    record = Encounter("FACILITY", None, [
        adm("a", "x", "THERAPEUTIC", "IV_INFUSION", "09:00", "09:40", site="L"),
        adm("b", "y", "THERAPEUTIC", "IV_INFUSION", "09:00", "09:40", site="R")])
    edited = KnowledgeGraph.from_layers([graph_with(tmp_path, "ck:producesModifier mod:XU", "ck:producesModifier mod:59")])
    assert [line.modifiers for line in code_encounter(edited, record).lines] == [(), ("59",)]


def test_rules_are_dated(tmp_path):
    # A rule that ended before the encounter no longer applies: the role has no code that day.
    files = graph_with(tmp_path, "enc:code-therapeutic-infusion-hour a ck:EncounterCodeRule ;",
                       "enc:code-therapeutic-infusion-hour a ck:EncounterCodeRule ; "
                       'ck:end "2020-01-01"^^<http://www.w3.org/2001/XMLSchema#date> ;')
    graph = KnowledgeGraph.from_layers([files])
    rules = EncounterRules.of(graph, date(2026, 1, 5))
    kind = rules.kind_for("THERAPEUTIC", rules.classify("IV_INFUSION", 120, discontinued=False))
    assert rules.code_rule(kind, "ADDITIONAL_HOUR", "FACILITY") is None
    assert EncounterRules.of(graph, date(2019, 6, 1)).code_rule(kind, "ADDITIONAL_HOUR", "FACILITY").code == "96366"


def _constants(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef) and node.body
                  and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and id(node) not in docstrings:
            yield node.value


@pytest.mark.parametrize("module", sorted(p.name for p in PACKAGE.glob("*.py")))
def test_no_code_number_modifier_or_threshold_in_python(module):
    code_like = re.compile(r"\b(9\d{4}|[A-Z]\d{4}|XU|XE|XS|XP)\b")
    # Regex groups (1-3), clock validity (23 h, 59 min) and message truncation (40 characters)
    # are formatting, not rules.
    allowed_numbers = {0, 1, 2, 3, 23, 40, 59}
    for value in _constants(PACKAGE / module):
        if isinstance(value, bool):
            continue
        if isinstance(value, int | float):
            assert value in allowed_numbers, f"{module}: number {value} belongs in RDF"
        if isinstance(value, str):
            assert not code_like.search(value), f"{module}: {value!r} names a code or modifier"
