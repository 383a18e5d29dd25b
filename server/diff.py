"""``releaseDiff``: what changed between two releases the server serves.

Only releases the server was started with (``--data DIR``, named by their folder as in
``release { layers }``) can be compared: a request never names a path on the server. A diff of
two full quarters costs seconds, so it runs in a worker thread and the last few results are
kept; the lists are capped by ``first`` while the counts are always complete.

>>> [f.python_name for f in DiffQuery.__strawberry_definition__.fields]
['release_diff']
"""

from __future__ import annotations

import asyncio
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

import strawberry
from strawberry import Info

from kg.diff import FactChange as DomainChange
from kg.diff import ReleaseDiff as DomainDiff
from kg.diff import release_diff
from server.context import graph_of
from server.limits import MAX_FIRST, ClientError, check_code, check_range, check_text

__all__ = ["DiffQuery", "FactChange", "ReleaseDiff"]


@strawberry.type(description="One attribute of a fact, as text.")
class FactValue:
    name: str
    value: str | None


def _values(values: dict[str, Any] | None) -> list[FactValue] | None:
    if values is None:
        return None
    return [FactValue(name=k, value=None if v is None else str(v)) for k, v in sorted(values.items())]


@strawberry.type(description="A fact added, removed or changed between two releases.")
class FactChange:
    model: strawberry.Private[DomainChange]

    @strawberry.field(description="The fact's kind: BUNDLED_INTO, ADD_ON_OF, MUE, PAYMENT_STATUS, CODE, ...")
    def kind(self) -> str:
        return self.model.kind

    @strawberry.field(name="from", description="The code the fact belongs to (the add-on, the column-2 code, ...).")
    def from_(self) -> str:
        return self.model.from_code

    @strawberry.field(description="The other end: a code, a claim type or a payment system.")
    def to(self) -> str:
        return self.model.to

    @strawberry.field(description="Effective date, for dated edit rows.")
    def effective(self) -> str | None:
        return self.model.effective

    @strawberry.field(description="The attributes before (null when added).")
    def before(self) -> list[FactValue] | None:
        return _values(self.model.before)

    @strawberry.field(description="The attributes after (null when removed).")
    def after(self) -> list[FactValue] | None:
        return _values(self.model.after)


@strawberry.type(description="Counts of added, removed and changed facts.")
class DiffCounts:
    added: int
    removed: int
    changed: int


@strawberry.type(description="What changed between two releases, optionally for one code.")
class ReleaseDiff:
    model: strawberry.Private[DomainDiff]
    first: strawberry.Private[int]

    @strawberry.field(name="from", description="The older release.")
    def from_(self) -> str:
        return self.model.from_release

    @strawberry.field(description="The newer release.")
    def to(self) -> str:
        return self.model.to_release

    @strawberry.field(description="The code the diff is limited to, if any.")
    def code(self) -> str | None:
        return self.model.code

    @strawberry.field(description="How many facts were added, removed and changed (complete, whatever `first`).")
    def counts(self) -> DiffCounts:
        return DiffCounts(added=len(self.model.added), removed=len(self.model.removed), changed=len(self.model.changed))

    @strawberry.field(description="Facts in the newer release only (the first `first`).")
    def added(self) -> list[FactChange]:
        return [FactChange(model=c) for c in self.model.added[: self.first]]

    @strawberry.field(description="Facts in the older release only (the first `first`).")
    def removed(self) -> list[FactChange]:
        return [FactChange(model=c) for c in self.model.removed[: self.first]]

    @strawberry.field(description="Facts in both whose attributes differ (the first `first`).")
    def changed(self) -> list[FactChange]:
        return [FactChange(model=c) for c in self.model.changed[: self.first]]


@lru_cache(maxsize=8)
def _cached_diff(from_dir: Path, to_dir: Path, code: str | None) -> DomainDiff:
    return release_diff(from_dir, to_dir, code)


@strawberry.type
class DiffQuery:
    """The release-diff root field; merged into ``Query`` by :func:`server.schema.build_schema`."""

    @strawberry.field(description="Added, removed and changed facts between two served releases (names as in `release.layers`).")
    async def release_diff(self, info: Info, from_: Annotated[str, strawberry.argument(name="from")], to: str,
                           code: str | None = None, first: int = 100) -> ReleaseDiff:
        kg = graph_of(info)
        dirs = []
        for name, argument in ((from_, "from"), (to, "to")):
            directory = kg.release_dir(check_text(name, argument))
            if directory is None:
                served = ", ".join(d.name for d in kg.data_dirs) or "none (start the server with --data DIR)"
                raise ClientError(f"{argument}: {name[:64]!r} is not a served release; served releases: {served}")
            dirs.append(directory)
        if code is not None:
            kg.require_code_iri(check_code(code))
        count = check_range(first, "first", 0, MAX_FIRST)
        diff = await asyncio.to_thread(_cached_diff, dirs[0], dirs[1], code)
        return ReleaseDiff(model=diff, first=count)
