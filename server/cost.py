"""Query cost: how much work a GraphQL document asks for, computed before it runs.

Depth, alias and token limits bound a query's shape, not its work: ``codes`` of 100 codes,
each with nested ``addOns { validPrimaries { addOns … } } }``, is a small document that
multiplies into millions of fields. The cost is counted the way GitHub's node limit and
Shopify's calculated cost count it: every field resolved costs 1, and a list multiplies the
cost of what is selected under it by its worst-case size. Summed over the whole operation,
with aliases and fragments expanded, that is an upper bound of the fields the server will
resolve, known from the document and its variables alone.

A list's worst-case size is, in order:

1. a declaration in :data:`LIST_SIZES` (``codes`` counts its ``codes`` argument, ``checkClaims``
   its claims and, as extra work, their lines);
2. its ``first`` argument, as sent or as the schema's default;
3. :data:`~server.limits.DEFAULT_LIST_SIZE` (lists the graph keeps short: a fact's sources,
   a code's modifier rules, a claim's findings).

Introspection fields (``__schema``, ``__type``, ``__typename``) cost nothing: their size is
the schema's, and introspection can be switched off.

The module depends on graphql-core only (not on strawberry's extension plumbing), so any
execution path can call :func:`query_cost` on a parsed document.

>>> from server.schema import build_schema
>>> from graphql import parse
>>> schema = build_schema()._schema
>>> query_cost(schema, parse('{ code(code: "96365") { code addOns { code } } }'))
42
>>> query_cost(schema, parse('query($c: [String!]!) { codes(codes: $c) { code } }'), {"c": ["96365", "96366"]})
4
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    Undefined,
    get_named_type,
    is_composite_type,
    value_from_ast_untyped,
)

from server.limits import DEFAULT_LIST_SIZE, MAX_COST, MAX_RELATED_DEPTH, ClientError

__all__ = ["LIST_SIZES", "CostExceeded", "ListSize", "check_cost", "query_cost"]


@dataclass(frozen=True, slots=True)
class ListSize:
    """A field's worst-case list size and extra work, from its argument values.

    Attributes:
        size: the number of items the field returns at most.
        work: work beyond resolving the items (e.g. claim lines checked), in cost units.
    """

    size: int
    work: int = 0


def _count(value: Any) -> int:
    # GraphQL coerces a single value given for a list argument into a list of one.
    if value is None or value is Undefined:
        return 0
    return len(value) if isinstance(value, list) else 1


def _claims(arguments: Mapping[str, Any]) -> ListSize:
    claims = arguments.get("claims")
    claims = claims if isinstance(claims, list) else [claims]
    lines = sum(_count(c.get("lines")) for c in claims if isinstance(c, dict))
    return ListSize(size=_count(arguments.get("claims")), work=lines)


def _claim(arguments: Mapping[str, Any]) -> ListSize:
    claim = arguments.get("claim")
    return ListSize(size=1, work=_count(claim.get("lines")) if isinstance(claim, dict) else 0)


#: Fields whose size does not come from ``first`` or the default: ``(type name, field name)``
#: to a function of the field's argument values (variables already substituted).
LIST_SIZES: dict[tuple[str, str], Callable[[Mapping[str, Any]], ListSize]] = {
    ("Query", "codes"): lambda args: ListSize(_count(args.get("codes"))),
    ("Query", "checkClaims"): _claims,
    ("Query", "checkClaim"): _claim,
    ("RelatedCode", "path"): lambda args: ListSize(MAX_RELATED_DEPTH),
}


class CostExceeded(ClientError):
    """A query asks for more work than :data:`~server.limits.MAX_COST` allows."""


def check_cost(cost: int, budget: int = MAX_COST) -> int:
    """Refuse a query whose cost is over the budget.

    Args:
        cost: the query's cost (:func:`query_cost`).
        budget: the most a query may cost.

    Returns:
        ``cost``, when within the budget.

    Raises:
        CostExceeded: over the budget; the message names both.

    >>> check_cost(250_001, 250_000)
    Traceback (most recent call last):
    ...
    server.cost.CostExceeded: query cost 250001 exceeds the budget of 250000: ask for fewer items
    (first, codes, claims) or fewer nested lists
    """
    if cost > budget:
        raise CostExceeded(
            f"query cost {cost} exceeds the budget of {budget}: "
            "ask for fewer items (first, codes, claims) or fewer nested lists"
        )
    return cost


def query_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    variables: Mapping[str, Any] | None = None,
    operation_name: str | None = None,
) -> int:
    """The worst-case cost of running one operation of a parsed document.

    The document need not have been validated: unknown fields cost 1 and are left for
    validation to report, and fragment cycles are not followed.

    Args:
        schema: the graphql-core schema the document is for.
        document: the parsed document.
        variables: the request's variables (raw JSON values).
        operation_name: which operation runs, when the document holds several.

    Returns:
        The cost; 0 when the operation to run cannot be determined (execution reports why).
    """
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [o for o in operations if o.name is not None and o.name.value == operation_name]
    if len(operations) != 1:
        return 0
    operation = operations[0]
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0
    values = dict(variables or {})
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        if name not in values and definition.default_value is not None:
            values[name] = value_from_ast_untyped(definition.default_value)
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    return _Counter(schema, fragments, values).selection(root, operation.selection_set, frozenset())


class _Counter:
    """One cost computation: the schema, the document's fragments and the variables."""

    def __init__(self, schema: GraphQLSchema, fragments: Mapping[str, FragmentDefinitionNode],
                 variables: dict[str, Any]) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables

    def selection(self, parent: GraphQLNamedType, selection_set: SelectionSetNode | None, spread: frozenset[str]) -> int:
        if selection_set is None:
            return 0
        total = 0
        for node in selection_set.selections:
            if isinstance(node, FieldNode):
                total += self.field(parent, node, spread)
            elif isinstance(node, InlineFragmentNode):
                condition = self._type(node.type_condition.name.value) if node.type_condition else parent
                total += self.selection(condition or parent, node.selection_set, spread)
            elif isinstance(node, FragmentSpreadNode):
                name = node.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in spread:
                    continue  # unknown or cyclic: validation reports it
                condition = self._type(fragment.type_condition.name.value) or parent
                total += self.selection(condition, fragment.selection_set, spread | {name})
        return total

    def field(self, parent: GraphQLNamedType, node: FieldNode, spread: frozenset[str]) -> int:
        name = node.name.value
        if name.startswith("__"):
            return 0
        definition: GraphQLField | None = getattr(parent, "fields", {}).get(name)
        if definition is None:
            return 1
        named = get_named_type(definition.type)
        if not is_composite_type(named):
            return 1
        children = self.selection(named, node.selection_set, spread)
        if not _is_list(definition.type):
            return 1 + children
        size = self._size(parent.name, name, definition, self._arguments(node))
        return size.work + size.size * (1 + children)

    def _size(self, parent: str, name: str, definition: GraphQLField, arguments: Mapping[str, Any]) -> ListSize:
        declared = LIST_SIZES.get((parent, name))
        if declared is not None:
            return declared(arguments)
        if "first" in definition.args:
            first = arguments.get("first", Undefined)
            if first is Undefined or first is None:
                first = definition.args["first"].default_value
            if isinstance(first, int) and not isinstance(first, bool):
                return ListSize(max(first, 0))
        return ListSize(DEFAULT_LIST_SIZE)

    def _arguments(self, node: FieldNode) -> dict[str, Any]:
        values = {}
        for argument in node.arguments or ():
            value = value_from_ast_untyped(argument.value, self.variables)
            if value is not Undefined:
                values[argument.name.value] = value
        return values

    def _type(self, name: str) -> GraphQLNamedType | None:
        return self.schema.get_type(name)


def _is_list(field_type: Any) -> bool:
    while isinstance(field_type, GraphQLNonNull):
        field_type = field_type.of_type
    return isinstance(field_type, GraphQLList)
