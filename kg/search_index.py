"""The code indexes of a loaded graph: notations, node types and the search words, kept in snapshots.

``KnowledgeGraph.search`` matches each query word against the start of every indexed word.
Scanning every word costs a pass over the whole vocabulary per query word (hundreds of
thousands at full scale); the words that start with a prefix are one contiguous run of the
sorted list. The standard library's ``bisect`` is all this needs.

Building these maps walks every node of the graph (about a second for a full quarter), so
:func:`kg.snapshot.cached_load` builds them once, before writing a snapshot, and a start from
the snapshot unpickles them with the graph (:attr:`kg.load.LoadResult.index`).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["CodeIndex", "PrefixIndex"]


class PrefixIndex:
    """The nodes of every indexed word that starts with a prefix.

    >>> index = PrefixIndex({"infusion": {"a"}, "infuse": {"b"}, "inject": {"c"}})
    >>> sorted(index.hits("infus")), sorted(index.hits("in")), index.hits("x")
    (['a', 'b'], ['a', 'b', 'c'], set())
    """

    __slots__ = ("_nodes", "_words")

    def __init__(self, words: Mapping[str, set[str]]) -> None:
        self._words = sorted(words)
        self._nodes = words

    def __getstate__(self) -> tuple[list[str], Mapping[str, set[str]]]:
        return self._words, self._nodes

    def __setstate__(self, state: tuple[list[str], Mapping[str, set[str]]]) -> None:
        self._words, self._nodes = state

    def hits(self, prefix: str) -> set[str]:
        """Nodes indexed under a word starting with ``prefix``."""
        words, nodes = self._words, self._nodes
        at = bisect_left(words, prefix)
        end = bisect_left(words, prefix + "\U0010ffff", at)  # past the last word that starts with it
        if end - at == 1:
            return set(nodes[words[at]])
        found: set[str] = set()
        found.update(*(nodes[w] for w in words[at:end]))
        return found


@dataclass(slots=True)
class CodeIndex:
    """Lookups built once per loaded graph (see :func:`kg.lookup.build_index`).

    >>> index = CodeIndex(words={"infusion": {"a"}})
    >>> sorted(index.prefixes.hits("inf"))
    ['a']
    """

    #: Upper-case notation -> IRI of every code.
    codes: dict[str, str] = field(default_factory=dict)
    #: Class IRI -> IRIs of the nodes typed with it, in graph order.
    of_type: dict[str, list[str]] = field(default_factory=dict)
    #: IRI -> notation of every code (the reverse of ``codes``, as the data spells it).
    notations: dict[str, str] = field(default_factory=dict)
    #: Lower-case word (of a notation, title, description or synonym) -> IRIs of the codes holding it.
    words: dict[str, set[str]] = field(default_factory=dict)
    #: The words sorted for prefix search.
    prefixes: PrefixIndex = field(init=False)
    #: IRI -> position of its notation among every code's, sorted (equal notations share one):
    #: an integer sort key for ranking codes by notation without comparing strings.
    ranks: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        self.prefixes = PrefixIndex(self.words)
        distinct = sorted(set(self.notations.values()))
        position = {notation: at for at, notation in enumerate(distinct)}
        self.ranks = {iri: position[notation] for iri, notation in self.notations.items()}
