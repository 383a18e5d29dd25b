"""The endpoint's limits in process: deadline, response size, busy threads, access log, ASCII codes."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Any

import httpx
import pytest

from kg.graph import KnowledgeGraph
from server.app import create_app
from server.limits import INLINE_MAX_BODY_BYTES, deadline_message
from server.settings import ServerSettings
from tests.server.helpers import data_of, gql, messages

pytestmark = pytest.mark.anyio

NORMAL = '{ validPrimaries(addOn: "96375") { code } }'


def slow_graph(kg: KnowledgeGraph, seconds: float, release: threading.Event | None = None) -> KnowledgeGraph:
    """The graph, with ``valid_primaries`` taking ``seconds`` (or until ``release`` is set)."""

    class SlowGraph(KnowledgeGraph):
        def valid_primaries(self, add_on: str, as_of: Any = None) -> Any:
            if release is not None:
                release.wait(seconds)
            else:
                time.sleep(seconds)
            return super().valid_primaries(add_on, as_of)

    slow = SlowGraph.__new__(SlowGraph)
    slow.__dict__.update(kg.__dict__)
    return slow


def client_for(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


async def test_a_request_past_its_deadline_is_cancelled_and_health_answers_meanwhile(kg: KnowledgeGraph) -> None:
    # Each validPrimaries takes 0.3 s; twenty of them would take 6 s against a 1 s limit.
    app = create_app(ServerSettings(request_seconds=1.0), kg=slow_graph(kg, 0.3))
    aliases = " ".join(f'a{n}: code(code: "96375") {{ validPrimaries {{ code }} }}' for n in range(20))
    async with client_for(app) as client:
        started = time.perf_counter()
        slow = asyncio.create_task(gql(client, f"{{ {aliases} }}"))
        await asyncio.sleep(0.1)
        health_started = time.perf_counter()
        health = await client.get("/healthz")
        health_took = time.perf_counter() - health_started
        body = await slow
        took = time.perf_counter() - started
    assert health.status_code == 200 and health_took < 0.1, health_took
    assert messages(body) == [deadline_message(1.0)]
    assert body["data"] is None and body["extensions"]["cost"] > 0
    assert took < 2.5, took


async def test_responses_larger_than_the_cap_are_replaced_by_an_error(kg: KnowledgeGraph) -> None:
    app = create_app(ServerSettings(max_response_bytes=2000), kg=kg)
    async with client_for(app) as client:
        body = await gql(client, '{ search(text: "infusion", first: 100) { code title description } }')
        [message] = messages(body)
        assert message.startswith("the response would be ") and "more than the limit of 2000" in message
        data = await data_of(client, '{ code(code: "96368") { code } }')
        assert data == {"code": {"code": "96368"}}


async def test_when_every_thread_and_queue_slot_is_taken_the_answer_is_503(kg: KnowledgeGraph) -> None:
    release = threading.Event()
    app = create_app(ServerSettings(execution_threads=1), kg=slow_graph(kg, 10.0, release))
    endpoint = next(r.app for r in app.routes if r.path == "/graphql")
    endpoint.capacity = 2  # one running, one waiting
    async with client_for(app) as client:
        held = [asyncio.create_task(gql(client, NORMAL)) for _ in range(2)]
        await asyncio.sleep(0.2)
        refused = await client.post("/graphql", json={"query": NORMAL})
        assert refused.status_code == 503 and refused.headers["retry-after"] == "1"
        assert refused.json() == {"errors": [{"message": "the server is busy; retry shortly"}]}
        assert (await client.get("/healthz")).status_code == 200
        release.set()
        for task in held:
            assert "errors" not in await task
        await data_of(client, NORMAL)


async def test_access_log_names_operation_and_cost_never_the_query(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "J9999SECRET"
    with caplog.at_level(logging.INFO, logger="server.access"):
        await client.get("/graphql", params={"query": f'query Lookup {{ code(code: "{secret}") {{ code }} }}'})
        by_variable = 'query($c: String!) { code(code: $c) { code } }'
        await client.post("/graphql", json={"query": by_variable, "variables": {"c": secret}})
        # An operationName that is not a GraphQL name is not logged either (and names no operation: 400).
        await client.post("/graphql", json={"query": '{ code(code: "96368") { code } }', "operationName": "x; " + secret})
    lines = [r.getMessage() for r in caplog.records if r.name == "server.access"]
    assert len(lines) == 3, lines
    assert '"GET /graphql" 200' in lines[0] and "op=Lookup cost=2" in lines[0]
    assert '"POST /graphql" 200' in lines[1] and "op=- cost=2" in lines[1]
    assert '"POST /graphql" 400' in lines[2] and "op=- cost=0" in lines[2]
    assert not any(secret in line or "query" in line for line in lines), lines


def _delayed_graph(kg: KnowledgeGraph, delay: list[float]) -> KnowledgeGraph:
    """The graph, with ``valid_primaries`` first spending ``delay[0]`` seconds of CPU (changed as the test goes)."""

    class DelayedGraph(KnowledgeGraph):
        def valid_primaries(self, add_on: str, as_of: Any = None) -> Any:
            until = time.thread_time() + delay[0]
            while time.thread_time() < until:
                pass
            return super().valid_primaries(add_on, as_of)

    delayed = DelayedGraph.__new__(DelayedGraph)
    delayed.__dict__.update(kg.__dict__)
    return delayed


def _where(monkeypatch: pytest.MonkeyPatch, method: str) -> list[str]:
    """Where each call of an ``Executor`` method runs from now on: ``loop`` (the event loop's thread) or ``thread``."""
    from server.execution import Executor

    where: list[str] = []
    original = getattr(Executor, method)

    def spy(self: Executor, *args: Any, **kwargs: Any) -> Any:
        where.append("loop" if threading.current_thread() is threading.main_thread() else "thread")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Executor, method, spy)
    return where


