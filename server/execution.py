"""The lean execution path: the strawberry-built schema run by graphql-core, documents prepared once.

Strawberry stays the way the schema is written (types, SDL, descriptions, GraphiQL). Its
``Schema.execute`` however builds an execution context, six extensions and a middleware
manager per request, and parses and validates through extension hooks; on a small query that
costs more than the query itself. This module executes the same ``GraphQLSchema`` with
graphql-core directly:

* a document is parsed (with the token limit) and validated (GraphQL's rules plus the depth
  and alias limits, and no introspection when it is switched off) once per distinct query
  text, kept in a bounded LRU (:meth:`Executor.prepare`); its cost is kept too when it
  does not depend on variables;
* no middleware and no per-field extension hooks run, and a field that takes no arguments
  and no ``info`` is resolved by reading the attribute or calling the method on its object
  (:func:`lean_resolvers`), not through strawberry's per-field ``Info`` and argument conversion;
  the claim checks take graphql-core's arguments as they are
  (:func:`server.claims.resolve_from_arguments`);
* the errors are logged and masked once per request, as the ``MaskErrors`` extension did
  (:func:`server.schema.is_internal_error`).

Strawberry's own exceptions for a document without the asked operation, or an operation of a
type the method does not allow, are raised as before, so the endpoint answers them the same way.

>>> from server.schema import build_schema
>>> from kg.graph import KnowledgeGraph
>>> from server.context import Context
>>> executor = Executor(build_schema())
>>> result = executor.execute('{ code(code: "96368") { code } }', None, None, Context(kg=KnowledgeGraph.default()))
>>> result.data, result.errors
({'code': {'code': '96368'}}, None)
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from types import CoroutineType
from typing import Any, TypeGuard

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    GraphQLEnumType,
    GraphQLError,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    NoSchemaIntrospectionCustomRule,
    Visitor,
    execute,
    parse,
    specified_rules,
    validate,
    visit,
)
from strawberry.extensions import DisableIntrospection
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types.graphql import OperationType
from strawberry.utils.operation import get_operation_type

from server.claims import resolve_from_arguments
from server.cost import query_cost
from server.limits import MAX_TOKENS
from server.schema import CACHE_SIZE, INTERNAL_ERROR_MESSAGE, extra_validation_rules, is_internal_error
from server.selections import too_many_selections

__all__ = ["ANY_OPERATION", "GET_OPERATIONS", "Executor", "Prepared", "introspection_allowed", "lean_resolvers"]

#: Operation types a GET request may run.
GET_OPERATIONS = frozenset({OperationType.QUERY})
#: Operation types a POST request may run.
ANY_OPERATION = frozenset(OperationType)


@dataclass(slots=True)
class Prepared:
    """One query text, parsed and validated.

    Attributes:
        document: the parsed document, ``None`` when it does not parse.
        errors: the syntax error, or the validation errors; empty when the document is valid.
        shape_valid: whether it passes the depth and alias limits (``None``: not yet checked).
        costs: the cost of each operation name asked for, when the operation has no variables.
        last_run: seconds its latest run took (``None``: not run yet); see
            :meth:`server.endpoint.GraphQLEndpoint.respond`.
        awaits: it names a field whose resolver is a coroutine function (by name, in any type),
            so it must run on a thread, where :meth:`Executor.execute` can run an event loop.
    """

    document: DocumentNode | None
    errors: list[GraphQLError]
    shape_valid: bool | None = None
    costs: dict[str | None, int] = field(default_factory=dict)
    last_run: float | None = None
    awaits: bool = False


def introspection_allowed(schema: Any) -> bool:
    """Whether a strawberry schema answers introspection (it has no ``DisableIntrospection``).

    >>> from server.schema import build_schema
    >>> introspection_allowed(build_schema()), introspection_allowed(build_schema(introspection=False))
    (True, False)
    """
    return not any(extension is DisableIntrospection for extension in getattr(schema, "extensions", ()))


def _attribute(name: str) -> Callable[[Any, Any], Any]:
    def resolve(source: Any, _info: Any) -> Any:
        return getattr(source, name)
    return resolve


def _method(function: Callable[[Any], Any]) -> Callable[[Any, Any], Any]:
    def resolve(source: Any, _info: Any) -> Any:
        return function(source)
    return resolve


def _with_arguments(function: Callable[..., Any], names: Mapping[str, str], info_name: str | None) -> Callable[..., Any]:
    # graphql-core passes the coerced arguments by their GraphQL names (an enum already as its
    # Python member: strawberry's enum types parse to them); the method takes them by its
    # parameter names, with graphql-core's info (every resolver here reads only `info.context`).
    def resolve(source: Any, info: Any, **arguments: Any) -> Any:
        values = {names[name]: value for name, value in arguments.items()}
        if info_name is not None:
            values[info_name] = info
        return function(source, **values)
    return resolve


def _plain_argument(graphql_type: Any) -> bool:
    """Whether graphql-core's value of an argument is what the method takes: a scalar, a strawberry enum, or a list of them."""
    inner = graphql_type.of_type if isinstance(graphql_type, GraphQLNonNull) else graphql_type
    if isinstance(inner, GraphQLList):
        inner = inner.of_type.of_type if isinstance(inner.of_type, GraphQLNonNull) else inner.of_type
    return isinstance(inner, GraphQLScalarType) or (isinstance(inner, GraphQLEnumType) and hasattr(inner, "wrapped_cls"))


