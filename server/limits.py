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

import re
import time
from collections.abc import Sequence
from typing import Any

__all__ = [
    "ANSWER_CACHE_BYTES",
    "DEFAULT_FIRST",
    "DEFAULT_LIST_SIZE",
    "EXECUTION_THREADS",
    "INLINE_CPU_SECONDS",
    "INLINE_MAX_BODY_BYTES",
    "INLINE_MAX_COST",
    "MAX_ADMINISTRATIONS",
    "MAX_ALIASES",
    "MAX_BATCH_LINES",
    "MAX_BODY_BYTES",
    "MAX_CLAIMS",
    "MAX_CLAIM_LINES",
    "MAX_CODES",
    "MAX_CODE_LENGTH",
    "MAX_COST",
    "MAX_FIRST",
    "MAX_JSON_DEPTH",
    "MAX_LINE_MODIFIERS",
    "MAX_MERGED_SELECTIONS",
    "MAX_QUERY_DEPTH",
    "MAX_QUEUED_REQUESTS",
    "MAX_RELATED",
    "MAX_RELATED_DEPTH",
    "MAX_REPEATED_FIELDS",
    "MAX_RESPONSE_BYTES",
    "MAX_TEXT_LENGTH",
    "MAX_TOKENS",
    "MAX_TRAVERSALS",
    "REQUEST_SECONDS",
    "ClientError",
    "DeadlineExceeded",
    "check_code",
    "check_codes",
    "check_deadline",
    "check_identifier",
    "check_range",
    "check_text",
    "deadline_message",
    "spend_traversal",
]

#: Deepest selection set accepted (a code card with relationships and their sources is 4).
MAX_QUERY_DEPTH = 8
#: Most aliases in one document: enough for a card showing a few codes side by side.
MAX_ALIASES = 30
#: Most fields that may answer under one response path once selections merge (server.selections):
#: validation compares them pairwise, level under level (10 x 10 x 4 of them took 1.9 s).
MAX_REPEATED_FIELDS = 10
#: Most selections a document may make once its fragments are expanded (GraphiQL's
#: introspection query makes about 300).
MAX_MERGED_SELECTIONS = 5000
#: Most lexical tokens in one document (GraphiQL's introspection query is about 250).
MAX_TOKENS = 2000
#: Longest request body in bytes; larger bodies are answered 413 before they are parsed.
#: The largest legal ``checkClaims`` batch (:data:`MAX_BATCH_LINES` lines, every field at its
#: longest, compact JSON) fits: ``tests/server/test_cost.py`` builds it and checks.
MAX_BODY_BYTES = 2 * 1024 * 1024
#: Deepest nesting of arrays and objects in a JSON body (a claim batch needs 5).
MAX_JSON_DEPTH = 32
#: Largest response body in bytes; a larger answer is replaced by an error asking for less.
MAX_RESPONSE_BYTES = 16 * 1024 * 1024
#: Most work one query may ask for, in the units of :mod:`server.cost` (fields resolved, with
#: every list counted at its declared size). Sized so that the largest ``checkClaims`` batch
#: with its findings' rule, severity, line and message fits (62,000); a query at the budget
#: runs for a few seconds (``benchmarks/hostile.py``, "relationships within budget").
MAX_COST = 100_000
#: Longest a request may run, in seconds, before it is cancelled with an error.
REQUEST_SECONDS = 20.0
#: Threads that execute queries (off the event loop, so health checks and small queries are
#: answered while a large one runs). More than the two cores: the work is CPU-bound and they
#: share one interpreter lock, but a small query then waits for its share of the lock, not
#: for two large queries to finish.
EXECUTION_THREADS = 4
#: Requests that may wait for an execution thread; more are answered 503 at once.
MAX_QUEUED_REQUESTS = 64
#: A request body (or GET query string) at most this long is read and priced on the event loop
#: (JSON of this size and a document of at most MAX_TOKENS take well under a millisecond)...
INLINE_MAX_BODY_BYTES = 16 * 1024
#: ...and run there too when it costs at most this much (a code card is 76, a 10-line claim 42,
#: validPrimaries 300; a cost unit takes tens of microseconds at most, see MAX_COST)...
INLINE_MAX_COST = 500
#: ...and the latest run of its document took at most this many seconds. Handing a query to a
#: thread costs about as much as running a small one; a query held to these bounds keeps the
#: event loop, and so /healthz, waiting for milliseconds, not for the whole query budget.
INLINE_CPU_SECONDS = 0.002
#: Bytes of complete answers kept for repeated requests (:mod:`server.answers`); 0 keeps none.
ANSWER_CACHE_BYTES = 32 * 1024 * 1024
#: Longest code argument (CPT and HCPCS codes are 5 characters; modifiers 2).
MAX_CODE_LENGTH = 16
#: Longest free-text argument (``search.text``).
MAX_TEXT_LENGTH = 200
#: Most codes in one ``codes`` list.
MAX_CODES = 100
#: Largest ``first`` of any list (``search``, ``addOns``, ``relationships``...).
MAX_FIRST = 100
#: ``first`` of nested code lists (``addOns``, ``validPrimaries``, ``relationships``) when omitted.
DEFAULT_FIRST = 20
#: Size the cost model assumes for a list with neither a ``first`` nor a declared size of its own
#: (sources of a fact, findings of a claim, modifier rules of a code).
DEFAULT_LIST_SIZE = 10
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
#: Most lines in one ``checkClaims`` batch, all claims together (what the cost model counts).
MAX_BATCH_LINES = 10_000
#: Most modifiers on one claim line.
MAX_LINE_MODIFIERS = 4
#: Most graph traversals (``related``, ``path``) one request may run, however it nests or aliases them.
MAX_TRAVERSALS = 20


