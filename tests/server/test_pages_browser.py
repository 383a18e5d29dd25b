"""The playground and the explorer in a real browser: Debian's chromium driven by Playwright.

One ``codingkg serve`` process on a free loopback port serves every test; the browser may reach
that server only (every other request is aborted and recorded, and the tests fail if any was
tried), and any console error fails the test that caused it. Screenshots go to
``tmp/browser-artefacts/`` (or ``$CODINGKG_ARTEFACTS``); with ``CODINGKG_REFRESH_SCREENSHOTS=1``
the README's screenshots under ``docs/screenshots/`` are refreshed too.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Route, expect, sync_playwright

REPOSITORY = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CODINGKG_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARTEFACTS = Path(os.environ.get("CODINGKG_ARTEFACTS") or REPOSITORY / "tmp" / "browser-artefacts")
SCREENSHOTS = REPOSITORY / "docs" / "screenshots"
START_TIMEOUT_S = 120.0
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}


@pytest.fixture(scope="module")
def server(release_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real server on a port the OS picks (uvicorn logs which), serving the test release too."""
    directory = tmp_path_factory.mktemp("browser-server")
    log_path = directory / "server.log"
    env = {**os.environ, "CODINGKG_CACHE_DIR": str(directory / "cache"), "PYTHONUNBUFFERED": "1"}
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "codingkg", "serve", "--host", "127.0.0.1", "--port", "0", "--data", str(release_dir)],
            cwd=REPOSITORY, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        # `serve` announces its URL once the socket is bound; requests are answered after startup.
        while not ((match := re.search(r"serving (http://127\.0\.0\.1:\d+)/graphql", log_path.read_text()))
                   and "Application startup complete" in log_path.read_text()):
            assert process.poll() is None, f"server exited: {log_path.read_text()}"
            assert time.monotonic() < deadline, f"server not up within {START_TIMEOUT_S}s: {log_path.read_text()}"
            time.sleep(0.1)
        yield match.group(1)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), f"no chromium at {CHROMIUM}: install Debian's chromium (.ci/run does)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


class Watch:
    """What a page did that it must not: console errors, uncaught exceptions, non-local requests."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.blocked: list[str] = []

    def console(self, message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            self.errors.append(f"console {message.type}: {message.text}")

    def route(self, route: Route) -> None:
        host = urlsplit(route.request.url).hostname or ""
        if route.request.url.startswith(("data:", "blob:")) or host in LOCAL_HOSTS:
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort("blockedbyclient")


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    watch = Watch()
    context.route("**/*", watch.route)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.on("console", watch.console)
    page.on("pageerror", lambda error: watch.errors.append(f"uncaught: {error}"))
    yield page
    try:
        ARTEFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTEFACTS / f"{request.node.name}-end.png"))
    finally:
        context.close()
    assert watch.blocked == [], f"requests that would have left the server: {watch.blocked}"
    assert watch.errors == []


def _screenshot(page: Page, name: str, **options: object) -> None:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / name), **options)
    if os.environ.get("CODINGKG_REFRESH_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ARTEFACTS / name, SCREENSHOTS / name)


def _node_position(page: Page, code: str) -> dict[str, float]:
    """Where a code's node is drawn on the page (the map is a canvas: no element to click)."""
    return page.evaluate(
        """(code) => { const box = document.getElementById("map").getBoundingClientRect();
                       const node = document.getElementById("map").cytoscape.getElementById(code);
                       if (node.empty()) return null;
                       const p = node.renderedPosition(); return { x: box.left + p.x, y: box.top + p.y }; }""",
        code,
    )


def test_graphiql_loads_offline_and_runs_a_query(server: str, page: Page) -> None:
    page.goto(f"{server}/graphql")
    expect(page).to_have_title("codingkg")
    for tab in ("CodeCard", "Primaries", "ClaimCheck", "InfusionRecord"):
        expect(page.locator(".graphiql-tab", has_text=tab)).to_be_visible()
    page.get_by_role("button", name=re.compile("Execute query")).click()
    result = page.locator(".graphiql-response")
    expect(result).to_contain_text('"isAddOn": true')
    expect(result).to_contain_text('"validPrimaries"')
    _screenshot(page, "graphiql.png")


