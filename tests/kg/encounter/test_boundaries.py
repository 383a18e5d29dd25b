"""Minute boundaries: push/infusion 15/16, hydration 30/31, additional hours 90/91, 150/151, 210/211."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from kg.encounter import Administration as adm


def clock(minutes_after_nine: int) -> str:
    return (datetime(2026, 1, 5, 9, 0) + timedelta(minutes=minutes_after_nine)).strftime("%H:%M")


def one(code, category: str, minutes: int, route: str = "IV_INFUSION", perspective: str = "FACILITY"):
    return code(perspective, adm("a", "drug", category, route, "09:00", clock(minutes))).codes()


@pytest.mark.parametrize(("minutes", "expected"), [
    (0, [("96374", 1)]), (15, [("96374", 1)]), (16, [("96365", 1)]),
])
def test_therapeutic_push_or_infusion(code, minutes, expected):
    assert one(code, "THERAPEUTIC", minutes) == expected


@pytest.mark.parametrize(("minutes", "expected"), [(15, [("96409", 1)]), (16, [("96413", 1)])])
def test_chemotherapy_push_or_infusion(code, minutes, expected):
    assert one(code, "CHEMOTHERAPY", minutes) == expected


def test_a_long_push_with_the_clinician_present_stays_a_push(code):
    assert one(code, "THERAPEUTIC", 20, route="IV_PUSH") == [("96374", 1)]


@pytest.mark.parametrize(("minutes", "expected"), [
    (30, []), (31, [("96360", 1)]), (90, [("96360", 1)]), (91, [("96360", 1), ("96361", 1)]),
    (150, [("96360", 1), ("96361", 1)]), (151, [("96360", 1), ("96361", 2)]),
    (210, [("96360", 1), ("96361", 2)]), (211, [("96360", 1), ("96361", 3)]),
])
def test_hydration_alone(code, minutes, expected):
    assert one(code, "HYDRATION", minutes) == expected


def test_short_hydration_is_a_finding(code):
    coding = code("FACILITY", adm("a", "saline", "HYDRATION", "IV_INFUSION", "09:00", "09:30"))
    assert coding.lines == []
    [finding] = coding.findings
    assert finding.rule == "HYDRATION_TOO_SHORT" and "30 min" in finding.message


@pytest.mark.parametrize(("minutes", "hours"), [(90, 0), (91, 1), (150, 1), (151, 2), (210, 2), (211, 3)])
@pytest.mark.parametrize(("category", "first", "extra"), [
    ("THERAPEUTIC", "96365", "96366"), ("CHEMOTHERAPY", "96413", "96415"),
])
def test_additional_hours(code, category, first, extra, minutes, hours):
    expected = [(first, 1)] + ([(extra, hours)] if hours else [])
    assert one(code, category, minutes) == expected


@pytest.mark.parametrize(("minutes", "hours"), [(90, 0), (91, 1), (151, 2)])
def test_subcutaneous_infusion_hours(code, minutes, hours):
    expected = [("96369", 1)] + ([("96370", hours)] if hours else [])
    assert one(code, "THERAPEUTIC", minutes, route="SUBCUTANEOUS_INFUSION") == expected


@pytest.mark.parametrize(("minutes", "hours"), [(90, 0), (91, 1), (151, 2)])
def test_sequential_infusion_has_its_own_extra_hours(code, minutes, hours):
    coding = code("FACILITY",
                  adm("a", "first drug", "THERAPEUTIC", "IV_INFUSION", "08:00", "08:40"),
                  adm("b", "second drug", "THERAPEUTIC", "IV_INFUSION", "09:00", clock(minutes)))
    expected = [("96365", 1), ("96367", 1)] + ([("96366", hours)] if hours else [])
    assert coding.codes() == expected
    assert coding.lines[-1].administrations == ("b",)


@pytest.mark.parametrize(("minutes", "units"), [(30, 0), (31, 1), (90, 1), (91, 2), (150, 2), (151, 3), (180, 3)])
def test_secondary_hydration_counts_from_its_first_hour(code, minutes, units):
    coding = code("FACILITY",
                  adm("drug", "ceftriaxone", "THERAPEUTIC", "IV_INFUSION", "08:00", "09:00"),
                  adm("ns", "normal saline", "HYDRATION", "IV_INFUSION", "09:00", clock(minutes)))
    expected = [("96365", 1)] + ([("96361", units)] if units else [])
    assert coding.codes() == expected


@pytest.mark.parametrize(("gap", "expected"), [(30, [("96374", 1)]), (31, [("96374", 1), ("96376", 1)])])
def test_repeat_push_needs_more_than_thirty_minutes(code, gap, expected):
    coding = code("FACILITY",
                  adm("p1", "ondansetron", "THERAPEUTIC", "IV_PUSH", "09:00", "09:00"),
                  adm("p2", "Ondansetron ", "THERAPEUTIC", "IV_PUSH", clock(gap), clock(gap)))
    assert coding.codes() == expected
    if gap == 30:
        assert "REPEAT_PUSH_TOO_SOON" in coding.rules()


def test_seconds_are_not_rounded_up(code):
    # 15 min 59 s is 15 whole minutes: still a push.
    coding = code("FACILITY", adm("a", "drug", "THERAPEUTIC", "IV_INFUSION", "2026-01-05T09:00:00", "2026-01-05T09:15:59"))
    assert coding.codes() == [("96374", 1)]
