"""What every check kind needs while checking one claim: the lines resolved against the graph,
dated lookups (memoised for the claim) and the builder that turns a rule into a finding.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

from kg.claims.model import Claim, ClaimLine
from kg.claims.rules import ClaimRule, RuleBook, Selection, StatusInfo
from kg.graph import KnowledgeGraph
from kg.model import Code, Edge, Finding, ModifierRule, Relationship, Source, is_active

__all__ = ["ClaimContext", "LineMue", "LineStatus", "LineView", "fill"]


class _Values(dict[str, Any]):
    """Template values; an unknown placeholder stays as written instead of failing."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def fill(template: str, values: dict[str, Any]) -> str:
    """Fill a rule's message template; a malformed template is returned as written.

    >>> fill("Line {line}: {code} {unknown}", {"line": 2, "code": "96368"})
    'Line 2: 96368 {unknown}'
    >>> fill("odd {", {})
    'odd {'
    """
    try:
        return template.format_map(values)
    except KeyError:
        pass  # a placeholder without a value: fill again, keeping it as written (copying the values costs)
    except (ValueError, IndexError, AttributeError):
        return template
    try:
        return template.format_map(_Values(values))
    except (ValueError, IndexError, AttributeError, KeyError):
        return template


@dataclass(frozen=True, slots=True)
class LineMue:
    """The MUE in force for a line's code and the claim type."""

    max_units: int
    adjudication: str
    per_date_of_service: bool
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LineStatus:
    """A line's status in the claim type's payment system: what the status means, and its sources."""

    system: str
    info: StatusInfo
    sources: tuple[str, ...]

    @property
    def status(self) -> str:
        return self.info.notation

    @property
    def meaning(self) -> str:
        return self.info.meaning

    @property
    def packaging(self) -> str:
        return self.info.packaging

    @property
    def packaged_with(self) -> tuple[str, ...]:
        return self.info.packaged_with


class LineView(NamedTuple):
    """A claim line with its 1-based number and the code's IRI (``None`` when not a valid code).

    A named tuple: ten are built for every ten-line claim, several times faster than a frozen
    dataclass, and as immutable.
    """

    number: int
    line: ClaimLine
    iri: str | None
    code: Code | None

    @property
    def notation(self) -> str:
        return self.line.code


