"""Schema-driven fuzzing of ``/graphql`` (schemathesis over the ASGI app, bounded and fast).

Every root field gets generated queries with generated arguments, valid (positive mode) and
schema-violating (negative mode). Whatever
the input, the server answers without a 5xx and without a traceback or an internal file path.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

REPOSITORY = Path(__file__).resolve().parents[2]
#: Examples per root field: enough to reach argument validation paths, small enough for the suite.
EXAMPLES_PER_FIELD = 8
_LEAKS = re.compile(r"Traceback \(most recent call last\)|File \"/|site-packages|\.py\", line \d+")


def test_no_server_error_and_nothing_internal_leaks(app: Any) -> None:
    # The schemathesis pytest plugin's fixture loader does not run under this pytest, so the
    # operations' hypothesis strategies are driven directly: one bounded run per root field.
    schema = schemathesis.graphql.from_asgi("/graphql", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    counts: dict[str, int] = {}
    runs = [(op, mode) for op in operations for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)]
    for operation, mode in runs:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=EXAMPLES_PER_FIELD, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case: Any) -> None:
            counts[case.operation.label] = counts.get(case.operation.label, 0) + 1
            response = case.call()
            assert response.status_code < 500, response.text[:500]
            text = response.text
            assert not _LEAKS.search(text), text[:500]
            assert str(REPOSITORY) not in text
            body = response.json()
            assert "data" in body or "errors" in body

        check()
    print(f"graphql fuzz: {sum(counts.values())} requests over {len(operations)} root fields, valid and invalid")
    assert sum(counts.values()) >= len(runs) * 3
