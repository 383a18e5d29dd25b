"""Reading a GraphQL request from HTTP: the body or URL parameters, checked before anything runs.

Every way a request can be malformed is the client's fault and ends here as a
:class:`BadRequest` with a status (400, 405 or 415) and a message, never as a server error:
bodies that are not UTF-8, not JSON, nested too deep, not an object, with a lone surrogate in
any string (it could not be encoded back to UTF-8 later), or with fields of the wrong type.

``POST`` takes ``application/json`` (``{"query", "variables", "operationName"}``) or
``application/graphql`` (the query text as the body; ``variables`` and ``operationName`` from
the URL, as express-graphql and GraphQL-over-HTTP servers do). ``GET`` takes URL parameters.

>>> parse_request("POST", "application/json", b'{"query": "{ release { version } }"}').query
'{ release { version } }'
>>> parse_request("POST", "application/json", b"42")
Traceback (most recent call last):
...
server.request_body.BadRequest: the request body must be a JSON object (got int)
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from server.limits import MAX_JSON_DEPTH

__all__ = ["BadRequest", "GraphQLRequest", "parse_request"]

#: UTF-16 surrogates: valid in a JSON ``\\u`` escape, never in text that must become UTF-8.
_SURROGATE = re.compile("[\ud800-\udfff]")


class BadRequest(Exception):
    """A request that cannot be read as GraphQL; ``status`` is the HTTP status to answer with.

    Args:
        message: what is wrong, for the client.
        status: 400, or 405 / 415 for a wrong method or content type.
    """

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True, slots=True)
class GraphQLRequest:
    """One GraphQL request as sent.

    Attributes:
        query: the document text.
        variables: the variables object (empty when none were sent).
        operation_name: which operation to run, when the document holds several.
    """

    query: str
    variables: dict[str, Any] = field(default_factory=dict)
    operation_name: str | None = None


def parse_request(method: str, content_type: str | None, body: bytes, params: Mapping[str, str] | None = None) -> GraphQLRequest:
    """Read a GraphQL request from an HTTP method, content type, body and URL parameters.

    Args:
        method: ``GET`` or ``POST``.
        content_type: the ``Content-Type`` header (parameters such as ``charset`` allowed).
        body: the raw body (ignored for ``GET``).
        params: the URL's query parameters.

    Returns:
        The request.

    Raises:
        BadRequest: the request is malformed; the message says how.

    >>> parse_request("POST", "application/graphql", b"{ release { version } }", {"operationName": "A"}).operation_name
    'A'
    >>> parse_request("POST", "application/json", b'{"query": "{ a }", "operationName": "\\\\ud800"}')
    Traceback (most recent call last):
    ...
    server.request_body.BadRequest: the request body holds a lone UTF-16 surrogate (\\ud800), which is not text
    """
    params = params or {}
    if method == "GET":
        return _from_fields(
            {"query": params.get("query"), "variables": _json_param(params, "variables"),
             "operationName": params.get("operationName")}
        )
    if method != "POST":
        raise BadRequest(f"GraphQL takes GET or POST requests, not {method}", 405)
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media == "application/json" or (media.startswith("application/") and media.endswith("+json")):
        return _from_fields(_json_body(body))
    if media == "application/graphql":
        return _from_fields(
            {"query": _text(body), "variables": _json_param(params, "variables"), "operationName": params.get("operationName")}
        )
    shown = media or "none"
    raise BadRequest(f"unsupported content type '{shown}': send application/json or application/graphql", 415)


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as err:
        raise BadRequest(f"the request body is not valid UTF-8 (byte {err.start})") from None


def _json_body(body: bytes) -> Mapping[str, Any]:
    value = _parse_json(_text(body), "the request body")
    if not isinstance(value, dict):
        raise BadRequest(f"the request body must be a JSON object (got {_kind(value)})")
    return value


def _json_param(params: Mapping[str, str], name: str) -> Any:
    text = params.get(name)
    return None if text is None or text == "" else _parse_json(text, f"the {name} parameter")


def _parse_json(text: str, what: str) -> Any:
    try:
        value = json.loads(text)
    except RecursionError:
        raise BadRequest(f"{what} is nested more than {MAX_JSON_DEPTH} levels deep") from None
    except ValueError as err:
        raise BadRequest(f"{what} is not valid JSON: {err}") from None
    _check_json(value, what)
    return value


def _check_json(value: Any, what: str) -> None:
    # Iterative, so a deep document cannot exhaust the stack here either.
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            _check_string(item, what)
        elif isinstance(item, dict | list):
            if depth >= MAX_JSON_DEPTH:
                raise BadRequest(f"{what} is nested more than {MAX_JSON_DEPTH} levels deep")
            if isinstance(item, dict):
                for key, child in item.items():
                    _check_string(key, what)
                    stack.append((child, depth + 1))
            else:
                stack.extend((child, depth + 1) for child in item)


def _check_string(text: str, what: str) -> None:
    found = _SURROGATE.search(text)
    if found:
        raise BadRequest(f"{what} holds a lone UTF-16 surrogate (\\u{ord(found.group()):04x}), which is not text")


def _from_fields(fields: Mapping[str, Any]) -> GraphQLRequest:
    query = fields.get("query")
    if query is None or query == "":
        raise BadRequest("No GraphQL query found in the request")
    if not isinstance(query, str):
        raise BadRequest(f"query must be a string (got {_kind(query)})")
    _check_string(query, "the query")
    variables = fields.get("variables")
    if variables is None:
        variables = {}
    if not isinstance(variables, dict):
        raise BadRequest(f"variables must be a JSON object (got {_kind(variables)})")
    operation_name = fields.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        raise BadRequest(f"operationName must be a string (got {_kind(operation_name)})")
    if operation_name is not None:
        _check_string(operation_name, "operationName")
    return GraphQLRequest(query=query, variables=variables, operation_name=operation_name or None)


def _kind(value: Any) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), type(value).__name__)
