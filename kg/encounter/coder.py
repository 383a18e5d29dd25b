"""Infusion record -> drug-administration codes, each line explained.

The algorithm; the rules it applies are data (:class:`~kg.encounter.rules.EncounterRules`)
and each step is a module of its own:

1. Timing (:mod:`~kg.encounter.classify`): time every administration; a record-level problem
   becomes a finding and the administration is skipped.
2. Classification (:mod:`~kg.encounter.classify`, :mod:`~kg.encounter.drugs`): the category
   (given, or the drug's from the graph), the delivery mode and the administration kind.
3. Services (:mod:`~kg.encounter.services`): what each code will describe, per access.
4. Initial selection (:mod:`~kg.encounter.initial`): the order of the accesses and each
   access's initial service.
5. Add-ons (:mod:`~kg.encounter.addons`): the rest of each access in clock order.
6. Units (:mod:`~kg.encounter.limits`): one line per code and modifiers; no line above the
   MUE of the perspective's claim type; without an MUE, implausible units are a finding.
7. Distinct services (:mod:`~kg.encounter.edits`): two lines from different administrations
   that a bypassable PTP edit pairs carry the distinct-service modifier.
8. Findings on the lines (:mod:`~kg.encounter.lines`): modifiers to justify, documentation.

>>> from kg.graph import KnowledgeGraph
>>> from kg.encounter.model import Administration
>>> record = Encounter("FACILITY", None, [
...     Administration("a", "carboplatin", "CHEMOTHERAPY", "IV_INFUSION", "09:00", "09:45"),
...     Administration("b", "ondansetron", "THERAPEUTIC", "IV_INFUSION", "09:00", "09:30")])
>>> coding = code_encounter(KnowledgeGraph.default(), record)
>>> coding.codes()
[('96413', 1), ('96368', 1)]
>>> coding.lines[1].rationale
'ondansetron ran 09:00-09:30 while carboplatin was running: concurrent, reported once per encounter'
"""

from __future__ import annotations

from kg.encounter.addons import Ledger, drop_orphans
from kg.encounter.classify import check_push_overlaps, time_and_classify
from kg.encounter.context import CodingContext
from kg.encounter.edits import mark_distinct_services
from kg.encounter.initial import check_flags, code_accesses
from kg.encounter.limits import cap_to_mue, implausible_units
from kg.encounter.lines import finish_lines
from kg.encounter.model import Encounter, EncounterCoding
from kg.encounter.services import build_services
from kg.graph import KnowledgeGraph

__all__ = ["code_encounter"]


def code_encounter(kg: KnowledgeGraph, encounter: Encounter) -> EncounterCoding:
    """Code an infusion record: the lines to report and findings for everything else.

    Never raises on record-level problems (bad or missing times, combinations the graph
    has no rule for): those are findings. The encounter itself is validated when built
    (see :class:`~kg.encounter.model.Encounter`).

    Args:
        kg: the knowledge graph whose encounter rules and codes apply.
        encounter: the infusion record.

    Returns:
        The coded lines, in reporting order (the initial service first), and the findings.

    Raises:
        EncounterRulesError: the graph lacks a finding rule the coder needs (a data error).

    >>> from kg.graph import KnowledgeGraph
    >>> from kg.encounter.model import Administration
    >>> short = Encounter("FACILITY", None, [
    ...     Administration("s", "normal saline", "HYDRATION", "IV_INFUSION", "07:00", "07:20"),
    ...     Administration("m", "morphine", "THERAPEUTIC", "IV_PUSH", "07:15", "07:15")])
    >>> result = code_encounter(KnowledgeGraph.default(), short)
    >>> result.codes(), result.rules()
    ([('96374', 1)], ['HYDRATION_TOO_SHORT'])
    """
    ctx = CodingContext.of(kg, encounter)
    if not encounter.administrations:
        ctx.find("EMPTY_RECORD", "")
        return EncounterCoding([], ctx.findings)
    items = time_and_classify(ctx)
    check_push_overlaps(ctx, items)
    services = build_services(ctx, items)
    ledger = Ledger()
    if services:
        code_accesses(ctx, ledger, services)
    else:
        check_flags(ctx, [])
    ledger.merge_same_codes()
    cuts = cap_to_mue(ctx, ledger)
    drop_orphans(ctx, ledger)  # a line the MUE removed may have been an add-on's only primary
    distinct = mark_distinct_services(ctx, ledger)
    lines = finish_lines(ctx, ledger, cuts, implausible_units(ctx, ledger))
    for index, detail, code, sources in distinct:
        ctx.find("DISTINCT_SERVICE", detail, codes=[code], line=index + 1, sources=sources)
    return EncounterCoding(lines, ctx.findings)
