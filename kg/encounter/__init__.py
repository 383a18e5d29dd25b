"""The encounter coder: turn an infusion record into drug-administration codes, each explained.

Public API::

    from kg.encounter import Administration, Encounter, code_encounter, encounter_from_dict

    coding = code_encounter(kg, encounter_from_dict(json_object))
    coding.lines      # CodedLine(code, units, modifiers, administrations, rationale, rule, sources)
    coding.findings   # kg.model.Finding

Every threshold, rank, code and severity comes from ``ontology/data/encounter-rules.ttl``.

>>> from kg.graph import KnowledgeGraph
>>> e = Encounter("FACILITY", None, [Administration("a", "iron", "THERAPEUTIC", "IV_INFUSION", "10:00", "11:15")])
>>> code_encounter(KnowledgeGraph.default(), e).codes()
[('96365', 1)]
"""

from __future__ import annotations

from kg.encounter.coder import code_encounter
from kg.encounter.model import (
    Administration,
    CodedLine,
    Encounter,
    EncounterCoding,
    EncounterInputError,
    Perspective,
    Pump,
    Route,
    SubstanceCategory,
)
from kg.encounter.parse import encounter_from_dict
from kg.encounter.rules import EncounterRules, EncounterRulesError

__all__ = [
    "Administration",
    "CodedLine",
    "Encounter",
    "EncounterCoding",
    "EncounterInputError",
    "EncounterRules",
    "EncounterRulesError",
    "Perspective",
    "Pump",
    "Route",
    "SubstanceCategory",
    "code_encounter",
    "encounter_from_dict",
]