#: A code, modifier or place of service: ASCII letters and digits only. Anything else is refused
#: before it reaches ``str.upper``, which folds the long s (U+017F) into "S": "X" followed by it
#: would otherwise match modifier XS.
_CODE = re.compile(r"[A-Za-z0-9]+", re.ASCII)
#: A payer id: ASCII letters, digits, dot, dash, underscore.
_IDENTIFIER = re.compile(r"[A-Za-z0-9._-]+", re.ASCII)


class ClientError(Exception):
    """An error caused by the request (bad argument, unknown code): its message reaches the client."""


class DeadlineExceeded(ClientError):
    """The request ran past its time limit (:data:`REQUEST_SECONDS`)."""


def deadline_message(seconds: float = REQUEST_SECONDS) -> str:
    """What a client whose request ran past its time limit is told.

    >>> deadline_message(2.5)
    'request cancelled: it ran past its time limit of 2.5 s'
    """
    return f"request cancelled: it ran past its time limit of {seconds:g} s"


def check_deadline(context: Any) -> None:
    """Stop the request if it has run past its deadline.

    Work that loops (resolvers reaching the graph, claim batches between chunks) calls this,
    so that a request cancelled for taking too long stops using a thread soon after.

    Args:
        context: the request context (anything with a ``deadline`` attribute: a
            :func:`time.monotonic` instant, or ``None`` for no limit).

    Raises:
        DeadlineExceeded: the deadline has passed.

    >>> from types import SimpleNamespace
    >>> check_deadline(SimpleNamespace(deadline=None))
    >>> check_deadline(SimpleNamespace(deadline=0.0))
    Traceback (most recent call last):
    ...
    server.limits.DeadlineExceeded: request cancelled: it ran past its time limit of 20 s
    """
    deadline = getattr(context, "deadline", None)
    if deadline is not None and time.monotonic() > deadline:
        raise DeadlineExceeded(deadline_message())


def check_code(value: str, argument: str = "code") -> str:
    """Check one code argument (a code, modifier or place of service) and return it.

    Only ASCII letters and digits are accepted, so no Unicode case folding or whitespace
    trimming further on can turn a different string into a known code.

    Args:
        value: the argument as sent.
        argument: its name, for the message.

    Returns:
        ``value`` unchanged.

    Raises:
        ClientError: longer than :data:`MAX_CODE_LENGTH`, or not ASCII letters and digits.

    >>> check_code("x" * 17)
    Traceback (most recent call last):
    ...
    server.limits.ClientError: code must be at most 16 characters (got 17)
    >>> check_code("X\u017f", "modifier")
    Traceback (most recent call last):
    ...
    server.limits.ClientError: modifier must be ASCII letters and digits only (got 'X\u017f')
    """
    return _check_pattern(value, argument, _CODE, "ASCII letters and digits only")


def check_identifier(value: str, argument: str = "payer") -> str:
    """Check an identifier argument (a payer id): ASCII letters, digits, ``.``, ``-``, ``_``.

    Raises:
        ClientError: too long, or another character.

    >>> check_identifier("medicare")
    'medicare'
    >>> check_identifier("medicare\u00a0")
    Traceback (most recent call last):
    ...
    server.limits.ClientError: payer must be ASCII letters, digits, '.', '-' or '_' only (got 'medicare\xa0')
    """
    return _check_pattern(value, argument, _IDENTIFIER, "ASCII letters, digits, '.', '-' or '_' only")


def _check_pattern(value: str, argument: str, pattern: re.Pattern[str], allowed: str) -> str:
    if len(value) > MAX_CODE_LENGTH:
        raise ClientError(f"{argument} must be at most {MAX_CODE_LENGTH} characters (got {len(value)})")
    if not pattern.fullmatch(value):
        raise ClientError(f"{argument} must be {allowed} (got {value!r})")
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
