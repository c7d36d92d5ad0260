"""A few short seeds of the chaos campaign (tests/engine/chaos.py): random concurrency, faults,
outages, SIGKILLs, Stops and next modes, with exactly-once checked after every upload. The
longer campaign is `./run chaos --runs 200 --seed 7` (README, development)."""

from __future__ import annotations

import pytest

from tests.engine.chaos import campaign

# The slow tier (pyproject.toml markers): ./run test runs it, first and beside the rest.
pytestmark = pytest.mark.slow


@pytest.mark.parametrize("seed", [3, 5])
def test_a_short_chaos_campaign_keeps_exactly_once(seed: int) -> None:
    lines: list[str] = []
    report = campaign(runs=6, seed=seed, patients=150, say=lines.append)
    assert report.runs == 6 and report.checks == 7, lines
