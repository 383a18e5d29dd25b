"""The browser pages over HTTP: self-hosted assets, the README's examples, limits, CORS, --no-graphiql."""

from __future__ import annotations

import fnmatch
import json
import re
import tomllib
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest

from kg.graph import KnowledgeGraph
from server import limits
from server.app import create_app
from server.pages import STATIC_DIR, TEMPLATE_DIR, examples
from server.settings import ServerSettings

REPOSITORY = Path(__file__).resolve().parents[2]
HTML = {"accept": "text/html"}
PAGES = ["/graphql", "/explore", "/"]

pytestmark = pytest.mark.anyio


class _Page(HTMLParser):
    """The URLs an HTML page loads, its title and its JSON config."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.links: list[str] = []
        self.title = ""
        self.config: dict[str, Any] = {}
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "script" and a.get("src"):
            self.urls.append(a["src"] or "")
        if tag == "link" and a.get("href"):
            self.urls.append(a["href"] or "")
        if tag == "a" and a.get("href"):
            self.links.append(a["href"] or "")
        if tag == "title" or (tag == "script" and a.get("id") == "codingkg-config"):
            self._in = tag

    def handle_data(self, data: str) -> None:
        if self._in == "title":
            self.title += data
        elif self._in == "script":
            self.config = json.loads(data)

    def handle_endtag(self, tag: str) -> None:
        self._in = None


async def _page(client: httpx.AsyncClient, path: str) -> tuple[httpx.Response, _Page]:
    response = await client.get(path, headers=HTML)
    assert response.status_code == 200, response.text
    parsed = _Page()
    parsed.feed(response.text)
    return response, parsed


@pytest.mark.parametrize("path", PAGES)
async def test_pages_load_only_assets_of_this_server(client: httpx.AsyncClient, path: str) -> None:
    response, page = await _page(client, path)
    assert response.headers["content-type"].startswith("text/html")
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy and "connect-src 'self'" in policy
    for url in page.urls:
        assert url.startswith(("./static/", "data:")), url
        if url.startswith("./static/"):
            asset = await client.get("/static/" + url.removeprefix("./static/").split("?")[0])
            assert asset.status_code == 200 and len(asset.content) > 0, url
    assert page.title.startswith("codingkg")


async def test_graphiql_replaces_the_cdn_page(client: httpx.AsyncClient) -> None:
    response, page = await _page(client, "/graphql")
    assert page.title == "codingkg"
    assert "unpkg" not in response.text and "https://" not in response.text
    assert {u.split("?")[0] for u in page.urls} >= {"./static/graphiql.js", "./static/graphiql.css"}
    assert page.config["examples"] == examples()
    assert page.config["endpoint"] == "./graphql"


async def test_stylesheets_reference_no_outside_url(client: httpx.AsyncClient) -> None:
    for name in ("graphiql.css", "explore.css"):
        css = (await client.get(f"/static/{name}")).text
        urls = re.findall(r"url\(\s*['\"]?([^'\")]+)", css) + re.findall(r"@import\s+['\"]?([^'\";]+)", css)
        assert all(u.startswith(("data:", "#")) for u in urls), [u[:60] for u in urls if not u.startswith("data:")]


def test_examples_are_the_readmes_operations() -> None:
    readme = (REPOSITORY / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```graphql\n(.*?)```", readme, re.S)
    assert sorted(e["query"] for e in examples()) == sorted(blocks)
    assert {"Code card", "Valid primaries", "Claim check", "Encounter"} <= {e["name"] for e in examples()}


async def test_every_example_runs_without_errors(client: httpx.AsyncClient) -> None:
    for example in examples():
        body = (await client.post("/graphql", json={"query": example["query"],
                                                    "variables": example.get("variables") or {}})).json()
        assert "errors" not in body, (example["name"], body.get("errors"))
        assert all(value is not None for value in body["data"].values()), example["name"]


async def test_explorer_is_told_the_servers_limits(kg: KnowledgeGraph) -> None:
    app = create_app(ServerSettings(max_body_bytes=12_345), kg=kg)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        _, page = await _page(client, "/explore")
    assert page.config["limits"] == {
        "maxBodyBytes": 12_345, "maxTextLength": limits.MAX_TEXT_LENGTH, "maxCodeLength": limits.MAX_CODE_LENGTH,
        "maxCodes": limits.MAX_CODES, "maxFirst": limits.MAX_FIRST, "maxRelatedDepth": limits.MAX_RELATED_DEPTH,
        "maxClaimLines": limits.MAX_CLAIM_LINES,
    }


async def test_landing_page_links_the_playground_and_the_explorer(client: httpx.AsyncClient) -> None:
    _, page = await _page(client, "/")
    assert {"./graphql", "./explore"} <= set(page.links)


async def test_no_graphiql_turns_every_page_off(kg: KnowledgeGraph) -> None:
    app = create_app(ServerSettings(graphiql=False), kg=kg)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        for path in ["/", "/explore", "/static/explore.js", "/static/graphiql.js"]:
            assert (await client.get(path, headers=HTML)).status_code == 404, path
        ide = await client.get("/graphql", headers=HTML)
        assert "graphiql.js" not in ide.text and "<html" not in ide.text.lower()
        answer = await client.post("/graphql", json={"query": '{ code(code: "96368") { isAddOn } }'})
        assert answer.json()["data"] == {"code": {"isAddOn": True}}


@pytest.mark.parametrize("path", ["/explore", "/static/explore.js"])
async def test_pages_follow_the_cors_settings(client: httpx.AsyncClient, path: str) -> None:
    # The shared app allows https://app.example only.
    allowed = await client.get(path, headers={"origin": "https://app.example"})
    assert allowed.headers.get("access-control-allow-origin") == "https://app.example"
    other = await client.get(path, headers={"origin": "https://elsewhere.example"})
    assert "access-control-allow-origin" not in other.headers


def test_licences_name_the_locked_versions() -> None:
    lock = json.loads((REPOSITORY / "frontend" / "package-lock.json").read_text(encoding="utf-8"))
    notice = (STATIC_DIR / "THIRD_PARTY_LICENSES.txt").read_text(encoding="utf-8")
    bundled = re.findall(r"^(\S+) (\S+)\nLicense: (\S+)", notice, re.M)
    assert len(bundled) > 10
    for name, version, licence in bundled:
        assert lock["packages"][f"node_modules/{name}"]["version"] == version, name
        assert licence != "undefined", name
    assert {"graphiql", "react", "react-dom", "cytoscape"} <= {name for name, _, _ in bundled}


def test_installs_carry_the_assets() -> None:
    # Non-editable installs copy only package data the pyproject lists.
    setuptools = tomllib.loads((REPOSITORY / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    for folder in (STATIC_DIR, TEMPLATE_DIR):
        package = f"server.{folder.name}"  # each asset folder is a package of its own
        assert package in setuptools["packages"], package
        patterns = setuptools["package-data"].get(package, [])
        for path in folder.iterdir():
            assert any(fnmatch.fnmatch(path.name, p) for p in patterns), f"{package}: {path.name}"