def test_explorer_finds_a_code_shows_its_primaries_and_moves_on_a_map_click(server: str, page: Page) -> None:
    page.goto(f"{server}/explore")
    search = page.get_by_role("combobox", name="Search codes and titles")
    search.press_sequentially("9636")
    option = page.locator("#search-results [data-code='96368']")
    expect(option).to_be_visible()
    while page.locator("#search-results [aria-selected='true']").get_attribute("data-code") != "96368":
        search.press("ArrowDown")
    search.press("Enter")
    expect(page.get_by_test_id("card-code")).to_contain_text("96368")
    expect(page.get_by_test_id("valid-primaries").locator("[data-code='96413']")).to_be_visible()
    expect(page.locator("#map-summary")).to_contain_text("codes")
    _screenshot(page, "explorer-card.png")

    position = _node_position(page, "96413")
    assert position is not None, "96413 is not on the map of 96368"
    page.mouse.move(position["x"], position["y"])
    expect(page.locator("#map-details")).to_contain_text("96368 → 96413")
    expect(page.locator("#map-details")).to_contain_text("cpt-guideline")
    page.mouse.click(position["x"], position["y"])
    expect(page.get_by_test_id("card-code")).to_contain_text("96413")
    assert "code=96413" in page.url
    page.go_back()
    expect(page.get_by_test_id("card-code")).to_contain_text("96368")


def test_a_lone_add_on_claim_shows_the_missing_primary_on_the_map(server: str, page: Page) -> None:
    page.goto(f"{server}/explore?code=96368")
    expect(page.locator("#claim-form [name=code]")).to_have_value("96368")
    expect(page.locator("#map-summary")).to_contain_text("codes")
    page.get_by_role("button", name="Check claim").click()
    expect(page.locator("[data-rule='ADDON_WITHOUT_PRIMARY']")).to_be_visible()
    expect(page.get_by_test_id("claim-verdict")).to_contain_text("errors")
    fired = page.evaluate("document.getElementById('map').cytoscape.$('edge.fired').map((e) => e.id())")
    assert fired and all(edge.startswith("ADD_ON_OF:96368>") for edge in fired), fired
    _screenshot(page, "explorer-map.png")


def test_the_as_of_date_changes_the_map(server: str, page: Page) -> None:
    # The test release retires 96375's edge to 96365 on 2024-01-01 (tests/server/conftest.py).
    page.goto(f"{server}/explore?code=96375")
    expect(page.locator("#map-summary")).to_contain_text("today")
    edges = "document.getElementById('map').cytoscape.edges().map((e) => e.id())"
    assert "ADD_ON_OF:96375>96365" not in page.evaluate(edges)
    page.locator("#as-of").fill("2023-06-01")
    expect(page.locator("#map-summary")).to_contain_text("as of 2023-06-01")
    assert "ADD_ON_OF:96375>96365" in page.evaluate(edges)
    middle = page.evaluate(
        """() => { const box = document.getElementById("map").getBoundingClientRect();
                   const p = document.getElementById("map").cytoscape.getElementById("ADD_ON_OF:96375>96365").renderedMidpoint();
                   return { x: box.left + p.x, y: box.top + p.y }; }""")
    page.mouse.move(middle["x"], middle["y"])
    expect(page.locator("#map-details")).to_contain_text("96375 add on of 96365 (2020-01-01 to 2024-01-01)")
    expect(page.locator("#map-details")).to_contain_text("Add-on code edits, test release · 2023-Q4 · cms-file")
    expect(page.get_by_test_id("valid-primaries").locator("[data-code='96365']")).to_be_visible()


def test_the_keyboard_reaches_every_code_on_the_map(server: str, page: Page) -> None:
    page.goto(f"{server}/explore?code=96368")
    expect(page.get_by_test_id("card-code")).to_contain_text("96368")
    expect(page.locator("#map-summary")).to_contain_text("codes")
    on_map = page.evaluate("document.getElementById('map').cytoscape.nodes().map((n) => n.id())")
    listed = page.locator("#map-codes option").evaluate_all("(options) => options.map((o) => o.value).filter(Boolean)")
    assert sorted(listed) == sorted(code for code in on_map if code != "96368")
    page.locator("#map-codes").focus()
    page.keyboard.press("End")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("card-code")).not_to_contain_text("96368")


def test_title_words_find_codes_and_an_unknown_code_is_said_plainly(server: str, page: Page) -> None:
    page.goto(f"{server}/explore")
    page.get_by_role("combobox", name="Search codes and titles").press_sequentially("concurrent")
    expect(page.locator("#search-results [data-code='96368']")).to_be_visible()
    page.goto(f"{server}/explore?code=99999")
    expect(page.locator("#card [role=alert]")).to_contain_text("unknown code '99999'")


def test_a_cpt_code_known_only_from_the_cms_files_says_its_descriptor_is_not_licensed(server: str, page: Page) -> None:
    # 71046 is in the shipped fee schedule file (descriptor blanked), not in the curated data.
    page.goto(f"{server}/explore?code=71046")
    expect(page.get_by_test_id("card-code")).to_contain_text("71046")
    expect(page.get_by_test_id("card-title")).to_have_text("descriptor not licensed")
    page.goto(f"{server}/explore?code=J1100")
    expect(page.get_by_test_id("card-title")).not_to_have_text("descriptor not licensed")
