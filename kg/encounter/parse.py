"""Build an :class:`Encounter` from the JSON shape of the GraphQL ``EncounterInput`` (camelCase).

>>> e = encounter_from_dict({"perspective": "FACILITY", "date": "2026-01-05", "administrations": [
...     {"id": "a", "substance": "carboplatin", "category": "CHEMOTHERAPY", "route": "IV_INFUSION",
...      "start": "09:00", "stop": "09:45", "primaryReason": True}]})
>>> e.date.isoformat(), e.administrations[0].primary_reason
('2026-01-05', True)
>>> encounter_from_dict({"perspective": "FACILITY", "administrations": [{"id": "a"}]})
Traceback (most recent call last):
...
kg.encounter.model.EncounterInputError: administrations[0]: missing substance, route, start, stop
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from kg.encounter.model import Administration, Encounter, EncounterInputError

__all__ = ["encounter_from_dict"]

_ENCOUNTER_KEYS = {"perspective", "date", "administrations"}
_REQUIRED = ("id", "substance", "route", "start", "stop")
_OPTIONAL = {"site": "site", "primaryReason": "primary_reason", "discontinued": "discontinued", "category": "category",
             "hcpcs": "hcpcs", "pump": "pump", "refill": "refill"}


def _check_keys(data: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise EncounterInputError(f"{where}: unknown field(s) {', '.join(map(str, unknown))} "
                                  f"(expected {', '.join(sorted(allowed))})")


def _administration(data: Any, where: str) -> Administration:
    if not isinstance(data, Mapping):
        raise EncounterInputError(f"{where}: must be an object")
    _check_keys(data, {*_REQUIRED, *_OPTIONAL}, where)
    missing = [k for k in _REQUIRED if k not in data]
    if missing:
        raise EncounterInputError(f"{where}: missing {', '.join(missing)}")
    for key in ("id", "substance", "route"):
        if not isinstance(data[key], str):
            raise EncounterInputError(f"{where}.{key}: must be a string")
    for key in ("category", "hcpcs", "pump"):
        if data.get(key) is not None and not isinstance(data[key], str):
            raise EncounterInputError(f"{where}.{key}: must be a string or null")
    # start/stop may be null or blank: that is a record-level problem the coder reports.
    for key in ("start", "stop", "site"):
        if data.get(key) is not None and not isinstance(data[key], str):
            raise EncounterInputError(f"{where}.{key}: must be a string or null")
    flags = {}
    for key in ("primaryReason", "discontinued", "refill"):
        value = data.get(key, False)
        if value is None:
            value = False
        if not isinstance(value, bool):
            raise EncounterInputError(f"{where}.{key}: must be true or false")
        flags[_OPTIONAL[key]] = value
    try:
        return Administration(id=data["id"], substance=data["substance"], category=data.get("category"),
                              route=data["route"], start=data.get("start"), stop=data.get("stop"),
                              site=data.get("site"), hcpcs=data.get("hcpcs"), pump=data.get("pump"), **flags)
    except EncounterInputError as err:
        raise EncounterInputError(f"{where}: {err}") from None


def encounter_from_dict(data: Any) -> Encounter:
    """Validate and convert a JSON object shaped like the GraphQL ``EncounterInput``.

    Args:
        data: ``{"perspective", "date"?, "administrations": [{"id", "substance", "category"?,
            "hcpcs"?, "route", "start", "stop", "site"?, "primaryReason"?, "discontinued"?,
            "pump"?, "refill"?}]}``;
            each administration needs a category or a drug code (``hcpcs``).

    Returns:
        The encounter.

    Raises:
        EncounterInputError: a missing or unknown field, a wrong type, an unknown enum value,
            a malformed date or a repeated id; the message says where.
    """
    if not isinstance(data, Mapping):
        raise EncounterInputError("encounter: must be a JSON object")
    _check_keys(data, _ENCOUNTER_KEYS, "encounter")
    if "perspective" not in data:
        raise EncounterInputError("encounter: missing perspective")
    day = data.get("date")
    if day is not None:
        if not isinstance(day, str):
            raise EncounterInputError("date: must be a string yyyy-mm-dd")
        try:
            day = date.fromisoformat(day)
        except ValueError:
            raise EncounterInputError(f"date: {str(day)[:40]!r} is not a date (yyyy-mm-dd)") from None
    administrations = data.get("administrations", [])
    if not isinstance(administrations, list):
        raise EncounterInputError("administrations: must be a list")
    built = [_administration(item, f"administrations[{n}]") for n, item in enumerate(administrations)]
    return Encounter(perspective=data["perspective"], date=day, administrations=tuple(built))