def _lean_resolver(graphql_field: GraphQLField, root: bool) -> Callable[..., Any] | None:
    """A direct resolver for one field, or ``None`` when it needs strawberry's wrapper."""
    strawberry_field = graphql_field.extensions.get("strawberry-definition")
    if (strawberry_field is None or getattr(graphql_field.resolve, "_lean", False) or strawberry_field.extensions
            or strawberry_field.permission_classes or strawberry_field.directives):
        return None
    resolver = strawberry_field.base_resolver
    if resolver is None:
        return None if root or graphql_field.args else _attribute(strawberry_field.python_name)
    parameters = list(inspect.signature(resolver.wrapped_func).parameters)
    if not root and not graphql_field.args and parameters == ["self"]:
        return _method(resolver.wrapped_func)
    info = resolver.info_parameter
    arguments = strawberry_field.arguments
    plain = (not resolver.is_async and resolver.self_parameter is not None and resolver.root_parameter is None
             and resolver.parent_parameter is None and len(arguments) == len(graphql_field.args)
             and all(_plain_argument(argument.type) for argument in graphql_field.args.values())
             and len(parameters) == 1 + (info is not None) + len(arguments))
    if not plain:
        return None
    # strawberry builds the GraphQL arguments in the order of the method's.
    names = {graphql_name: argument.python_name for graphql_name, argument in zip(graphql_field.args, arguments, strict=True)}
    return _with_arguments(resolver.wrapped_func, names, None if info is None else info.name)


def lean_resolvers(schema: GraphQLSchema) -> int:
    """Resolve the fields of a strawberry-built schema without strawberry's per-field wrapper where they can be.

    Strawberry wraps every field's resolver in a function that builds its ``Info``, converts
    arguments and runs field extensions, for every object of every list. A field with no field
    extensions, permissions or directives needs none of that when it is

    * a plain attribute, or a method taking only ``self`` (not on a root type): it becomes a
      direct read or call, as strawberry's default resolver is ``getattr`` too;
    * a synchronous method whose arguments are scalars or enums, or lists of them: it is called
      with graphql-core's coerced arguments renamed to its parameters and graphql-core's info
      in place of strawberry's (the resolvers read only its ``context``). Input objects (the
      claim, the encounter) keep strawberry's conversion or their own
      (:func:`server.claims.resolve_from_arguments`).

    Args:
        schema: the ``GraphQLSchema`` strawberry built (``strawberry.Schema._schema``).

    Returns:
        How many fields now resolve directly (0 the second time).

    >>> from server.schema import build_schema
    >>> schema = build_schema()._schema
    >>> lean_resolvers(schema) > 100, lean_resolvers(schema)
    (True, 0)
    """
    changed = 0
    roots = {schema.query_type, schema.mutation_type, schema.subscription_type}
    for graphql_type in schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType) or graphql_type.name.startswith("__"):
            continue
        for graphql_field in graphql_type.fields.values():
            resolve = _lean_resolver(graphql_field, graphql_type in roots)
            if resolve is None:
                continue
            resolve._lean = True  # type: ignore[attr-defined]
            graphql_field.resolve = resolve
            changed += 1
    return changed


