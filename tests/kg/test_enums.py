"""One source per closed vocabulary: the ontology, the engine's enums and the GraphQL enums agree."""

from __future__ import annotations

from collections.abc import Mapping

import graphql
import pytest

import kg.enums
from kg.claims.model import ClaimInputError, claim_from_dict
from kg.encounter import model as encounter_model
from kg.enum_source import ENUMS_FILE, VOCABULARIES, ontology_values, render
from server.schema import schema_sdl

Views = Mapping[str, Mapping[str, list[str]]]


def _engine() -> dict[str, list[str]]:
    return {v.name: [m.value for m in getattr(kg.enums, v.name)] for v in VOCABULARIES}


def _schema() -> dict[str, list[str]]:
    schema = graphql.build_schema(schema_sdl())
    return {name: list(t.values) for name, t in schema.type_map.items()
            if isinstance(t, graphql.GraphQLEnumType) and not name.startswith("__")}


def disagreements(views: Views) -> list[str]:
    """Every vocabulary whose values differ between the views that list it (the ontology must list all)."""
    ontology = views["ontology"]
    found = []
    for name, values in ontology.items():
        for view, vocabularies in views.items():
            if name in vocabularies and list(vocabularies[name]) != list(values):
                found.append(f"{name}: {view} has {vocabularies[name]}, the ontology {values}")
    found += [f"{name}: {view} lists a vocabulary the ontology does not" for view, vocabularies in views.items()
              if view == "engine" for name in vocabularies if name not in ontology]
    return found


@pytest.fixture(scope="module")
def views() -> dict[str, dict[str, list[str]]]:
    return {"ontology": ontology_values(), "engine": _engine(), "schema": _schema()}


def test_the_generated_module_is_what_the_ontology_says() -> None:
    assert ENUMS_FILE.read_text(encoding="utf-8") == render(), "kg/enums.py is stale: run `python -m kg.enum_source`"


def test_ontology_engine_and_schema_agree(views: dict[str, dict[str, list[str]]]) -> None:
    assert disagreements(views) == []
    # Every API-facing vocabulary is in the schema (confidence and applicability are strings there).
    assert set(views["ontology"]) - set(views["schema"]) == {"ConfidenceLevel", "Applicability"}
    assert views["ontology"]["ClaimType"] == ["PROFESSIONAL", "FACILITY_OUTPATIENT", "FACILITY_INPATIENT", "DME_SUPPLIER"]


@pytest.mark.parametrize(("view", "name", "values"), [
    ("schema", "ClaimType", ["PROFESSIONAL", "FACILITY_OUTPATIENT", "FACILITY_INPATIENT"]),  # the old hand-kept list
    ("engine", "Severity", ["ERROR", "WARNING", "INFO", "FATAL"]),
    ("engine", "Route", ["IV_PUSH", "IV_INFUSION", "SUBCUTANEOUS_INFUSION", "INJECTION", "INTRA_ARTERIAL"]),
    ("engine", "Mood", ["HAPPY"]),
])
def test_a_deliberate_mismatch_is_caught(views: dict[str, dict[str, list[str]]], view: str, name: str,
                                         values: list[str]) -> None:
    broken = {k: dict(v) for k, v in views.items()}
    broken[view][name] = values
    (problem,) = disagreements(broken)
    assert problem.startswith(f"{name}: {view} ")


def test_the_engine_reads_every_claim_type_the_schema_offers(views: dict[str, dict[str, list[str]]]) -> None:
    for value in views["schema"]["ClaimType"]:
        assert claim_from_dict({"claimType": value, "lines": [{"code": "96365"}]}).claim_type == value
    with pytest.raises(ClaimInputError, match="DME_SUPPLIER"):
        claim_from_dict({"claimType": "DME", "lines": []})


def test_the_engine_modules_use_the_generated_enums() -> None:
    assert encounter_model.Route is kg.enums.Route and encounter_model.Perspective is kg.enums.Perspective
