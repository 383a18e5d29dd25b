"""Modifier rules per code (kg/modifier_rules.py): the graph's rule nodes read once, each code
judged on its own edges, every answer sourced."""

from __future__ import annotations

from datetime import date

from kg.graph import KnowledgeGraph
from kg.modifier_rules import modifier_rule_plan


def _rules(kg: KnowledgeGraph, code: str) -> set[tuple[str, str, str]]:
    return {(r.modifier, r.applicability, (r.iri or "").rsplit("/", 1)[-1]) for r in kg.modifier_rules(code)}


def test_each_rule_applies_to_the_codes_it_names(kg: KnowledgeGraph) -> None:
    # 96368 is an add-on: modifier 51 is refused by the add-on rule and, separately, by its
    # fee-schedule multiple-procedure indicator (0). 25 belongs on an E/M line only.
    assert _rules(kg, "96368") == {("51", "NOT_APPLICABLE", "51-not-on-add-ons"), ("25", "NOT_APPLICABLE", "25-only-on-em"),
                                   ("51", "NOT_APPLICABLE", "mult-proc-0"), ("50", "NOT_APPLICABLE", "bilat-0")}
    # Not an add-on: no add-on rule. An office E/M code is in the set 25 is limited to.
    assert ("51", "NOT_APPLICABLE", "51-not-on-add-ons") not in _rules(kg, "96365")
    assert {rule[2] for rule in _rules(kg, "99214")} == {"mult-proc-0", "bilat-0"}


def test_an_indicator_rule_cites_the_meaning_and_the_fee_schedule_row(kg: KnowledgeGraph) -> None:
    [rule] = [r for r in kg.modifier_rules("96365") if r.iri and r.iri.endswith("mult-proc-0")]
    # The fee-schedule file whose row carries the indicator, and the file that says what it means.
    assert {"PPRRVU2025_Oct.csv", "RVU25D-readme.txt"} <= {s.file_name for s in rule.sources}
    assert rule.code == "96365"


def test_the_rule_nodes_are_read_once_per_graph_and_forgotten_with_the_memos() -> None:
    graph = KnowledgeGraph.default()
    first = modifier_rule_plan(graph)
    assert modifier_rule_plan(graph) is first
    day = date(2026, 6, 1)
    answers = {code: graph.modifier_rules(code, day) for code in ("96365", "96368", "99214")}
    graph.clear_memos()
    assert modifier_rule_plan(graph) is not first
    assert {code: graph.modifier_rules(code, day) for code in answers} == answers
