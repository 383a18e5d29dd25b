"""Prefix lookup over the search index's words: a sorted word list and a binary search.

``KnowledgeGraph.search`` matches each query word against the start of every indexed word.
Scanning every word costs a pass over the whole vocabulary per query word (hundreds of
thousands at full scale); the words that start with a prefix are one contiguous run of the
sorted list. The standard library's ``bisect`` is all this needs.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping

__all__ = ["PrefixIndex"]


class PrefixIndex:
    """The nodes of every indexed word that starts with a prefix.

    >>> index = PrefixIndex({"infusion": {"a"}, "infuse": {"b"}, "inject": {"c"}})
    >>> sorted(index.hits("infus")), sorted(index.hits("in")), index.hits("x")
    (['a', 'b'], ['a', 'b', 'c'], set())
    """

    def __init__(self, words: Mapping[str, set[str]]) -> None:
        self._words = sorted(words)
        self._nodes = words

    def hits(self, prefix: str) -> set[str]:
        """Nodes indexed under a word starting with ``prefix``."""
        words, found = self._words, set()
        at = bisect_left(words, prefix)
        while at < len(words) and words[at].startswith(prefix):
            found |= self._nodes[words[at]]
            at += 1
        return found
