"""The ``Finding`` type shared by ``checkClaim`` and ``codeEncounter``: what fired, and why.

>>> from kg.model import Finding as DomainFinding, Severity as DomainSeverity
>>> Finding.from_model(DomainFinding("NO_DATA", DomainSeverity.INFO, "no MUE", ("96365",), 1)).rule()
'NO_DATA'
"""

from __future__ import annotations

from collections.abc import Iterable

import strawberry

from kg import model as domain
from server.types import Relationship, Source, relationships_of, sources_of

__all__ = ["Finding", "Severity", "findings_of"]

Severity = strawberry.enum(domain.Severity, name="Severity", description="How serious a finding is.")


@strawberry.type(description="Something a check found: the rule id, the line, the codes, and the sources and edges behind it.")
class Finding:
    """A :class:`kg.model.Finding`."""

    model: strawberry.Private[domain.Finding]

    @classmethod
    def from_model(cls, finding: domain.Finding) -> Finding:
        """Wrap a domain finding."""
        return cls(model=finding)

    @strawberry.field(description="Stable rule id, e.g. ADDON_WITHOUT_PRIMARY, MUE_EXCEEDED, NO_DATA (see the README).")
    def rule(self) -> str:
        return self.model.rule

    @strawberry.field(description="ERROR: the claim will be denied as it stands; WARNING: review; INFO: for the record.")
    def severity(self) -> Severity:  # type: ignore[valid-type]
        return self.model.severity

    @strawberry.field(description="What is wrong and what to do, in plain language.")
    def message(self) -> str:
        return self.model.message

    @strawberry.field(description="The codes involved.")
    def codes(self) -> list[str]:
        return list(self.model.codes)

    @strawberry.field(description="The 1-based claim line it is about; null for the whole claim or encounter.")
    def line(self) -> int | None:
        return self.model.line

    @strawberry.field(description="The sources behind the rule and the facts it used, strongest first.")
    def sources(self) -> list[Source]:
        return sources_of(self.model.sources)

    @strawberry.field(description="Why: the graph edges that made the rule fire (or that were looked for).")
    def path(self) -> list[Relationship]:
        return relationships_of(self.model.path)


def findings_of(findings: Iterable[domain.Finding]) -> list[Finding]:
    """Wrap domain findings."""
    return [Finding.from_model(f) for f in findings]
