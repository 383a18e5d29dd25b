"""Clock arithmetic for infusion records: parsing times, intervals, elapsed minutes, time units.

Written by hand because none of the project's libraries does interval arithmetic on
``datetime`` values; the operations are small (union, subtraction, overlap) and exact.
Elapsed time is counted in whole minutes (a minute counts once it has fully passed), which
is how the thresholds in ``encounter-rules.ttl`` are written.

>>> from datetime import datetime as dt
>>> a = [(dt(2026, 1, 5, 9, 0), dt(2026, 1, 5, 10, 0))]
>>> b = [(dt(2026, 1, 5, 9, 20), dt(2026, 1, 5, 9, 40))]
>>> total_minutes(subtract(a, b))
40
>>> count_units(151, unit=60, margin=30, count_from=1)
2
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

__all__ = [
    "Interval",
    "TimeFormatError",
    "TimePoint",
    "count_units",
    "intervals_overlap",
    "parse_time",
    "subtract",
    "total_minutes",
    "union",
    "whole_minutes",
]

Interval = tuple[datetime, datetime]

_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
# A date-time needs both parts: a bare date says nothing about when the drug ran.
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


class TimeFormatError(ValueError):
    """A time that is neither ``HH:MM`` nor an ISO date-time."""


@dataclass(frozen=True, slots=True)
class TimePoint:
    """A parsed time; ``clock_only`` when the record gave a clock time without a date."""

    at: datetime
    clock_only: bool


def parse_time(text: str, day: date) -> TimePoint:
    """Parse ``"HH:MM"`` (placed on ``day``) or an ISO date-time.

    Time-zone aware date-times are converted to UTC so that all times of a record compare.

    Args:
        text: the time as recorded.
        day: the date a clock time belongs to.

    Returns:
        The time and whether it was a bare clock time.

    Raises:
        TimeFormatError: anything else, including ``"25:99"`` and a bare date.

    >>> parse_time("09:05", date(2026, 1, 5))
    TimePoint(at=datetime.datetime(2026, 1, 5, 9, 5), clock_only=True)
    >>> parse_time("2026-01-05T23:30", date(2026, 1, 1)).at.day
    5
    >>> parse_time("25:99", date(2026, 1, 5))
    Traceback (most recent call last):
    ...
    kg.encounter.timing.TimeFormatError: '25:99' is not a valid time (HH:MM or ISO date-time)
    """
    stripped = text.strip()
    bad = TimeFormatError(f"{text[:40]!r} is not a valid time (HH:MM or ISO date-time)")
    match = _CLOCK.match(stripped)
    if match:
        hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
        if hour > 23 or minute > 59 or second > 59:
            raise bad
        return TimePoint(datetime.combine(day, time(hour, minute, second)), True)
    if not _DATE_TIME.match(stripped):
        raise bad
    try:
        parsed = datetime.fromisoformat(stripped)
    except ValueError:
        raise bad from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return TimePoint(parsed, False)


def whole_minutes(start: datetime, stop: datetime) -> int:
    """Whole minutes elapsed from ``start`` to ``stop`` (negative when reversed).

    >>> whole_minutes(datetime(2026, 1, 5, 9, 0), datetime(2026, 1, 5, 9, 15, 59))
    15
    """
    return int((stop - start) // timedelta(minutes=1))


def union(intervals: Iterable[Interval]) -> list[Interval]:
    """Merge intervals that overlap or touch; the result is sorted and disjoint."""
    merged: list[Interval] = []
    for start, stop in sorted(intervals):
        if merged and start <= merged[-1][1]:
            if stop > merged[-1][1]:
                merged[-1] = (merged[-1][0], stop)
        else:
            merged.append((start, stop))
    return merged


def subtract(intervals: Iterable[Interval], cuts: Iterable[Interval]) -> list[Interval]:
    """The parts of ``intervals`` not covered by any of ``cuts``."""
    remaining = union(intervals)
    for cut_start, cut_stop in union(cuts):
        kept: list[Interval] = []
        for start, stop in remaining:
            if cut_stop <= start or cut_start >= stop:
                kept.append((start, stop))
                continue
            if start < cut_start:
                kept.append((start, cut_start))
            if cut_stop < stop:
                kept.append((cut_stop, stop))
        remaining = kept
    return remaining


def total_minutes(intervals: Iterable[Interval]) -> int:
    """Whole minutes covered by the union of ``intervals``."""
    covered = sum((stop - start for start, stop in union(intervals)), timedelta())
    return int(covered // timedelta(minutes=1))


def intervals_overlap(a: Iterable[Interval], b: Iterable[Interval]) -> bool:
    """Whether any interval of ``a`` shares time with one of ``b`` (touching ends do not count).

    >>> nine, ten, eleven = (datetime(2026, 1, 5, h) for h in (9, 10, 11))
    >>> intervals_overlap([(nine, ten)], [(ten, eleven)])
    False
    """
    b_list = list(b)
    return any(s1 < e2 and s2 < e1 for s1, e1 in a for s2, e2 in b_list)


def count_units(minutes: int, unit: int, margin: int, count_from: int) -> int:
    """Time units to report: every unit boundary ``k`` (``k >= count_from``) passed by more than ``margin``.

    With ``unit=60, margin=30``: counting from the second hour (``count_from=1``) 91-150
    minutes is one unit and 151-210 two; counting from the first hour (``count_from=0``)
    31-90 minutes is one unit and a 3-hour service three.

    >>> [count_units(m, 60, 30, 1) for m in (90, 91, 150, 151, 210, 211)]
    [0, 1, 1, 2, 2, 3]
    >>> [count_units(m, 60, 30, 0) for m in (30, 31, 180)]
    [0, 1, 3]
    """
    if minutes <= count_from * unit + margin:
        return 0
    return (minutes - margin - 1) // unit - count_from + 1
