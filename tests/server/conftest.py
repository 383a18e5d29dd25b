"""Fixtures for the GraphQL API tests: one graph and one app per session, an HTTP client per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from kg.graph import KnowledgeGraph
from kg.verify import seal_release
from server.app import create_app
from server.settings import ServerSettings

# A release layered over the curated data: the add-on edits of 96375 as an imported file would
# state them, one of them retired. ADD_ON_OF overrides per add-on, so this layer replaces the
# curated primaries of 96375 and the as-of answers below are independent of the curated ones.
RELEASE_TTL = """\
@prefix ck: <https://w3id.org/codingkg/ontology#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix cpt: <https://w3id.org/codingkg/cpt/> .
@prefix src: <https://w3id.org/codingkg/source/> .
@prefix rel: <https://w3id.org/codingkg/relationship/> .

src:test-addon-release a ck:Source ; dcterms:title "Add-on code edits, test release" ;
    dcterms:publisher "CMS" ; ck:quarter "2023-Q4" ; ck:confidence ck:CmsFile .
rel:test-addon-96375-96365 a ck:AddOnOf ; ck:fromCode cpt:96375 ; ck:toCode cpt:96365 ; ck:editType 1 ;
    ck:effective "2020-01-01"^^xsd:date ; ck:end "2024-01-01"^^xsd:date ;
    dcterms:source src:test-addon-release .
rel:test-addon-96375-96374 a ck:AddOnOf ; ck:fromCode cpt:96375 ; ck:toCode cpt:96374 ; ck:editType 1 ;
    ck:effective "2020-01-01"^^xsd:date ;
    dcterms:source src:test-addon-release .
"""


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def kg() -> KnowledgeGraph:
    return KnowledgeGraph.default()


@pytest.fixture(scope="session")
def app(kg: KnowledgeGraph) -> Any:
    return create_app(ServerSettings(cors_origins=("https://app.example",)), kg=kg)


@pytest.fixture(scope="session")
def release_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("release") / "addon-2023q4"
    directory.mkdir()
    (directory / "addon.ttl").write_text(RELEASE_TTL)
    seal_release(directory)
    return directory


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
        yield c
