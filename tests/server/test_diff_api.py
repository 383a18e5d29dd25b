"""``releaseDiff`` over HTTP: two quarters imported in the test, compared by release name."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from kg.graph import KnowledgeGraph
from kg.importers.cms_layouts import MueRecord, PtpRecord, write_mue, write_ptp
from kg.importers.release import import_files
from server.app import create_app
from server.settings import ServerSettings
from tests.server.helpers import data_of, gql, messages

pytestmark = pytest.mark.anyio

DIFF = """query Diff($from: String!, $to: String!, $code: String) {
  releaseDiff(from: $from, to: $to, code: $code) {
    from to code counts { added removed changed }
    added { kind from to effective after { name value } }
    changed { kind from to before { name value } after { name value } }
  }
}"""


def _quarter(root: Path, version: str, ptp: list[PtpRecord], mue: list[MueRecord], name: str) -> Path:
    (root / version).mkdir()
    files = [write_ptp(root / version / f"ccipra-{version}-f1.txt", ptp),
             write_mue(root / version / "MCR_MUE_PractitionerServices_Eff_07-01-2026.csv", "practitioner", mue)]
    import_files(files, root / name)
    return root / name


@pytest.fixture(scope="module")
def diff_app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = tmp_path_factory.mktemp("quarters")
    bundled = PtpRecord("96413", "96360", date(2009, 1, 1), None, 1)
    q2 = _quarter(root, "v321r0", [bundled], [MueRecord("96368", 1, 2)], "2026q2")
    q3 = _quarter(root, "v322r0", [bundled, PtpRecord("96365", "96372", date(2026, 7, 1), None, 0)],
                  [MueRecord("96368", 2, 2)], "2026q3")
    return create_app(ServerSettings(), kg=KnowledgeGraph.default([q2, q3], baseline=False))


@pytest.fixture
async def diff_client(diff_app: Any) -> Any:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=diff_app), base_url="http://testserver") as c:
        yield c


async def test_added_and_changed_facts_between_quarters(diff_client: httpx.AsyncClient) -> None:
    data = await data_of(diff_client, DIFF, {"from": "2026q2", "to": "2026q3"})
    diff = data["releaseDiff"]
    assert (diff["from"], diff["to"]) == ("2026q2", "2026q3")
    added = {(f["kind"], f["from"], f["to"]) for f in diff["added"]}
    assert ("BUNDLED_INTO", "96372", "96365") in added
    (mue,) = [c for c in diff["changed"] if c["kind"] == "MUE"]
    assert mue["from"] == "96368"
    assert {"name": "maxUnits", "value": "1"} in mue["before"] and {"name": "maxUnits", "value": "2"} in mue["after"]


async def test_diff_for_one_code(diff_client: httpx.AsyncClient) -> None:
    data = await data_of(diff_client, DIFF, {"from": "2026q2", "to": "2026q3", "code": "96368"})
    counts = data["releaseDiff"]["counts"]
    assert counts == {"added": 0, "removed": 0, "changed": 1}


async def test_only_served_releases_can_be_compared(diff_client: httpx.AsyncClient) -> None:
    body = await gql(diff_client, DIFF, {"from": "/etc", "to": "2026q3"})
    assert messages(body) == ["from: '/etc' is not a served release; served releases: 2026q2, 2026q3"]
    body = await gql(diff_client, DIFF, {"from": "2026q2", "to": "2026q3", "code": "99999"})
    assert messages(body) == ["unknown code '99999'"]


async def test_a_server_without_releases_says_so(client: httpx.AsyncClient) -> None:
    body = await gql(client, DIFF, {"from": "a", "to": "b"})
    assert "start the server with --data DIR" in messages(body)[0]
