"""Check a file of claims given as JSON Lines (one ``ClaimInput`` object per line).

The engine runs directly and each result is written with :func:`kg.claims.serialize.check_to_json`
(the API's ``checkClaim`` shape, :func:`kg.claims.serialize.check_to_dict` encoded), one JSON
object per line, in input order. Every line is read
and checked for shape and size first: a bad line is reported by its number and nothing is
written, as the API refuses a whole request.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import chain
from typing import IO, Any

import orjson

from kg.claims.engine import check_claim
from kg.claims.model import Claim, ClaimInputError, claim_from_dict
from kg.claims.serialize import check_to_json
from kg.graph import KnowledgeGraph

__all__ = ["BatchInputError", "BatchLimits", "looks_like_json_lines", "parse_json_lines", "write_checks"]


class BatchInputError(ValueError):
    """A line of the batch is not a claim the API would accept; the message names the line."""


@dataclass(frozen=True, slots=True)
class BatchLimits:
    """The API's per-claim size limits, applied to each claim of a batch (see ``server.limits``)."""

    max_lines: int
    max_code_length: int


def looks_like_json_lines(text: str) -> bool:
    """Whether ``text`` holds more than one JSON value, each on its own line.

    >>> looks_like_json_lines('{"a": 1}\\n{"a": 2}\\n'), looks_like_json_lines('[{"a": 1},\\n {"a": 2}]')
    (True, False)
    """
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) < 2 or not all(line.lstrip().startswith("{") for line in lines):
        return False
    try:
        json.loads(lines[0])
    except json.JSONDecodeError:
        return False
    return True


def _check_size(claim: Claim, limits: BatchLimits) -> None:
    if not 1 <= len(claim.lines) <= limits.max_lines:
        raise ClaimInputError(f"lines (count) must be between 1 and {limits.max_lines} (got {len(claim.lines)})")
    limit = limits.max_code_length
    values = chain((claim.payer, claim.place_of_service or ""), *((line.code, *line.modifiers) for line in claim.lines))
    too_long = next((value for value in values if len(value) > limit), None)  # the first, in claim order
    if too_long is not None:
        raise ClaimInputError(f"{too_long[:limit]}...: a code may be at most {limit} characters")


def _standard(text: str, number: int, limits: BatchLimits) -> Claim:
    try:
        value: Any = json.loads(text)
    except json.JSONDecodeError as err:
        raise BatchInputError(f"line {number}: not valid JSON: {err}") from None
    try:
        claim = claim_from_dict(value)
        _check_size(claim, limits)
    except ClaimInputError as err:
        raise BatchInputError(f"line {number}: {err}") from None
    return claim


def parse_json_lines(lines: Iterable[str], limits: BatchLimits) -> list[Claim]:
    """Every claim of a JSON Lines text, blank lines skipped.

    Raises:
        BatchInputError: a line is not JSON, not a claim object, or over the API's limits.

    >>> limits = BatchLimits(max_lines=100, max_code_length=16)
    >>> [c.lines[0].code for c in parse_json_lines(['{"claimType": "PROFESSIONAL", "lines": [{"code": "96365"}]}'], limits)]
    ['96365']
    >>> parse_json_lines(['{"claimType": "PROFESSIONAL", "lines": []}'], limits)
    Traceback (most recent call last):
    ...
    kg.claims.batch.BatchInputError: line 1: lines: a claim needs at least one line
    """
    claims: list[Claim] = []
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            claim = claim_from_dict(orjson.loads(text))
            _check_size(claim, limits)
        except ValueError:
            # The standard parser judges any line the fast one refuses, or reads differently
            # (NaN; integers beyond 64 bits, which orjson reads as floats and a claim then
            # refuses), so every answer and message is the API parser's.
            claim = _standard(text, number, limits)
        claims.append(claim)
    if not claims:
        raise BatchInputError("no claims: expected one ClaimInput object per line")
    return claims


def write_checks(kg: KnowledgeGraph, claims: Iterable[Claim], out: IO[str]) -> bool:
    """Check each claim and write its ``ClaimCheck`` as one JSON line, in order.

    Returns:
        Whether every claim is valid.
    """
    all_valid = True
    chunk: list[bytes] = []
    for claim in claims:
        check = check_claim(kg, claim)
        all_valid = all_valid and check.valid
        chunk.append(check_to_json(check))
        if len(chunk) >= 512:  # write in blocks: one write per claim costs as much as serializing it
            out.write(b"\n".join(chunk).decode() + "\n")
            chunk.clear()
    if chunk:
        out.write(b"\n".join(chunk).decode() + "\n")
    return all_valid
