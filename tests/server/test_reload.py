"""Live reload, admin token, readiness and metrics, against the ASGI app in process."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from kg.verify import seal_release
from server.app import create_app
from server.settings import ServerSettings

pytestmark = pytest.mark.anyio

TOKEN = "correct-horse-battery-staple"
HEAD = """\
@prefix ck: <https://w3id.org/codingkg/ontology#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix cpt: <https://w3id.org/codingkg/cpt/> .
@prefix src: <https://w3id.org/codingkg/source/> .
@prefix rel: <https://w3id.org/codingkg/relationship/> .

src:reload-test a ck:Source ; dcterms:title "Add-on edits for the reload test" ;
    dcterms:publisher "CMS" ; ck:quarter "2026-Q3" ; ck:confidence ck:CmsFile .
"""
EDIT = """rel:reload-96375-{to} a ck:AddOnOf ; ck:fromCode cpt:96375 ; ck:toCode cpt:{to} ; ck:editType 1 ;
    ck:effective "2020-01-01"^^xsd:date ; dcterms:source src:reload-test .
"""
PRIMARIES = '{ validPrimaries(addOn: "96375", asOf: "2026-06-01") { code } }'


def write_release(directory: Path, primaries: list[str]) -> Path:
    """A sealed release whose add-on 96375 has exactly ``primaries``."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "addon.ttl").write_text(HEAD + "".join(EDIT.format(to=p) for p in primaries), encoding="utf-8")
    seal_release(directory)
    return directory


@pytest.fixture
def release(tmp_path: Path) -> Path:
    return write_release(tmp_path / "quarter", ["96365"])


@pytest.fixture
def app(release: Path) -> Any:
    return create_app(ServerSettings(data_dirs=(release,), use_cache=False), admin_token=TOKEN, json_access_log=True)


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
        yield c


async def _primaries(client: httpx.AsyncClient) -> list[str]:
    body = (await client.post("/graphql", json={"query": PRIMARIES})).json()
    return [c["code"] for c in body["data"]["validPrimaries"]]


async def _version(client: httpx.AsyncClient) -> str:
    return (await client.post("/graphql", json={"query": "{ release { version } }"})).json()["data"]["release"]["version"]


def _reload(client: httpx.AsyncClient, token: str | None = TOKEN) -> Any:
    headers = {"authorization": f"Bearer {token}"} if token is not None else {}
    return client.post("/admin/reload", headers=headers)


async def test_reload_swaps_in_the_new_release(client: httpx.AsyncClient, app: Any, release: Path) -> None:
    before = await _version(client)
    assert await _primaries(client) == ["96365"]
    in_flight = app.state.served.current  # what a request that started now holds
    write_release(release, ["96365", "96374"])
    response = await _reload(client)
    assert response.status_code == 200
    body = response.json()
    assert body["reloaded"] is True and body["previous"] == before and body["version"] != before
    assert await _version(client) == body["version"]
    assert await _primaries(client) == ["96365", "96374"]
    # The graph the earlier request held is untouched: it finishes on the old data.
    assert app.state.served.current is not in_flight
    assert [c.code for c in in_flight.valid_primaries("96375")] == ["96365"]


@pytest.mark.parametrize("damage", ["truncated", "manifest deleted", "directory gone"])
async def test_corrupt_release_offered_by_reload_leaves_the_old_one_serving(
    client: httpx.AsyncClient, release: Path, damage: str
) -> None:
    before = await _version(client)
    write_release(release, ["96365", "96374"])  # the new quarter, sealed ...
    data = release / "addon.ttl"
    if damage == "truncated":  # ... then cut at a line boundary
        lines = data.read_text().splitlines(keepends=True)
        data.write_text("".join(lines[:-2]))
        named = "addon.ttl"
    elif damage == "manifest deleted":
        (release / "manifest.json").unlink()
        named = "manifest.json"
    else:
        for path in release.iterdir():
            path.unlink()
        release.rmdir()
        named = str(release)
    response = await _reload(client)
    assert response.status_code == 409
    body = response.json()
    assert body["reloaded"] is False and named in body["error"] and body["version"] == before
    assert "Traceback" not in response.text
    assert await _version(client) == before
    assert await _primaries(client) == ["96365"]
    health = (await client.get("/readyz")).json()
    assert health["version"] == before


async def test_admin_needs_the_token(client: httpx.AsyncClient, app: Any, release: Path) -> None:
    before = await _version(client)
    write_release(release, ["96365", "96374"])
    for token in (None, "wrong", TOKEN[:-1], TOKEN + "x", ""):
        response = await _reload(client, token)
        assert response.status_code == 401, token
        assert response.headers["www-authenticate"].startswith("Bearer")
    basic = await client.post("/admin/reload", headers={"authorization": f"Basic {TOKEN}"})
    assert basic.status_code == 401
    assert await _version(client) == before and await _primaries(client) == ["96365"]  # nothing changed
    assert (await _reload(client)).status_code == 200