class ClaimContext:
    """One claim being checked: resolved lines, memoised dated lookups and a finding builder."""

    def __init__(self, kg: KnowledgeGraph, book: RuleBook, claim: Claim, as_of: date) -> None:
        self.kg = kg
        self.book = book
        self.claim = claim
        self.as_of = as_of
        #: The claim type's name (a plain string hashes faster than the enum in memo keys).
        self.claim_type = claim_type = claim.claim_type.value
        place = claim.place_of_service
        self.selection: Selection = book.select(claim.payer, claim_type, place, as_of)
        #: Per-code facts on the date of service, shared with every claim of that date (see
        #: :meth:`RuleBook.day_facts`); ``_memo`` holds what depends on this claim's lines.
        self.facts = facts = book.day_facts(as_of)
        self.lines: list[LineView] = []
        self.known: list[LineView] = []
        self.on_claim: dict[str, list[LineView]] = {}
        for number, line in enumerate(claim.lines, start=1):
            key = ("code", line.code)
            resolved = facts.get(key)
            if resolved is None:
                iri = kg.code_iri(line.code)
                code = kg.code(line.code, as_of) if iri is not None else None
                resolved = facts[key] = (iri if code is not None else None, code)
            lv = LineView(number, line, *resolved)
            self.lines.append(lv)
            if lv.iri is not None:
                self.known.append(lv)
                same_code = self.on_claim.get(lv.iri)
                if same_code is None:
                    self.on_claim[lv.iri] = [lv]
                else:
                    same_code.append(lv)
        self.payment_system = book.payment_system.get(claim_type)
        self._memo: dict[tuple[Any, ...], Any] = {}
        #: Pair probes made by :meth:`linked_pairs` (partner sets read plus edge lookups).
        self.pair_lookups = 0
        assert book.index is not None
        self._index = book.index
        self._base = {
            "date": as_of.isoformat(),
            "claimType": claim_type,
            "pos": place or "",
            "posName": book.places.get(place or "", ""),
            "payer": claim.payer,
        }

    # ------------------------------------------------------------------ memoised lookups
    def cached(self, key: tuple[Any, ...], compute: Any) -> Any:
        """``compute()`` once per claim under ``key``."""
        try:
            return self._memo[key]
        except KeyError:
            value = self._memo[key] = compute()
            return value

    def compiled(self, rules: Sequence[ClaimRule] | None, key: tuple[Any, ...], compute: Any) -> Any:
        """``compute()`` once per graph, date span and ``rules`` under ``key``: what a check's
        rules make of one code (or pair), which every later claim naming it reuses.

        Args:
            rules: the rules ``compute`` reads, as the selection holds them (the rule book
                keeps one tuple per distinct set of rules), or ``None`` when it reads none.
            key: names the question and every input ``compute`` reads besides the graph, the
                date of service and ``rules``: the codes, and the claim type when it matters.
            compute: reads only what ``key`` and ``rules`` name; never the claim's lines.
        """
        facts = self.facts
        full = (id(rules), *key)
        try:
            return facts[full]
        except KeyError:
            value = facts[full] = compute()
            return value

    def out_edges(self, iri: str, kind: str) -> list[Edge]:
        """Active edges of ``kind`` leaving ``iri`` on the date of service."""
        key = ("out", iri, kind)
        found = self.facts.get(key)
        if found is None:
            day = self.as_of
            found = self.facts[key] = [Edge(iri, t, a) for t, a in self._index.out_kind(iri).get(kind, ())
                                       if is_active(a, day)]
            found.extend(self._bulk(iri, kind, "out"))
        return found

    def in_edges(self, iri: str, kind: str) -> list[Edge]:
        """Active edges of ``kind`` arriving at ``iri`` on the date of service."""
        key = ("in", iri, kind)
        found = self.facts.get(key)
        if found is None:
            day = self.as_of
            found = self.facts[key] = [Edge(s, iri, a) for s, a in self._index.in_kind(iri).get(kind, ())
                                       if is_active(a, day)]
            found.extend(self._bulk(iri, kind, "in"))
        return found

    def _bulk(self, iri: str, kind: str, direction: str) -> list[Edge]:
        # Imported PTP rows live in the graph's columnar table, not in networkx (see kg.bulk).
        bulk = self.kg.bulk
        if bulk is None or kind not in bulk.kind_set:
            return []
        return list(bulk.edges(iri, kind, direction, self.as_of))

    def linked_pairs(self, kinds: frozenset[str] | None = None) -> list[tuple[LineView, LineView, list[dict[str, Any]]]]:
        """Ordered pairs of lines whose codes are joined by an edge (any date; of one of
        ``kinds``, or of any kind), with the attributes of every edge joining them: computed
        once per claim and ``kinds``. Each line intersects its code's partner set
        (:class:`kg.claims.rule_index.PairIndex`) with the claim's codes; only pairs that
        exist are probed (``pair_lookups`` counts the probes)."""

        bulk = self.kg.bulk
        assert self.book.pairs is not None
        index = self.book.pairs
        bulk_partners_of = index.bulk_partners
        facts = self.facts

        def partners_of(iri: str) -> frozenset[str]:
            return index.partners(iri) if kinds is None else index.partners_by(iri, kinds)

        def compute() -> list[tuple[LineView, LineView, list[dict[str, Any]]]]:
            pairs = []
            on_claim = self.on_claim
            for lv in self.known:
                assert lv.iri is not None
                self.pair_lookups += 1
                partners = partners_of(lv.iri)
                if partners.isdisjoint(on_claim):
                    continue  # most lines: no edge to any code of the claim, and no set built
                common = on_claim.keys() & partners
                common.discard(lv.iri)
                if common:
                    targets = self._index.out_by_target(lv.iri)
                    in_bulk = bulk_partners_of(lv.iri) if bulk is not None else frozenset()
                    for other in self.known:
                        if other.iri not in common:
                            continue
                        self.pair_lookups += 1
                        key = ("pair", lv.iri, other.iri)
                        found = facts.get(key, facts)
                        if found is facts:  # not yet looked up on this date
                            found = targets.get(other.iri)
                            if other.iri in in_bulk:
                                assert bulk is not None
                                # Imported PTP rows (active on the date of service) from the columnar table.
                                imported = [e.attrs for kind in bulk.kind_set
                                            for e in bulk.edges_between(lv.iri, other.iri, kind, self.as_of)]
                                if imported:
                                    found = [*(found or ()), *imported]
                            facts[key] = found
                        if other.iri in in_bulk:
                            self.pair_lookups += len(bulk.kind_set)  # type: ignore[union-attr]
                        if found:
                            pairs.append((lv, other, found))
            return pairs

        return self.cached(("pairs", kinds), compute)

    def _in_force(self, iri: str, kind: str, target: str | None) -> dict[str, Any] | None:
        # The fact in force for one target: active on the date of service and, among those,
        # the latest effective one (as KnowledgeGraph.mue and payment_statuses choose).
        day = self.as_of
        best: dict[str, Any] | None = None
        for other, attrs in self._index.out_kind(iri).get(kind, ()):
            if other != target or not is_active(attrs, day):
                continue
            if best is None or (attrs.get("effective") or date.min) >= (best.get("effective") or date.min):
                best = attrs
        return best

    def mue(self, lv: LineView) -> LineMue | None:
        """The MUE of the line's code for the claim type, or ``None`` when the graph has none."""
        key = ("mue", lv.iri, self.claim_type)
        if key in self.facts:
            return self.facts[key]
        assert lv.iri is not None
        a = self._in_force(lv.iri, self.book.mue_kind, self.book.claim_type_iri.get(self.claim.claim_type.value))
        found = None
        if a is not None:
            adjudication = self.kg.node(a["adjudication"]) if a.get("adjudication") else {}
            found = LineMue(max_units=int(a["maxUnits"]), adjudication=str(adjudication.get("enumName", "")),
                            # no adjudication given: counted per date of service, as KnowledgeGraph.mue does
                            per_date_of_service=bool(adjudication.get("perDateOfService", True)),
                            sources=tuple(a.get("sources", ())))
        self.facts[key] = found
        return found

    def status(self, lv: LineView) -> LineStatus | None:
        """The line's status in the claim type's payment system, or ``None``."""
        key = ("status", lv.iri, self.claim_type)
        if key in self.facts:
            return self.facts[key]
        system = self.book.payment_system_iri.get(self.claim.claim_type.value)
        found = None
        if system is not None and lv.iri is not None:
            a = self._in_force(lv.iri, self.book.status_kind, system)
            if a is not None and a.get("status"):
                found = LineStatus(system=self.payment_system or "", info=self.book.status_info(a["status"]),
                                   sources=tuple(a.get("sources", ())))
        self.facts[key] = found
        return found

    def modifier_rules(self, lv: LineView) -> list[ModifierRule]:
        """The modifier rules of the line's code on the date of service (kept per date span)."""
        return self.compiled(None, ("modifier-rules", lv.notation), lambda: self.book.modifier_rules(lv.notation, self.as_of))

    def is_add_on(self, lv: LineView) -> bool:
        return bool(lv.code and lv.code.is_add_on)

    def has_modifier(self, lv: LineView, flag: str) -> bool:
        """Whether a modifier on the line carries ``flag`` (``bypasses_ptp``, ``marks_separate_site``)."""
        modifiers = self.book.modifiers
        return any(getattr(modifiers[m], flag) for m in lv.line.modifiers if m in modifiers)

    def modifiers_with(self, flag: str) -> str:
        """The graph's modifiers carrying ``flag``, listed for a message (listed once per graph)."""
        return self.compiled(None, ("modifiers-with", flag), lambda: ", ".join(
            sorted(code for code, m in self.book.modifiers.items() if getattr(m, flag))))

    def relationships(self, edges: Iterable[Edge]) -> tuple[Relationship, ...]:
        """Edges as relationships, each once (an n-ary edge id can reach a check twice).

        The tuple is kept per graph for the same edges, so findings citing the same path share
        it (and it is encoded once when written)."""
        edges = list(edges)
        keys = tuple(str(edge.attrs.get("id")) + edge.source + edge.target for edge in edges)
        memo = self.book.paths
        found = memo.get(keys)
        if found is None:
            seen: dict[str, Relationship] = {}
            for key, edge in zip(keys, edges, strict=True):
                if key not in seen:
                    seen[key] = self.kg.relationship(edge)
            if len(memo) > 65536:  # bounded: paths grow with the data
                memo.clear()
            found = memo[keys] = tuple(seen.values())
        return found

    # ------------------------------------------------------------------ findings
    def _sources(self, rule: ClaimRule, extra: Iterable[Source | str],
                 key: tuple[str, ...] | None = None) -> tuple[Source, ...]:
        # Sources are graph nodes (one Source object per IRI), so their IRIs name the result;
        # the tuple is shared by every finding citing the same sources (and encoded once).
        # ``key``, when given, names the result in place of the IRIs (see no_data).
        items = tuple(extra)
        if key is None:
            key = (rule.iri, *(item if isinstance(item, str) else item.iri for item in items)) if items else (rule.iri,)
        memo = self.book.finding_sources
        found = memo.get(key)
        if found is None:
            merged: dict[str, Source] = {s.iri: s for s in rule.sources}
            for item in items:
                src = item if isinstance(item, Source) else self.kg.source(item)
                merged.setdefault(src.iri, src)
            if len(memo) > 65536:  # bounded: combinations of sources grow with the data
                memo.clear()
            found = memo[key] = tuple(sorted(merged.values(), key=lambda s: (-s.confidence_rank, s.title)))
        return found

    def values(self, lv: LineView | None, **more: Any) -> dict[str, Any]:
        """Template values for a line: the claim's plus line, code and units, plus ``more``."""
        if lv is None:
            return {**self._base, **more}
        line = lv.line
        return {**self._base, "line": lv.number, "code": line.code, "units": line.units, **more}

    def finding(
        self,
        rule: ClaimRule,
        lv: LineView | None,
        codes: Sequence[str] = (),
        values: dict[str, Any] | None = None,
        sources: Iterable[Source | str] = (),
        path: Sequence[Relationship] = (),
    ) -> Finding:
        """The finding ``rule`` reports for a line (or the claim when ``lv`` is ``None``)."""
        assert rule.rule_id is not None and rule.severity is not None  # enforced when compiling
        vals = values if values is not None else self.values(lv)
        vals.setdefault("ruleLabel", rule.label)
        return Finding.of(rule.rule_id, rule.severity, fill(rule.message, vals), tuple(codes),
                          None if lv is None else lv.number, self._sources(rule, sources), tuple(path))

    def no_data(
        self,
        rules: Sequence[ClaimRule],
        lv: LineView | None,
        values: dict[str, Any] | None = None,
        sources: Iterable[Source | str] = (),
    ) -> Finding:
        """A ``NO_DATA`` finding: the graph cannot decide ``rules`` for a line or the claim.

        The message is the first rule's ``ck:noDataMessage``, else the no-data policy's; the
        severity the rule's ``ck:noDataSeverity``, else the policy's.
        """
        policy = self.selection.no_data
        owner = rules[0] if rules else policy
        if not owner.no_data_message:
            owner = next((r for r in rules if r.no_data_message), owner)
        vals = values if values is not None else self.values(lv)
        vals.setdefault("ruleLabel", owner.label)
        fallback = policy.message if lv is not None else (policy.claim_message or policy.message)
        template = owner.no_data_message or fallback
        severity = owner.no_data_severity or policy.severity
        assert severity is not None  # a policy without a severity is rejected when compiling
        if sources:
            cited = self._sources(policy, (*owner.sources, *sources))
        else:  # the common case: the policy's and the owner's sources, kept per pair of rules
            key = (policy.iri, "\0", owner.iri)  # "\0" is no IRI: apart from the keys _sources makes
            cited = self.book.finding_sources.get(key) or self._sources(policy, owner.sources, key)
        if lv is None:
            return Finding.of(policy.rule_id or "", severity, fill(template, vals), (), None, cited)
        return Finding.of(policy.rule_id or "", severity, fill(template, vals), (lv.line.code,), lv.number, cited)
