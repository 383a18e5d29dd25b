"""Schema assembly: root query classes merged into ``Query``, safety extensions, SDL export.

Other modules add root fields by adding their query class to :func:`query_types` (or passing
it as ``extra_queries``); :func:`strawberry.tools.merge_types` merges them into one ``Query``.

Every schema built here is safe by default: query depth, alias and token limits; parser and
validation caches; internal errors masked (the server log keeps the traceback) while errors
that are the client's fault (:class:`~server.limits.ClientError`, an unknown code, a bad date,
a syntax error) keep their message.

>>> "validPrimaries(addOn: String!, asOf: Date, first: Int = 100): [Code!]!" in schema_sdl()
True
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.extensions import ValidationCache as _ValidationCache
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext
from strawberry.utils.logging import StrawberryLogger

from kg.graph import UnknownCodeError
from server.claims import ClaimsQuery
from server.diff import DiffQuery
from server.encounter import EncounterQuery
from server.limits import MAX_ALIASES, MAX_QUERY_DEPTH, MAX_TOKENS, ClientError
from server.query import GraphQuery

__all__ = [
    "CLIENT_ERRORS",
    "INTERNAL_ERROR_MESSAGE",
    "CodingSchema",
    "build_schema",
    "extra_validation_rules",
    "is_internal_error",
    "query_types",
    "safe_schema",
    "schema_sdl",
]

log = logging.getLogger(__name__)

#: Exceptions whose message is meant for the client (never masked, logged without traceback).
CLIENT_ERRORS: tuple[type[Exception], ...] = (ClientError, UnknownCodeError)
#: What a client sees instead of an internal error.
INTERNAL_ERROR_MESSAGE = "Internal server error; it has been logged."
#: Size of the parsed-document and validation LRU caches (distinct query texts kept).
CACHE_SIZE = 512

# The limiters are built once: each builds its validation-rule class when constructed, and
# the validation cache is keyed by those classes, so a fresh class per request would never hit.
_DEPTH_RULES = QueryDepthLimiter(max_depth=MAX_QUERY_DEPTH).validation_rules
_ALIAS_RULES = MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules


def extra_validation_rules() -> tuple[type, ...]:
    """The validation rules every schema built here adds to GraphQL's own: depth and alias limits.

    The endpoint validates with them before refusing a query by cost, so that a query that is
    both too deep and too costly is told it is too deep.
    """
    return (*_DEPTH_RULES, *_ALIAS_RULES)


def query_types() -> tuple[type, ...]:
    """The root query classes merged into ``Query``; a module adding root fields adds its class here.

    >>> [t.__name__ for t in query_types()]
    ['GraphQuery', 'ClaimsQuery', 'EncounterQuery', 'DiffQuery']
    """
    return (GraphQuery, ClaimsQuery, EncounterQuery, DiffQuery)


def is_internal_error(error: GraphQLError) -> bool:
    """Whether an error must be masked: raised while executing, and not the client's fault.

    Errors without a path (syntax, validation, a variable or literal that is not a valid
    ``Date``) are about the request itself and keep their message.

    >>> is_internal_error(GraphQLError("boom", path=["code"], original_error=RuntimeError("x")))
    True
    >>> is_internal_error(GraphQLError("unknown code '1'", path=["code"], original_error=UnknownCodeError("1")))
    False
    >>> is_internal_error(GraphQLError("Syntax Error: Expected Name, found <EOF>."))
    False
    """
    return error.path is not None and not isinstance(error.original_error, CLIENT_ERRORS)


class CodingSchema(strawberry.Schema):
    """A strawberry schema that logs internal errors with their traceback, client errors as one debug line."""

    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        """Log each error: internal ones with traceback (before they are masked), client ones as one line."""
        for error in errors:
            if is_internal_error(error):
                StrawberryLogger.error(error, execution_context)
            else:
                log.debug("client error: %s", error.message)


def _extensions(introspection: bool) -> list[Callable[[], SchemaExtension]]:
    # Factories, not instances: strawberry builds fresh extensions per request (they hold the
    # request's execution context); the rule classes and LRU caches they use are shared.
    factories: list[Callable[[], SchemaExtension]] = [
        lambda: MaskErrors(should_mask_error=is_internal_error, error_message=INTERNAL_ERROR_MESSAGE),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: ParserCache(maxsize=CACHE_SIZE),
        lambda: AddValidationRules(_DEPTH_RULES),
        lambda: AddValidationRules(_ALIAS_RULES),
    ]
    if not introspection:
        factories.append(DisableIntrospection)
    factories.append(lambda: _ValidationCache(maxsize=CACHE_SIZE))
    return factories


def build_schema(extra_queries: Sequence[type] = (), *, introspection: bool = True) -> CodingSchema:
    """The GraphQL schema: every query class merged into ``Query``, with the safety extensions.

    Args:
        extra_queries: more strawberry query classes to merge in (after :func:`query_types`).
        introspection: ``False`` rejects ``__schema``/``__type`` queries (GraphiQL then cannot
            show the docs).

    Returns:
        The schema, ready for :func:`server.app.create_app`.
    """
    return safe_schema(merge_types("Query", (*query_types(), *extra_queries)), introspection=introspection)


def safe_schema(query: type, *, introspection: bool = True) -> CodingSchema:
    """Any strawberry root query type as a schema with this server's safety extensions.

    Args:
        query: the root query type.
        introspection: as for :func:`build_schema`.

    >>> @strawberry.type
    ... class Hello:
    ...     hello: str = "world"
    >>> safe_schema(Hello).execute_sync("{ hello }", root_value=Hello()).data
    {'hello': 'world'}
    """
    return CodingSchema(query=query, extensions=_extensions(introspection))


def schema_sdl() -> str:
    """The schema in GraphQL SDL, as committed in ``schema.graphql`` at the repository root."""
    return build_schema().as_str() + "\n"
