"""Bad records: record-level problems are findings, structural problems clear errors; never a traceback."""

from __future__ import annotations

from datetime import date

import pytest

from kg.encounter import Administration as adm
from kg.encounter import Encounter, EncounterInputError, encounter_from_dict


def only_finding(coding):
    assert coding.lines == []
    [finding] = coding.findings
    assert finding.severity.value == "ERROR"
    return finding


def test_stop_before_start_with_dates(code):
    finding = only_finding(code("FACILITY", adm("a", "x", "THERAPEUTIC", "IV_INFUSION",
                                                "2026-01-05T10:00", "2026-01-05T09:00")))
    assert finding.rule == "STOP_BEFORE_START" and "'a'" in finding.message


def test_clock_times_across_midnight_are_ambiguous(code):
    finding = only_finding(code("FACILITY", adm("a", "x", "THERAPEUTIC", "IV_INFUSION", "23:30", "00:45")))
    assert finding.rule == "MIDNIGHT_WITHOUT_DATE"
    assert "midnight" in finding.message and "ISO" in finding.message


@pytest.mark.parametrize("bad", ["25:99", "24:00", "9h30", "", "  ", "2026-01-05", "2026-13-05T09:00", "12:60"])
def test_unparseable_or_blank_times(code, bad):
    finding = only_finding(code("FACILITY", adm("a", "x", "THERAPEUTIC", "IV_INFUSION", "09:00", bad)))
    assert finding.rule == ("TIME_MISSING" if not bad.strip() else "TIME_INVALID")


def test_missing_stop(code):
    finding = only_finding(code("FACILITY", adm("a", "x", "THERAPEUTIC", "IV_INFUSION", "09:00", None)))
    assert finding.rule == "TIME_MISSING" and "stop" in finding.message


def test_a_bad_line_does_not_stop_the_others(code):
    coding = code("FACILITY",
                  adm("bad", "x", "THERAPEUTIC", "IV_INFUSION", "25:99", "09:40"),
                  adm("good", "y", "THERAPEUTIC", "IV_INFUSION", "10:00", "10:40"))
    assert coding.codes() == [("96365", 1)]
    assert coding.rules() == ["TIME_INVALID"]


def test_empty_record(code):
    coding = code("FACILITY")
    assert coding.lines == [] and coding.rules() == ["EMPTY_RECORD"]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"category": "CHEMO"}, "category: 'CHEMO' is not one of"),
    ({"route": "ORAL"}, "route: 'ORAL' is not one of"),
    ({"id": " "}, "id: must be a non-blank string"),
    ({"substance": ""}, "substance must be a non-blank string"),
])
def test_structurally_bad_administration(kwargs, message):
    fields = {"id": "a", "substance": "x", "category": "THERAPEUTIC", "route": "IV_INFUSION",
              "start": "09:00", "stop": "09:30", **kwargs}
    with pytest.raises(EncounterInputError, match=message):
        adm(**fields)


def test_structurally_bad_encounter():
    with pytest.raises(EncounterInputError, match="perspective"):
        Encounter("NURSE", None, ())
    with pytest.raises(EncounterInputError, match="used twice"):
        Encounter("FACILITY", None, [adm("a", "x", "THERAPEUTIC", "IV_PUSH", "09:00", "09:01")] * 2)
    with pytest.raises(EncounterInputError, match="date"):
        Encounter("FACILITY", "2026-01-05", ())


def record(**admin):
    base = {"id": "a", "substance": "x", "category": "THERAPEUTIC", "route": "IV_INFUSION", "start": "09:00", "stop": "09:30"}
    return {"perspective": "FACILITY", "date": "2026-01-05", "administrations": [{**base, **admin}]}


@pytest.mark.parametrize(("data", "message"), [
    ([], "must be a JSON object"),
    ({"administrations": []}, "missing perspective"),
    ({"perspective": "FACILITY", "administrations": {}}, "must be a list"),
    ({"perspective": "FACILITY", "date": "05/01/2026", "administrations": []}, "not a date"),
    ({"perspective": "FACILITY", "extra": 1, "administrations": []}, "unknown field"),
    (record(category="CHEMO"), r"administrations\[0\]: category: 'CHEMO'"),
    (record(primary_reason=True), "unknown field"),
    (record(primaryReason="yes"), "primaryReason: must be true or false"),
    (record(start=900), "start: must be a string or null"),
    (record(id=7), "id: must be a string"),
])
def test_encounter_from_dict_rejects_bad_shapes(data, message):
    with pytest.raises(EncounterInputError, match=message):
        encounter_from_dict(data)


def test_encounter_from_dict_accepts_the_graphql_shape():
    encounter = encounter_from_dict(record(site="left arm", primaryReason=True, discontinued=None, stop=None))
    [only] = encounter.administrations
    assert encounter.date == date(2026, 1, 5)
    assert (only.site, only.primary_reason, only.discontinued, only.stop) == ("left arm", True, False, None)
