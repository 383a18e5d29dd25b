"""Kept answers: a repeated request is answered without running, and never with a stale or wrong answer."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from kg.graph import KnowledgeGraph
from server.answers import Answer, AnswerCache
from server.app import create_app
from server.endpoint import GraphQLEndpoint
from server.metrics import REGISTRY
from server.settings import ServerSettings

pytestmark = pytest.mark.anyio

# An add-on alone on a claim: one ADDON_WITHOUT_PRIMARY finding.
LONE_ADD_ON = ('{ checkClaim(claim: {claimType: PROFESSIONAL, placeOfService: "11", dateOfService: "2026-06-01", '
               'lines: [{code: "96368"}]}) { valid findings { rule } } }')
# No asOf: answered as of today.
PRIMARIES = '{ validPrimaries(addOn: "96375") { code } }'


class _Graph:
    """Stands for a served graph: the cache only compares graphs by identity."""


def _key(body: bytes, day: int = 1) -> Any:
    return AnswerCache.key("POST", "application/json", body, day)


def test_least_recently_used_answers_go_first_when_the_bytes_run_out() -> None:
    graph = _Graph()
    cache = AnswerCache(lambda: graph, max_bytes=64 * 1000)  # entries of at most 1,000 bytes
    answer = Answer(body=b"x" * 400, cost=1)
    keys = [_key(f"q{n}".encode()) for n in range(200)]
    for key in keys[:3]:
        assert cache.put(graph, key, answer)
    assert cache.get(graph, keys[0]) is answer  # now the most recently used
    for key in keys[3:]:
        cache.put(graph, key, answer)
    assert cache.bytes <= cache.max_bytes
    assert cache.get(graph, keys[1]) is None and cache.get(graph, keys[-1]) is answer
    assert len(cache) == cache.bytes // answer.size(keys[-1])


def test_an_answer_larger_than_its_share_is_not_kept() -> None:
    graph = _Graph()
    cache = AnswerCache(lambda: graph, max_bytes=64 * 1000)
    assert not cache.put(graph, _key(b"big"), Answer(body=b"x" * 1000, cost=1))
    assert len(cache) == 0 and cache.bytes == 0


def test_a_swapped_graph_drops_every_answer_and_refuses_late_ones_from_the_old() -> None:
    old, new = _Graph(), _Graph()
    served = [old]
    cache = AnswerCache(lambda: served[0], max_bytes=100_000)
    key = _key(b"q")
    assert cache.put(old, key, Answer(body=b"old", cost=1))
    served[0] = new  # a reload
    assert cache.get(new, key) is None and len(cache) == 0
    # A request that started on the old graph finishes after the swap: its answer is not kept.
    assert not cache.put(old, key, Answer(body=b"old", cost=1))
    assert cache.get(new, key) is None


def test_a_cache_of_zero_bytes_keeps_nothing() -> None:
    graph = _Graph()
    cache = AnswerCache(lambda: graph, max_bytes=0)
    assert not cache.put(graph, _key(b"q"), Answer(body=b"a", cost=1))
    assert cache.get(graph, _key(b"q")) is None


def _endpoint(app: Any) -> GraphQLEndpoint:
    return next(route.endpoint for route in app.routes if getattr(route, "path", None) == "/graphql")


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The query texts the endpoints execute from now on."""
    from server.execution import Executor

    ran: list[str] = []
    original = Executor.execute

    def execute(self: Executor, query: str, *args: Any, **kwargs: Any) -> Any:
        ran.append(query)
        return original(self, query, *args, **kwargs)

    monkeypatch.setattr(Executor, "execute", execute)
    yield ran


@pytest.fixture
async def fresh(kg: KnowledgeGraph) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    """A client of an app of its own, so that no other test's answers are kept in it."""
    app = create_app(ServerSettings(), kg=kg, admin_token="")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        yield client, app


def _findings(rule: str) -> float:
    return REGISTRY.get_sample_value("codingkg_findings_total", {"rule": rule}) or 0.0


async def test_a_repeated_claim_is_answered_from_the_kept_answer_and_counted_again(
        fresh: tuple[httpx.AsyncClient, Any], counted: list[str]) -> None:
    client, app = fresh
    before = _findings("ADDON_WITHOUT_PRIMARY")
    first = await client.post("/graphql", json={"query": LONE_ADD_ON})
    second = await client.post("/graphql", json={"query": LONE_ADD_ON})
    assert first.status_code == second.status_code == 200
    assert second.content == first.content
    assert first.json()["data"]["checkClaim"]["findings"] == [{"rule": "ADDON_WITHOUT_PRIMARY"}]
    assert second.json()["extensions"]["cost"] > 0
    assert counted == [LONE_ADD_ON]  # run once
    assert _findings("ADDON_WITHOUT_PRIMARY") - before == 2  # the metrics count both answers
    assert len(_endpoint(app).answers) == 1


async def test_answers_with_errors_are_run_every_time(fresh: tuple[httpx.AsyncClient, Any], counted: list[str]) -> None:
    client, app = fresh
    query = '{ code(code: "00000") { code } }'
    for _ in range(2):
        body = (await client.post("/graphql", json={"query": query})).json()
        assert body["errors"] and body["data"] == {"code": None}
    assert counted == [query, query]
    assert len(_endpoint(app).answers) == 0


async def test_other_variables_get_their_own_answer(fresh: tuple[httpx.AsyncClient, Any]) -> None:
    client, _ = fresh
    query = "query Q($c: String!) { code(code: $c) { code } }"
    for code in ("96368", "96375", "96368"):
        body = (await client.post("/graphql", json={"query": query, "variables": {"c": code}})).json()
        assert body["data"]["code"]["code"] == code


async def test_a_get_and_a_post_of_the_same_query_answer_alike(fresh: tuple[httpx.AsyncClient, Any]) -> None:
    client, app = fresh
    posted = await client.post("/graphql", json={"query": PRIMARIES})
    fetched = await client.get("/graphql", params={"query": PRIMARIES})
    again = await client.get("/graphql", params={"query": PRIMARIES})
    assert posted.json() == fetched.json() == again.json()
    assert len(_endpoint(app).answers) == 2


async def test_an_answer_as_of_today_is_not_given_on_another_day(
        release_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The release ends the 96375/96365 pair on 2024-01-01: the same query answers differently
    # before and after that day, and the answer kept on the first day must not be reused.
    import kg.graph
    import server.endpoint

    today = [dt.date(2023, 6, 1)]

    class Today(dt.date):
        @classmethod
        def today(cls) -> Today:
            day = today[0]
            return cls(day.year, day.month, day.day)

    for module in (kg.graph, server.endpoint):  # where the default day is taken
        monkeypatch.setattr(module, "date", Today)
    app = create_app(ServerSettings(data_dirs=(release_dir,), use_cache=False), admin_token="")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        async def primaries() -> list[str]:
            body = (await client.post("/graphql", json={"query": PRIMARIES})).json()
            return [c["code"] for c in body["data"]["validPrimaries"]]

        assert await primaries() == ["96365", "96374"]
        assert await primaries() == ["96365", "96374"]
        today[0] = dt.date(2026, 6, 1)
        assert await primaries() == ["96374"]


async def test_the_cache_can_be_turned_off(kg: KnowledgeGraph, counted: list[str]) -> None:
    app = create_app(ServerSettings(answer_cache_bytes=0), kg=kg, admin_token="")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        for _ in range(2):
            assert (await client.post("/graphql", json={"query": PRIMARIES})).status_code == 200
    assert counted == [PRIMARIES, PRIMARIES]
