"""API limits and argument checks: what keeps one request from costing the server too much.

These are limits of the API, not coding knowledge: how long a code argument may be, how many
codes one request may ask for, how deep a traversal may go. Errors raised here are the
client's fault and carry a message meant for the client (:class:`ClientError` is never masked).

>>> check_code("96368")
'96368'
>>> check_range(150, "first", 0, MAX_FIRST)
Traceback (most recent call last):
...
server.limits.ClientError: first must be between 0 and 100 (got 150)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = [
    "MAX_ADMINISTRATIONS",
    "MAX_ALIASES",
    "MAX_BODY_BYTES",
    "MAX_CLAIMS",
    "MAX_CLAIM_LINES",
    "MAX_CODES",
    "MAX_CODE_LENGTH",
    "MAX_FIRST",
    "MAX_QUERY_DEPTH",
    "MAX_RELATED",
    "MAX_RELATED_DEPTH",
    "MAX_TEXT_LENGTH",
    "MAX_TOKENS",
    "MAX_TRAVERSALS",
    "ClientError",
    "check_code",
    "check_codes",
    "check_range",
    "check_text",
    "spend_traversal",
]

#: Deepest selection set accepted (a code card with relationships and their sources is 4).
MAX_QUERY_DEPTH = 8
#: Most aliases in one document: enough for a card showing a few codes side by side.
MAX_ALIASES = 30
#: Most lexical tokens in one document (GraphiQL's introspection query is about 250).
MAX_TOKENS = 2000
#: Longest request body in bytes; larger bodies are answered 413 before they are parsed.
#: Sized for a ``checkClaims`` batch of 1,000 ten-line claims sent as variables.
MAX_BODY_BYTES = 1024 * 1024
#: Longest code argument (CPT and HCPCS codes are 5 characters; modifiers 2).
MAX_CODE_LENGTH = 16
#: Longest free-text argument (``search.text``).
MAX_TEXT_LENGTH = 200
#: Most codes in one ``codes`` list.
MAX_CODES = 100
#: Largest ``search.first``.
MAX_FIRST = 100
#: Deepest ``related`` traversal.
MAX_RELATED_DEPTH = 4
#: Most codes one ``related`` call returns.
MAX_RELATED = 200
#: Most administrations in one ``codeEncounter`` record.
MAX_ADMINISTRATIONS = 100
#: Most claims in one ``checkClaims`` batch.
MAX_CLAIMS = 1000
#: Most lines on one claim.
MAX_CLAIM_LINES = 100
#: Most graph traversals (``related``, ``path``) one request may run, however it nests or aliases them.
MAX_TRAVERSALS = 20


class ClientError(Exception):
    """An error caused by the request (bad argument, unknown code): its message reaches the client."""


def check_code(value: str, argument: str = "code") -> str:
    """Check one code argument's length and return it.

    Args:
        value: the argument as sent.
        argument: its name, for the message.

    Returns:
        ``value`` unchanged.

    Raises:
        ClientError: longer than :data:`MAX_CODE_LENGTH`.

    >>> check_code("x" * 17)
    Traceback (most recent call last):
    ...
    server.limits.ClientError: code must be at most 16 characters (got 17)
    """
    if len(value) > MAX_CODE_LENGTH:
        raise ClientError(f"{argument} must be at most {MAX_CODE_LENGTH} characters (got {len(value)})")
    return value


def check_codes(values: Sequence[str], argument: str = "codes") -> Sequence[str]:
    """Check a list of codes: at most :data:`MAX_CODES`, each of an acceptable length.

    Raises:
        ClientError: too many codes, or one too long.

    >>> check_codes(["1"] * 101)
    Traceback (most recent call last):
    ...
    server.limits.ClientError: codes may hold at most 100 codes (got 101)
    """
    if len(values) > MAX_CODES:
        raise ClientError(f"{argument} may hold at most {MAX_CODES} codes (got {len(values)})")
    for value in values:
        check_code(value, f"each of {argument}")
    return values


def check_text(value: str, argument: str = "text") -> str:
    """Check a free-text argument's length and return it.

    Raises:
        ClientError: longer than :data:`MAX_TEXT_LENGTH`.
    """
    if len(value) > MAX_TEXT_LENGTH:
        raise ClientError(f"{argument} must be at most {MAX_TEXT_LENGTH} characters (got {len(value)})")
    return value


def spend_traversal(context: Any) -> None:
    """Count one graph traversal against the request's budget of :data:`MAX_TRAVERSALS`.

    Depth and alias limits bound the shape of a query, not its fan-out: ``codes`` of 100
    codes each asking for ``related(depth: 4)`` would be 100 traversals. The budget bounds that.

    Args:
        context: the request context (anything with an integer ``traversals`` attribute).

    Raises:
        ClientError: the request has used its budget.

    >>> from types import SimpleNamespace
    >>> ctx = SimpleNamespace(traversals=MAX_TRAVERSALS - 1)
    >>> spend_traversal(ctx)
    >>> spend_traversal(ctx)
    Traceback (most recent call last):
    ...
    server.limits.ClientError: at most 20 related/path traversals per request
    """
    context.traversals += 1
    if context.traversals > MAX_TRAVERSALS:
        raise ClientError(f"at most {MAX_TRAVERSALS} related/path traversals per request")


def check_range(value: int, argument: str, low: int, high: int) -> int:
    """Check that an integer argument lies in ``[low, high]`` and return it.

    Raises:
        ClientError: outside the range.

    >>> check_range(2, "depth", 0, MAX_RELATED_DEPTH)
    2
    """
    if not low <= value <= high:
        raise ClientError(f"{argument} must be between {low} and {high} (got {value})")
    return value
