"""A document's selections once merged: refused before validation when they would make it slow.

GraphQL's validation rule that same-named fields must merge (``OverlappingFieldsCanBeMerged``)
compares the fields that answer under one response name pairwise, and again for their
subfields: the work multiplies down the levels. Within the token limit, a document selecting
``code`` 10 times, each with ``validPrimaries`` 10 times, each with ``addOns`` 4 times took 1.9 s
to validate; one repeating a field 490 times, over a second. This check walks the document
first, merging selections as execution would (fragments expanded, inline fragments included),
and refuses a response path that more than :data:`~server.limits.MAX_REPEATED_FIELDS` fields
answer, or more than :data:`~server.limits.MAX_MERGED_SELECTIONS` selections in all.

>>> from graphql import parse
>>> too_many_selections(parse("{ a: release { version } a: release { version } }")) is None
True
>>> too_many_selections(parse("{ " + "release { version } " * 11 + "}"))
"'release' is selected 11 times under one response name; at most 10 may be"
>>> nested = "{ " + "code { " + "validPrimaries { code } " * 4 + "} " * 1
>>> too_many_selections(parse(nested + "code { " + "validPrimaries { code } " * 7 + "} }"))
"'code.validPrimaries' is selected 11 times under one response name; at most 10 may be"
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

from server.limits import MAX_MERGED_SELECTIONS, MAX_REPEATED_FIELDS

__all__ = ["too_many_selections"]

#: A selection set to merge, with the fragments expanded on the way to it (a cycle stops there;
#: validation then reports it).
_Pending = tuple[SelectionSetNode, frozenset[str]]


class _TooMany(Exception):
    pass


def too_many_selections(document: DocumentNode) -> str | None:
    """Why a document's merged selections would make validation slow, or ``None`` when they would not.

    Args:
        document: a parsed document, not yet validated.

    Returns:
        A message for the client naming the response path, or ``None``.
    """
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    walk = _Walk(fragments)
    try:
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode):
                walk.check([(definition.selection_set, frozenset())], "")
    except _TooMany as too_many:
        return str(too_many)
    return None


class _Walk:
    def __init__(self, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self.fragments = fragments
        self.left = MAX_MERGED_SELECTIONS

    def check(self, pending: Iterable[_Pending], path: str) -> None:
        for name, fields in self._merged(pending).items():
            where = f"{path}.{name}" if path else name
            if len(fields) > MAX_REPEATED_FIELDS:
                raise _TooMany(f"'{where}' is selected {len(fields)} times under one response name; "
                               f"at most {MAX_REPEATED_FIELDS} may be")
            below = [(field.selection_set, seen) for field, seen in fields if field.selection_set is not None]
            if below:
                self.check(below, where)

    def _merged(self, pending: Iterable[_Pending]) -> dict[str, list[tuple[FieldNode, frozenset[str]]]]:
        """The fields of these selection sets by response name, fragments expanded."""
        merged: dict[str, list[tuple[FieldNode, frozenset[str]]]] = defaultdict(list)
        stack = list(pending)
        while stack:
            selection_set, seen = stack.pop()
            for selection in selection_set.selections:
                self.left -= 1
                if self.left < 0:
                    raise _TooMany(f"the document makes more than {MAX_MERGED_SELECTIONS} selections once its "
                                   "fragments are expanded")
                if isinstance(selection, FieldNode):
                    merged[(selection.alias or selection.name).value].append((selection, seen))
                elif isinstance(selection, InlineFragmentNode):
                    stack.append((selection.selection_set, seen))
                elif isinstance(selection, FragmentSpreadNode):
                    name = selection.name.value
                    fragment = self.fragments.get(name)
                    if fragment is not None and name not in seen:
                        stack.append((fragment.selection_set, seen | {name}))
        return merged