@pytest.fixture
def executing_threads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    return _where(monkeypatch, "execute")


async def test_a_small_query_runs_on_the_event_loop_while_its_latest_run_was_fast(
        kg: KnowledgeGraph, executing_threads: list[str]) -> None:
    delay = [0.0]
    app = create_app(ServerSettings(answer_cache_bytes=0), kg=_delayed_graph(kg, delay))
    async with client_for(app) as client:
        for _ in range(3):
            await data_of(client, NORMAL)
        assert executing_threads == ["thread", "loop", "loop"]
        delay[0] = 0.02  # over INLINE_CPU_SECONDS, while it runs on the loop
        await data_of(client, NORMAL)
        delay[0] = 0.0
        for _ in range(2):
            await data_of(client, NORMAL)
    # The slow run on the loop sends the next one to a thread; that one was fast again.
    assert executing_threads == ["thread", "loop", "loop", "loop", "thread", "loop"]


async def test_large_bodies_and_awaited_fields_always_run_on_threads(kg: KnowledgeGraph, executing_threads: list[str]) -> None:
    app = create_app(ServerSettings(answer_cache_bytes=0), kg=kg)
    padded = NORMAL + " " * INLINE_MAX_BODY_BYTES  # the same query, in a body over the inline limit
    diff = '{ releaseDiff(from: "embedded", to: "embedded") { from } }'  # an async resolver
    async with client_for(app) as client:
        for _ in range(3):
            await data_of(client, padded)
        for _ in range(3):
            await gql(client, diff)
    assert executing_threads == ["thread"] * 6


async def test_a_new_document_is_validated_on_a_thread(kg: KnowledgeGraph, monkeypatch: pytest.MonkeyPatch) -> None:
    # Validation is quadratic in repeated fields: a hostile 10 KB document takes a second.
    validated = _where(monkeypatch, "_prepare")
    app = create_app(ServerSettings(answer_cache_bytes=0), kg=kg)
    async with client_for(app) as client:
        for _ in range(2):
            await data_of(client, NORMAL)
        await gql(client, "{ nosuchfield }")
    assert validated == ["thread", "thread"]


async def test_codes_and_modifiers_must_be_ascii(client: httpx.AsyncClient) -> None:
    check = "query($c: ClaimInput!) { checkClaim(claim: $c) { valid findings { rule } } }"
    claim = {"claimType": "PROFESSIONAL", "placeOfService": "11", "dateOfService": "2026-06-01",
             "lines": [{"code": "96365"}, {"code": "96368", "modifiers": ["X\u017f"]}]}
    body = await gql(client, check, {"c": claim})
    # The long s upper-cases to "S": unchecked, this modifier would have been read as XS.
    assert "X\u017f".upper() == "XS"
    assert messages(body) == ["claim.lines[1].modifiers must be ASCII letters and digits only (got 'X\u017f')"]
    body = await gql(client, check, {"c": {**claim, "lines": [{"code": "96365\u00a0"}]}})
    assert messages(body) == ["claim.lines[0].code must be ASCII letters and digits only (got '96365\\xa0')"]
    body = await gql(client, check, {"c": {**claim, "payer": "medicare\u00a0"}})
    assert messages(body) == ["claim.payer must be ASCII letters, digits, '.', '-' or '_' only (got 'medicare\\xa0')"]
    body = await gql(client, "query($c: String!) { code(code: $c) { code } }", {"c": "\u0669\u0666\u0663\u0666\u0665"})
    assert messages(body) == ["code must be ASCII letters and digits only (got '\u0669\u0666\u0663\u0666\u0665')"]
    body = await gql(client, check, {"c": {**claim, "lines": [{"code": "96365", "modifiers": ["59", "25", "XS", "XU", "76"]}]}})
    assert messages(body) == ["claim.lines[0].modifiers (count) must be between 0 and 4 (got 5)"]
    # Lower-case ASCII is still fine.
    data = await data_of(client, '{ code(code: "j1100") { code } }')
    assert data == {"code": {"code": "J1100"}}
