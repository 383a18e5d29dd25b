"""The command line prints exactly what the API answers: one serializer, the GraphQL types."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from codingkg.cli import main
from server.offline import CHECK_DOCUMENT, CODE_DOCUMENT
from tests.server.helpers import data_of

pytestmark = pytest.mark.anyio

CLAIMS = [
    {"claimType": "PROFESSIONAL", "placeOfService": "11", "dateOfService": "2026-06-01",
     "lines": [{"code": "99214", "modifiers": ["25"]}, {"code": "96365"}, {"code": "96368"}]},
    {"claimType": "FACILITY_OUTPATIENT", "dateOfService": "2026-06-01", "lines": [{"code": "96368"}, {"code": "J9999"}]},
]
ENCOUNTER = {"perspective": "FACILITY", "date": "2026-04-10", "administrations": [
    {"id": "a", "substance": "carboplatin", "category": "CHEMOTHERAPY", "route": "IV_INFUSION",
     "start": "09:00", "stop": "09:45"},
    {"id": "b", "substance": "ondansetron", "category": "THERAPEUTIC", "route": "IV_INFUSION",
     "start": "09:00", "stop": "09:30"}]}


def _cli(tmp_path: Any, capsys: pytest.CaptureFixture[str], command: str, document: Any) -> Any:
    path = tmp_path / "input.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    main([command, str(path)])
    return json.loads(capsys.readouterr().out)


async def test_check_prints_the_api_answer(client: httpx.AsyncClient, tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    api = (await data_of(client, CHECK_DOCUMENT, {"claims": CLAIMS}))["checkClaims"]
    assert _cli(tmp_path, capsys, "check", CLAIMS) == api
    assert _cli(tmp_path, capsys, "check", CLAIMS[0]) == api[0]
    paths = [p for check in api for f in check["findings"] for p in f["path"]]
    assert paths and all(set(p["from"]) == {"code"} for p in paths)  # the GraphQL shape: related codes are objects


async def test_code_prints_the_api_answer(client: httpx.AsyncClient, tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    api = (await data_of(client, CODE_DOCUMENT, {"encounter": ENCOUNTER}))["codeEncounter"]
    assert _cli(tmp_path, capsys, "code", ENCOUNTER) == api
    assert [line["code"] for line in api["lines"]] == ["96413", "96368"]
