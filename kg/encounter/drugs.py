"""Which substance category an administration belongs to."""

from __future__ import annotations

from kg.encounter.context import CodingContext
from kg.encounter.model import Administration

__all__ = ["category_of"]


def category_of(ctx: CodingContext, adm: Administration) -> str | None:
    """The category name of an administration."""
    return adm.category.value
