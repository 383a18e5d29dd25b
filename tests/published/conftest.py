"""Print the published suite's agreement rate at the end of a test run that included it."""

from __future__ import annotations

from tests.published.cases import RESULTS


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not RESULTS:
        return
    plain = [agrees for contested, agrees in RESULTS.values() if not contested]
    disputed = [agrees for contested, agrees in RESULTS.values() if contested]
    share = sum(plain) / len(plain) if plain else 1.0
    terminalreporter.write_line(
        f"published cases: {sum(plain)}/{len(plain)} uncontested agree with their sources ({share:.1%}), "
        f"{sum(disputed)}/{len(disputed)} contested; details: python -m tests.published.report")
