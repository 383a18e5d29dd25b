"""The columnar fast path for bulk PTP rows behaves like the generic loader."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from kg.bulk import BULK_MARKER
from kg.graph import KnowledgeGraph
from kg.importers.cms_layouts import PtpRecord
from kg.importers.release import import_files
from kg.snapshot import cached_load
from kg.verify import seal_release


def _facts(kg: KnowledgeGraph, code: str, as_of: date) -> set[tuple]:
    iri = kg.require_code_iri(code)
    return {(e.source, e.target, e.kind, e.attrs["id"], e.attrs.get("modifierIndicator"), e.attrs.get("rationale"),
             e.attrs.get("claimType"), e.attrs.get("effective"), e.attrs.get("end"), e.attrs["sources"])
            for e in kg.edges(iri, None, "both", as_of) if e.kind in ("BUNDLED_INTO", "MUTUALLY_EXCLUSIVE_WITH")}


def test_bulk_files_are_used_and_match_the_generic_parse(small_release: Path, tmp_path: Path) -> None:
    fast = KnowledgeGraph.default([small_release], baseline=False)
    assert fast.bulk is not None and len(fast.bulk) == 7
    slow_dir = tmp_path / "generic"
    slow_dir.mkdir()
    for path in small_release.iterdir():
        text = path.read_text()
        if text.startswith(BULK_MARKER):
            text = text.replace(" ; ", " ;\n    ")  # still Turtle, no longer the one-line layout
        (slow_dir / path.name).write_text(text)
    seal_release(slow_dir)  # the reformatted files are deliberate: record them in the manifest
    slow = KnowledgeGraph.default([slow_dir], baseline=False)
    assert slow.bulk is None
    for code in ("96360", "96372", "96368", "J1100"):
        for day in (date(2012, 1, 1), date(2019, 6, 1), date(2026, 8, 1)):
            assert _facts(fast, code, day) == _facts(slow, code, day)
    assert _facts(fast, "96372", date(2019, 6, 1))


def test_later_release_overrides_earlier_ptp_rows(tmp_path: Path, quarter_writer: Callable[..., list[Path]]) -> None:
    import_files(quarter_writer(tmp_path / "a")[:1], tmp_path / "ra")
    later = [PtpRecord("96365", "96360", date(2026, 7, 1), None, 0)]
    import_files(quarter_writer(tmp_path / "b", ptp=later, version="v323r0")[:1], tmp_path / "rb")
    kg = KnowledgeGraph.default([tmp_path / "ra", tmp_path / "rb"], baseline=False)
    out = kg.edges(kg.require_code_iri("96360"), "BUNDLED_INTO", "out", date(2026, 8, 1))
    assert [(kg.node(e.target)["notation"], e.attrs["modifierIndicator"]) for e in out] == [("96365", 0)]
    # codes the later release does not touch keep the earlier release's rows
    assert kg.edges_between(kg.require_code_iri("96372"), kg.require_code_iri("96365"), "BUNDLED_INTO")


def test_snapshot_keeps_the_bulk_table(small_release: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kg.load import rdf_files
    from ontology import default_files

    monkeypatch.setenv("CODINGKG_CACHE_DIR", str(tmp_path / "cache"))
    layers = [default_files(), rdf_files(small_release)]
    first = cached_load(layers)
    assert list((tmp_path / "cache").glob("graph-*.snap"))
    again = cached_load(layers)
    assert again is not first and len(again.bulk) == len(first.bulk) == 7
    kg = KnowledgeGraph(again, ["curated", "r"])
    [edge] = kg.edges_between(kg.require_code_iri("96372"), kg.require_code_iri("96365"), "BUNDLED_INTO")
    assert edge.attrs["effective"] == date(2010, 1, 1)
    assert kg.release().edges == kg.graph.number_of_edges() + 7
