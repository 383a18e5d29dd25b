"""SHACL validation: the shipped data conforms; broken data fails with a clear message."""

from __future__ import annotations

from pathlib import Path

import pytest

from codingkg.cli import main
from kg.validate import default_data_files, validate_files
from kg.verify import seal_release

HEAD = """
@prefix ck: <https://w3id.org/codingkg/ontology#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix cpt: <https://w3id.org/codingkg/cpt/> .
@prefix src: <https://w3id.org/codingkg/source/> .
@prefix claim: <https://w3id.org/codingkg/claim-type/> .
"""
BROKEN = {
    "missing notation": (
        """cpt:0000X a ck:Code ; skos:prefLabel "made-up code" ;
               skos:inScheme <https://w3id.org/codingkg/scheme/cpt> ; dcterms:source src:seed-96368 .""",
        "https://w3id.org/codingkg/cpt/0000X", "notation"),
    "add-on pointing at an unknown code": (
        """<https://w3id.org/codingkg/relationship/bad> a ck:AddOnOf ; ck:fromCode cpt:96368 ;
               ck:toCode cpt:11111 ; dcterms:source src:seed-96368 .""",
        "https://w3id.org/codingkg/relationship/bad", "toCode"),
    "non-integer MUE": (
        """<https://w3id.org/codingkg/mue/bad> a ck:MueLimit ; ck:code cpt:96368 ; ck:claimType claim:professional ;
               ck:maxUnits "one" ; dcterms:source src:seed-96368 .""",
        "https://w3id.org/codingkg/mue/bad", "maxUnits"),
    "MUE without the date it took effect": (
        """<https://w3id.org/codingkg/mue/undated> a ck:MueLimit ; ck:code cpt:96368 ; ck:claimType claim:professional ;
               ck:maxUnits 1 ; dcterms:source src:seed-96368 .""",
        "https://w3id.org/codingkg/mue/undated", "effective"),
    "payment status without the date it took effect": (
        """<https://w3id.org/codingkg/payment-status/undated> a ck:PaymentStatus ; ck:code cpt:96368 ;
               ck:paymentSystem <https://w3id.org/codingkg/payment-system/mpfs> ;
               ck:status <https://w3id.org/codingkg/status-value/mpfs-A> ; dcterms:source src:seed-96368 .""",
        "https://w3id.org/codingkg/payment-status/undated", "effective"),
    "fact without a source": (
        """<https://w3id.org/codingkg/relationship/nosrc> a ck:AlternativeTo ; ck:fromCode cpt:96368 ;
               ck:toCode cpt:96367 .""",
        "https://w3id.org/codingkg/relationship/nosrc", "source"),
    "HCPCS range without a category": (
        """<https://w3id.org/codingkg/hcpcs-range/bad> a ck:HcpcsRange ; ck:rangeStart "J9000" ;
               ck:rangeEnd "J9999" ; dcterms:source src:seed-96368 .""",
        "https://w3id.org/codingkg/hcpcs-range/bad", "drugCategory"),
    "HCPCS range with a malformed end": (
        """<https://w3id.org/codingkg/hcpcs-range/odd> a ck:HcpcsRange ; ck:rangeStart "J9000" ; ck:rangeEnd "J99" ;
               ck:drugCategory <https://w3id.org/codingkg/drug-category/antineoplastic> ; dcterms:source src:seed-96368 .""",
        "https://w3id.org/codingkg/hcpcs-range/odd", "rangeEnd"),
    "delivery rule without a route that is no refill": (
        """<https://w3id.org/codingkg/encounter/delivery-bad> a ck:DeliveryRule ;
               ck:deliveryMode <https://w3id.org/codingkg/encounter/mode-push> ; dcterms:source src:seed-96368 .""",
        "https://w3id.org/codingkg/encounter/delivery-bad", ""),
}


def test_shipped_data_conforms() -> None:
    report = validate_files(default_data_files())
    assert report.conforms, [str(v) for v in report.violations]


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_data_fails_naming_node_and_path(tmp_path: Path, case: str) -> None:
    body, focus, path_part = BROKEN[case]
    (tmp_path / "broken.ttl").write_text(HEAD + body, encoding="utf-8")
    seal_release(tmp_path)
    report = validate_files(default_data_files([tmp_path]))
    assert not report.conforms
    assert any(v.focus_node == focus and path_part in (v.path or "") for v in report.violations), report.violations


def test_cli_exit_codes_and_messages(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate"]) == 0
    assert "valid" in capsys.readouterr().out
    (tmp_path / "broken.ttl").write_text(HEAD + BROKEN["add-on pointing at an unknown code"][0], encoding="utf-8")
    seal_release(tmp_path)
    assert main(["validate", "--data", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "relationship/bad" in err and "toCode" in err and "must name one known ck:Code" in err


def test_unparseable_file_is_a_violation_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "junk.ttl").write_text("this is not turtle", encoding="utf-8")
    seal_release(tmp_path)
    report = validate_files(default_data_files([tmp_path]))
    assert not report.conforms
    assert "junk.ttl" in report.violations[0].focus_node
