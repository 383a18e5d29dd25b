"""The published cases: loading them and comparing the engine's answer with the published one.

Each file in ``cases/`` holds one family of worked examples taken from public coding guidance
(CMS, Medicare contractors, payer policies, coding publications). A case is an infusion record
shaped like the GraphQL ``EncounterInput`` or a claim shaped like ``ClaimInput``, the answer the
source publishes, the sources (ids into ``sources.json``) and a paraphrase of their reasoning.

Expected answers:

* encounters: ``lines`` is the exact set of codes with their total units (order is not part of a
  published answer, and modifiers only where the source names them); ``linesInclude`` only
  requires the listed codes and units, and, given a third element, that some line of the code
  carries one of those modifiers.
* claims: ``valid`` and ``errors`` (both optional: a source that only says a finding is due
  leaves them out) — the exact set of lines carrying an ERROR, each with the rule
  id (or a list of acceptable ids, or ``"*"`` for any rule that judges the claim where sources say
  *that* the line is denied but not under which edit; ``"**"`` also accepts an unknown-code
  finding, for codes that are no longer valid, and is always used with ``mentions``).
* both: ``findings`` that must be present (rule, optional severity, line, ``cites`` — source ids
  the finding must name — and ``mentions`` — text its message must contain) and ``absent`` rule
  ids that must not appear.

A contested case is one where the sources disagree; it asserts the finding that names the
disagreement. ``known_misses.json`` lists the cases the engine still answers differently.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kg.claims import ClaimInputError, check_claim, claim_from_dict
from kg.encounter import code_encounter, encounter_from_dict
from kg.encounter.model import EncounterInputError
from kg.graph import KnowledgeGraph
from kg.model import Finding, Severity

__all__ = ["HERE", "RESULTS", "Case", "Verdict", "evaluate", "load_cases", "load_known_misses", "load_sources"]

HERE = Path(__file__).resolve().parent
# Case id -> (contested, agrees), filled as the parametrised test runs, for the summary line.
RESULTS: dict[str, tuple[bool, bool]] = {}
_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2}
# "*" accepts any rule that judges the claim, never one that only says the input was not understood:
# an unknown code agreeing with "this line is denied" would be agreement by accident.
_NOT_A_JUDGEMENT = {"UNKNOWN_CODE", "INVALID_UNITS"}


def _rule_matches(wanted: str | list[str], rule: str) -> bool:
    allowed = {wanted} if isinstance(wanted, str) else set(wanted)
    return rule in allowed or ("*" in allowed and rule not in _NOT_A_JUDGEMENT) or "**" in allowed


def _mentions(finding: Finding, wanted: dict[str, Any]) -> bool:
    return all(text in finding.message for text in wanted.get("mentions", ()))


@dataclass(frozen=True)
class Case:
    """One published worked example."""

    family: str
    data: dict[str, Any]

    @property
    def id(self) -> str:
        return self.data["id"]

    @property
    def kind(self) -> str:
        return self.data["kind"]

    @property
    def contested(self) -> bool:
        return bool(self.data.get("contested"))


@dataclass(frozen=True)
class Verdict:
    """Whether the engine agrees with the published answer, and if not, what differed."""

    agrees: bool
    problems: tuple[str, ...] = ()


def load_cases(folder: Path = HERE / "cases") -> list[Case]:
    """Every case of every family file, in file then case order."""
    cases = []
    for path in sorted(folder.glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        cases.extend(Case(document["family"], item) for item in document["cases"])
    return cases


def load_sources(path: Path = HERE / "sources.json") -> dict[str, dict[str, str]]:
    """The sources the cases cite, by id."""
    return json.loads(path.read_text(encoding="utf-8"))


def load_known_misses(path: Path = HERE / "known_misses.json") -> dict[str, str]:
    """Case id -> why the engine still misses it."""
    return {item["id"]: item["why"] for item in json.loads(path.read_text(encoding="utf-8"))["misses"]}


def _source_ids(finding: Finding) -> set[str]:
    return {source.iri.rsplit("/", 1)[-1] for source in finding.sources}


def _check_findings(findings: list[Finding], expect: dict[str, Any]) -> list[str]:
    problems = []
    for wanted in expect.get("findings", []):
        matches = [
            f for f in findings
            if _rule_matches(wanted["rule"], f.rule)
            and ("severity" not in wanted or _RANK[f.severity] >= _RANK[Severity(wanted["severity"])])
            and ("line" not in wanted or f.line == wanted["line"])
            and set(wanted.get("cites", ())) <= _source_ids(f)
            and _mentions(f, wanted)
        ]
        if not matches:
            problems.append(f"no finding {wanted}")
    for rule in expect.get("absent", []):
        if any(f.rule == rule for f in findings):
            problems.append(f"unexpected finding {rule}")
    return problems


def _evaluate_encounter(kg: KnowledgeGraph, case: Case) -> list[str]:
    coding = code_encounter(kg, encounter_from_dict(case.data["input"]))
    got: Counter[str] = Counter()
    for line in coding.lines:
        got[line.code] += line.units
    expect = case.data["expect"]
    problems = []
    if "lines" in expect:
        wanted = Counter({code: units for code, units in expect["lines"]})
        if got != wanted:
            problems.append(f"lines {dict(sorted(got.items()))} != published {dict(sorted(wanted.items()))}")
    for code, units, *modifiers in expect.get("linesInclude", []):
        if got.get(code) != units:
            problems.append(f"{code} x{got.get(code, 0)} != published {code} x{units}")
        wanted = set(modifiers[0]) if modifiers else set()
        if wanted and not any(line.code == code and wanted & set(line.modifiers) for line in coding.lines):
            problems.append(f"no {code} line with one of the modifiers {sorted(wanted)}")
    return problems + _check_findings(coding.findings, expect)


def _evaluate_claim(kg: KnowledgeGraph, case: Case) -> list[str]:
    result = check_claim(kg, claim_from_dict(case.data["input"]))
    expect = case.data["expect"]
    problems = []
    if "valid" in expect and result.valid != expect["valid"]:
        problems.append(f"valid={result.valid}, published {expect['valid']}")
    errors = [f for f in result.findings if f.severity is Severity.ERROR]
    wanted_lines = {e["line"]: e for e in expect.get("errors", [])}
    got_lines = {f.line for f in errors}
    if "errors" in expect and got_lines != set(wanted_lines):
        got = sorted((f.line or 0, f.rule) for f in errors)
        problems.append(f"ERROR lines {got} != published lines {sorted(wanted_lines)}")
    for line, wanted in wanted_lines.items():
        if not any(f.line == line and _rule_matches(wanted["rule"], f.rule) and _mentions(f, wanted) for f in errors):
            problems.append(f"line {line}: no ERROR {wanted}")
    return problems + _check_findings(list(result.findings), expect)


def evaluate(kg: KnowledgeGraph, case: Case) -> Verdict:
    """Run one case through the engine and compare with the published answer.

    Args:
        kg: The graph to check against.
        case: The published case.

    Returns:
        The verdict; input the engine rejects (for example a field it does not know yet) is a
        disagreement, reported with the engine's message.
    """
    try:
        problems = _evaluate_encounter(kg, case) if case.kind == "encounter" else _evaluate_claim(kg, case)
    except (ClaimInputError, EncounterInputError) as err:
        problems = [f"input rejected: {err}"]
    return Verdict(agrees=not problems, problems=tuple(problems))
