"""Claim input and check output: plain dataclasses shared by the library, the CLI and the API.

The input mirrors the GraphQL ``ClaimInput`` (camelCase in JSON, snake_case here). Shape errors
(an unknown claim type, a malformed date, no lines) raise :class:`ClaimInputError`; what the
claim *says* (an unknown code, zero units) is left to the checks, which report findings.

>>> claim = claim_from_dict({"claimType": "PROFESSIONAL", "lines": [{"code": "96365"}]})
>>> claim.payer, claim.lines[0].units, claim.lines[0].modifiers
('medicare', 1, ())
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from kg.enums import ClaimType
from kg.model import Finding, Severity

__all__ = [
    "Claim",
    "ClaimCheck",
    "ClaimInputError",
    "ClaimLine",
    "ClaimType",
    "claim_from_dict",
    "claims_from_json_value",
]


class ClaimInputError(ValueError):
    """The claim input is malformed; the message names the field (``lines[2].units``)."""


#: Claim types by their exact value: a batch names one per claim, and the enum's own lookup
#: (tried next, after trimming and upper-casing) costs several times a dict's.
_CLAIM_TYPES: dict[Any, ClaimType] = {t.value: t for t in ClaimType}


def _claim_type(value: Any, where: str = "claimType") -> ClaimType:
    if isinstance(value, ClaimType):
        return value
    found = _CLAIM_TYPES.get(value) if isinstance(value, str) else None
    if found is not None:
        return found
    try:
        return ClaimType(str(value).strip().upper())
    except ValueError:
        allowed = ", ".join(t.value for t in ClaimType)
        raise ClaimInputError(f"{where}: unknown claim type {value!r}; expected one of {allowed}") from None


_new = object.__new__
_set = object.__setattr__


def _clean_line(code: Any, units: Any, modifiers: Any) -> tuple[str, tuple[str, ...]]:
    """A line's code and modifiers trimmed and upper-cased, once each field is checked.

    Raises:
        ClaimInputError: the field named first in the message is malformed.
    """
    if not isinstance(code, str) or not (code := code.strip()):
        raise ClaimInputError("code: a line needs a non-empty code string")
    if isinstance(units, bool) or not isinstance(units, int):
        raise ClaimInputError(f"units: expected an integer, got {units!r}")
    if type(modifiers) is not tuple:
        if isinstance(modifiers, str):
            raise ClaimInputError("modifiers: expected a list of modifier codes, got a single string")
        modifiers = tuple(modifiers)
    if modifiers:  # most lines carry none: skip the per-modifier work
        for modifier in modifiers:
            if not isinstance(modifier, str) or not modifier.strip():
                raise ClaimInputError(f"modifiers: each modifier must be a non-empty string, got {modifier!r}")
        modifiers = tuple(m.strip().upper() for m in modifiers)
    return code.upper(), modifiers


@dataclass(frozen=True, slots=True)
class ClaimLine:
    """One service line: a code, its units and its modifiers (codes are trimmed and upper-cased).

    >>> ClaimLine(" 96368", modifiers=["xu"])
    ClaimLine(code='96368', units=1, modifiers=('XU',))
    """

    code: str
    units: int = 1
    modifiers: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        code, modifiers = _clean_line(self.code, self.units, self.modifiers)
        _set(self, "code", code)
        _set(self, "modifiers", modifiers)

    @classmethod
    def of(cls, code: Any, units: Any = 1, modifiers: Any = ()) -> ClaimLine:
        """The line ``ClaimLine(code, units, modifiers)`` builds, checked the same way, without the
        dataclass's generated ``__init__``: a batch builds ten lines per claim, and this takes
        about a third less time.

        >>> ClaimLine.of(" 96368", 1, ["xu"]) == ClaimLine("96368", 1, ("XU",))
        True
        """
        code, modifiers = _clean_line(code, units, modifiers)
        line = _new(cls)
        _set(line, "code", code)
        _set(line, "units", units)
        _set(line, "modifiers", modifiers)
        return line


@dataclass(frozen=True, slots=True)
class Claim:
    """A claim to check before submission.

    Args:
        claim_type: a :class:`kg.enums.ClaimType` value (``PROFESSIONAL``, ``DME_SUPPLIER``, ...).
        lines: one or more :class:`ClaimLine`.
        payer: payer id (``medicare``, ``medicaid``, ``commercial`` or one a payer file adds).
        place_of_service: two-character place of service code (``11`` office), if known.
        date_of_service: drives every dated lookup; ``None`` means today.

    Raises:
        ClaimInputError: unknown claim type, no lines, or a wrongly typed field.

    >>> Claim("professional", [ClaimLine("96365")]).claim_type
    <ClaimType.PROFESSIONAL: 'PROFESSIONAL'>
    """

    claim_type: ClaimType
    lines: tuple[ClaimLine, ...]
    payer: str = "medicare"
    place_of_service: str | None = None
    date_of_service: date | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "claim_type", _claim_type(self.claim_type))
        if isinstance(self.lines, ClaimLine) or not isinstance(self.lines, Iterable):
            raise ClaimInputError("lines: expected a list of claim lines")
        lines = tuple(self.lines)
        if not lines:
            raise ClaimInputError("lines: a claim needs at least one line")
        if not all(isinstance(line, ClaimLine) for line in lines):
            raise ClaimInputError("lines: every line must be a ClaimLine")
        object.__setattr__(self, "lines", lines)
        if not isinstance(self.payer, str) or not self.payer.strip():
            raise ClaimInputError("payer: expected a non-empty payer id")
        object.__setattr__(self, "payer", self.payer.strip().lower())
        if self.place_of_service is not None:
            if not isinstance(self.place_of_service, str) or not self.place_of_service.strip():
                raise ClaimInputError("placeOfService: expected a place of service code such as '11'")
            object.__setattr__(self, "place_of_service", self.place_of_service.strip().upper())
        if self.date_of_service is not None and not isinstance(self.date_of_service, date):
            raise ClaimInputError("dateOfService: expected a date")


@dataclass(frozen=True, slots=True)
class ClaimCheck:
    """The result: ``valid`` is true when no finding is an ``ERROR``."""

    valid: bool
    findings: tuple[Finding, ...] = field(default_factory=tuple)

    @classmethod
    def of(cls, findings: Sequence[Finding]) -> ClaimCheck:
        """A check result from its findings.

        >>> ClaimCheck.of([]).valid
        True
        """
        return cls(valid=not any(f.severity is Severity.ERROR for f in findings), findings=tuple(findings))


_CLAIM_KEYS = {"payer", "claimType", "placeOfService", "dateOfService", "lines"}
_LINE_KEYS = {"code", "units", "modifiers"}


def _check_keys(data: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ClaimInputError(f"{where}: unknown field(s) {', '.join(map(repr, unknown))}; "
                              f"expected {', '.join(sorted(allowed))}")


def _date(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise ClaimInputError(f"dateOfService: expected an ISO date 'YYYY-MM-DD', got {value!r}")
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ClaimInputError(f"dateOfService: {value!r} is not a date in the form YYYY-MM-DD") from None


def _line_from_dict(data: Any, index: int) -> ClaimLine:
    if type(data) is not dict and not isinstance(data, Mapping):  # a JSON object skips the ABC check
        raise ClaimInputError(f"lines[{index}]: expected an object with code, units and modifiers")
    if not _LINE_KEYS.issuperset(data):
        _check_keys(data, _LINE_KEYS, f"lines[{index}]")
    if "code" not in data:
        raise ClaimInputError(f"lines[{index}].code: missing")
    modifiers = data.get("modifiers")
    if modifiers is None:
        modifiers = ()
    elif not isinstance(modifiers, list):
        raise ClaimInputError(f"lines[{index}].modifiers: expected a list of modifier codes")
    try:
        return ClaimLine.of(data["code"], data.get("units", 1), modifiers)
    except ClaimInputError as err:
        raise ClaimInputError(f"lines[{index}].{err}") from None


def claim_from_dict(data: Any) -> Claim:
    """A :class:`Claim` from a JSON object shaped like the GraphQL ``ClaimInput``.

    Args:
        data: ``{"payer", "claimType", "placeOfService", "dateOfService", "lines": [{"code",
            "units", "modifiers"}]}``; ``payer`` defaults to ``medicare``, ``units`` to 1.

    Returns:
        The claim.

    Raises:
        ClaimInputError: the object is malformed; the message names the field.

    >>> claim_from_dict({"claimType": "PROFESSIONAL", "dateOfService": "2026-13-01", "lines": []})
    Traceback (most recent call last):
    ...
    kg.claims.model.ClaimInputError: dateOfService: '2026-13-01' is not a date in the form YYYY-MM-DD
    """
    if type(data) is not dict and not isinstance(data, Mapping):
        raise ClaimInputError("claim: expected a JSON object")
    if not _CLAIM_KEYS.issuperset(data):
        _check_keys(data, _CLAIM_KEYS, "claim")
    if "claimType" not in data:
        raise ClaimInputError(f"claimType: missing; expected one of {', '.join(t.value for t in ClaimType)}")
    claim_type = _claim_type(data["claimType"])
    when = _date(data.get("dateOfService"))
    if "lines" not in data:
        raise ClaimInputError("lines: missing; a claim needs at least one line")
    raw_lines = data["lines"]
    if not isinstance(raw_lines, list):
        raise ClaimInputError("lines: expected a list of claim lines")
    lines = tuple(_line_from_dict(line, i) for i, line in enumerate(raw_lines))
    pos: Any = data.get("placeOfService")
    if isinstance(pos, int) and not isinstance(pos, bool):
        pos = f"{pos:02d}"  # a JSON number such as 11 or 2: places of service are two-digit codes
    payer = data.get("payer")
    return Claim(claim_type=claim_type, lines=lines, payer="medicare" if payer is None else payer,
                 place_of_service=pos, date_of_service=when)


def claims_from_json_value(value: Any) -> tuple[list[Claim], bool]:
    """Claims from a parsed JSON document: one claim object or a list of them.

    Returns:
        The claims and whether the document was a list.

    Raises:
        ClaimInputError: a claim is malformed; the message names its index in a list.

    >>> claims, many = claims_from_json_value([{"claimType": "PROFESSIONAL", "lines": [{"code": "96365"}]}])
    >>> len(claims), many
    (1, True)
    """
    if isinstance(value, list):
        claims = []
        for index, item in enumerate(value):
            try:
                claims.append(claim_from_dict(item))
            except ClaimInputError as err:
                raise ClaimInputError(f"claims[{index}].{err}") from None
        return claims, True
    return [claim_from_dict(value)], False