class Executor:
    """Runs queries against a strawberry schema with graphql-core, documents prepared once.

    Args:
        schema: the strawberry schema (:func:`server.schema.build_schema`).
        cache_size: distinct query texts kept prepared.
    """

    def __init__(self, schema: Any, cache_size: int = CACHE_SIZE) -> None:
        self.strawberry_schema = schema
        self.schema = schema._schema
        lean_resolvers(self.schema)
        resolve_from_arguments(self.schema)
        self.shape_rules = list(extra_validation_rules())
        self.rules = [*specified_rules, *self.shape_rules]
        if not introspection_allowed(schema):
            self.rules.append(NoSchemaIntrospectionCustomRule)
        #: Names of the fields whose resolver is a coroutine function (``releaseDiff``), in any type.
        self.awaited_fields = frozenset(
            name for graphql_type in self.schema.type_map.values() if isinstance(graphql_type, GraphQLObjectType)
            for name, graphql_field in graphql_type.fields.items()
            if getattr(graphql_field.extensions.get("strawberry-definition"), "is_async", False))
        self.cache_size = cache_size
        self._prepared: OrderedDict[str, Prepared] = OrderedDict()
        self._prepared_lock = threading.Lock()
        self._local = threading.local()

    def prepare(self, query: str) -> Prepared:
        """One query text parsed and validated, kept for ``cache_size`` distinct texts (least recently used out).

        functools' LRU cannot say whether a text is kept without computing it, which
        :meth:`is_prepared` must; hence this small one.
        """
        with self._prepared_lock:
            prepared = self._prepared.get(query)
            if prepared is not None:
                self._prepared.move_to_end(query)
                return prepared
        prepared = self._prepare(query)  # outside the lock: validation may take a while
        with self._prepared_lock:
            prepared = self._prepared.setdefault(query, prepared)
            while len(self._prepared) > self.cache_size:
                self._prepared.popitem(last=False)
        return prepared

    def is_prepared(self, query: str) -> bool:
        """Whether :meth:`prepare` keeps this text already (so that it would parse and validate nothing)."""
        with self._prepared_lock:
            return query in self._prepared

    def _prepare(self, query: str) -> Prepared:
        """Parse and validate one query text."""
        try:
            document = parse(query, max_tokens=MAX_TOKENS)
        except GraphQLError as error:
            return Prepared(document=None, errors=[error])
        too_many = too_many_selections(document)
        if too_many is not None:
            # A shape limit like depth and aliases: told instead of the cost.
            return Prepared(document=document, errors=[GraphQLError(too_many)], shape_valid=False)
        names = _FieldNames()
        visit(document, names)
        return Prepared(document=document, errors=validate(self.schema, document, self.rules),
                        awaits=not names.seen.isdisjoint(self.awaited_fields))

    def shape_valid(self, prepared: Prepared) -> bool:
        """Whether a parsed document passes the depth and alias limits (kept on ``prepared``)."""
        if prepared.shape_valid is None:
            assert prepared.document is not None
            prepared.shape_valid = not validate(self.schema, prepared.document, self.shape_rules)
        return prepared.shape_valid

    def cost(self, prepared: Prepared, variables: Mapping[str, Any] | None, operation_name: str | None) -> int:
        """The cost of the asked operation (:func:`server.cost.query_cost`), kept when variables cannot change it."""
        cached = prepared.costs.get(operation_name)
        if cached is not None:
            return cached
        assert prepared.document is not None
        cost = query_cost(self.schema, prepared.document, variables, operation_name)
        if not any(getattr(d, "variable_definitions", None) for d in prepared.document.definitions):
            prepared.costs[operation_name] = cost
        return cost

    def execute(self, query: str, variables: dict[str, Any] | None, operation_name: str | None, context: Any,
                allowed: Collection[OperationType] = ANY_OPERATION) -> ExecutionResult:
        """Run one query: the result with its errors logged and masked.

        Args:
            query: the query text.
            variables: its variables.
            operation_name: the operation to run.
            context: the value resolvers see as ``info.context``.
            allowed: the operation types this request may run.

        Returns:
            graphql-core's result; ``data`` is ``None`` when the document did not parse or validate.

        Raises:
            CannotGetOperationTypeError: the document has no such operation.
            InvalidOperationTypeError: the operation's type is not among ``allowed``.
        """
        prepared = self.prepare(query)
        if prepared.document is None:
            return self._finish(ExecutionResult(data=None, errors=prepared.errors))
        try:
            operation_type = get_operation_type(prepared.document, operation_name)
        except RuntimeError as error:
            raise CannotGetOperationTypeError(operation_name) from error
        if operation_type not in allowed:
            raise InvalidOperationTypeError(operation_type)
        if prepared.errors:
            return self._finish(ExecutionResult(data=None, errors=prepared.errors))
        result = execute(self.schema, prepared.document, variable_values=variables, operation_name=operation_name,
                         context_value=context, is_awaitable=_is_coroutine)
        if inspect.isawaitable(result):
            result = self._loop().run_until_complete(result)
        return self._finish(result)

    def _finish(self, result: ExecutionResult) -> ExecutionResult:
        if result.errors:
            # Logged before masking, so the log keeps the original error and its traceback.
            self.strawberry_schema.process_errors(result.errors)
            result.errors = [_masked(error) if is_internal_error(error) else error for error in result.errors]
        return result

    def _loop(self) -> asyncio.AbstractEventLoop:
        # One event loop per execution thread, kept for its life: resolvers may be coroutines
        # (releaseDiff awaits a thread of its own), and a loop per request would cost more.
        loop = getattr(self._local, "loop", None)
        if loop is None:
            loop = self._local.loop = asyncio.new_event_loop()
        return loop


class _FieldNames(Visitor):
    """Collects the name of every field a document selects, fragments included."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: set[str] = set()

    def enter_field(self, node: FieldNode, *_: Any) -> None:
        self.seen.add(node.name.value)


def _is_coroutine(value: Any) -> TypeGuard[Awaitable[Any]]:
    # What graphql-core asks of every resolved value. Its own test ends in hasattr(value,
    # "__await__"), slow for the plain values nearly every field returns; the only awaitables
    # our resolvers return are coroutines (strawberry's wrapper of an async resolver).
    return value.__class__ is CoroutineType


def _masked(error: GraphQLError) -> GraphQLError:
    # As strawberry's MaskErrors: the position and path stay, the message and cause go.
    return GraphQLError(message=INTERNAL_ERROR_MESSAGE, nodes=error.nodes, source=error.source,
                        positions=error.positions, path=error.path, original_error=None)