async def test_admin_endpoints_are_off_without_a_token(release: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CODINGKG_ADMIN_TOKEN", raising=False)
    app = create_app(ServerSettings(data_dirs=(release,), use_cache=False))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        assert (await client.post("/admin/reload", headers={"authorization": f"Bearer {TOKEN}"})).status_code == 404
    monkeypatch.setenv("CODINGKG_ADMIN_TOKEN", TOKEN)
    app = create_app(ServerSettings(data_dirs=(release,), use_cache=False))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        assert (await client.post("/admin/reload", headers={"authorization": f"Bearer {TOKEN}"})).status_code == 200


async def test_livez_and_readyz(client: httpx.AsyncClient) -> None:
    assert (await client.get("/livez")).json()["status"] == "alive"
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["version"] == await _version(client)


def _sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in a Prometheus exposition (0 when absent)."""
    for line in text.splitlines():
        match = re.match(r"^([a-zA-Z_:]+)(?:\{(.*)\})? (\S+)$", line)
        if not match or match[1] != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match[2] or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(match[3])
    return 0.0


async def test_metrics_count_operations_findings_and_reloads(client: httpx.AsyncClient, release: Path) -> None:
    first = (await client.get("/metrics")).text
    await _primaries(client)
    await _primaries(client)
    claim = {"claimType": "PROFESSIONAL", "dateOfService": "2026-06-01", "placeOfService": "11",
             "lines": [{"code": "96368"}]}  # an add-on alone: one ADDON_WITHOUT_PRIMARY finding
    await client.post("/graphql", json={"query": "query C($c: ClaimInput!) { checkClaim(claim: $c) { valid } }",
                                        "variables": {"c": claim}})
    await client.post("/graphql", json={"query": "{ nosuchfield }"})
    write_release(release, ["96365", "96374"])
    await _reload(client)
    (release / "addon.ttl").write_text("")
    await _reload(client)
    text = (await client.get("/metrics")).text

    def grew(name: str, **labels: str) -> float:
        return _sample(text, name, **labels) - _sample(first, name, **labels)

    assert grew("codingkg_requests_total", operation="query.validPrimaries", outcome="ok") == 2
    assert grew("codingkg_request_duration_seconds_count", operation="query.validPrimaries") == 2
    assert grew("codingkg_requests_total", operation="query.checkClaim", outcome="ok") == 1
    assert grew("codingkg_findings_total", rule="ADDON_WITHOUT_PRIMARY") == 1
    assert grew("codingkg_requests_total", operation="invalid", outcome="error") == 1
    assert grew("codingkg_reloads_total", outcome="ok") == 1 and grew("codingkg_reloads_total", outcome="refused") == 1
    served = json.loads((await client.get("/readyz")).text)["version"]
    assert _sample(text, "codingkg_graph_info", version=served) == 1
    assert _sample(text, "codingkg_graph_nodes") > 100


async def test_request_id_is_echoed_or_made_and_logged(client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="server.access"):
        echoed = await client.get("/livez", headers={"x-request-id": "abc-123"})
        made = await client.get("/livez", headers={"x-request-id": "not ok <script>"})
    assert echoed.headers["x-request-id"] == "abc-123"
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["x-request-id"])
    ids = [r.request_id for r in caplog.records if r.name == "server.access"]
    assert ids == ["abc-123", made.headers["x-request-id"]]
    from server.observability import JsonFormatter

    line = json.loads(JsonFormatter().format(caplog.records[0]))
    assert line["request_id"] == "abc-123" and line["status"] == 200 and line["operation"] == "/livez"


async def test_a_draining_worker_asks_clients_to_reconnect(client: httpx.AsyncClient, app: Any) -> None:
    assert "connection" not in (await client.get("/livez")).headers
    app.state.draining = True
    try:
        response = await client.post("/graphql", json={"query": PRIMARIES})
        assert response.status_code == 200 and response.headers["connection"] == "close"
    finally:
        app.state.draining = False


async def test_query_cost_is_read_from_the_response_extensions(release: Path) -> None:
    import strawberry

    @strawberry.type
    class Query:
        @strawberry.field
        def ping(self) -> str:
            return "pong"

    schema = strawberry.Schema(query=Query)
    app = create_app(ServerSettings(data_dirs=(release,), use_cache=False), schema=schema, admin_token="")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        before = (await client.get("/metrics")).text
        # The endpoint prices every query (server.cost): one scalar field costs 1.
        body = (await client.post("/graphql", json={"query": "{ ping a: ping b: ping }"})).json()
        assert body["extensions"]["cost"] == 3
        after = (await client.get("/metrics")).text
    assert _sample(after, "codingkg_query_cost_sum", operation="query.ping") - \
        _sample(before, "codingkg_query_cost_sum", operation="query.ping") == 3
    assert _sample(after, "codingkg_query_cost_count", operation="query.ping") - \
        _sample(before, "codingkg_query_cost_count", operation="query.ping") == 1


def test_compile_aside_writes_the_snapshot_or_says_why_not(release: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from server.compile import compile_aside

    cache = tmp_path / "cache"
    monkeypatch.setenv("CODINGKG_CACHE_DIR", str(cache))
    assert compile_aside(ServerSettings(data_dirs=(release,))) is None
    assert len(list(cache.glob("graph-*.snap"))) == 1
    (release / "manifest.json").unlink()
    problem = compile_aside(ServerSettings(data_dirs=(release,)))
    assert problem is not None and "manifest.json" in problem and "\n" not in problem
