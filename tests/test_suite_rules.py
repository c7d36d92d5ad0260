"""The suite's own rules (tests/conftest.py): no hypothesis deadline, the slow tier first."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from hypothesis import settings

ROOT = Path(__file__).resolve().parents[1]


def test_no_hypothesis_example_has_a_deadline() -> None:
    assert settings.default.deadline is None


def test_the_slow_tier_is_collected_first_so_xdist_starts_it_beside_the_rest() -> None:
    quick, slow = "tests/domain/test_gate.py", "tests/engine/test_chaos.py"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:xdist", quick, slow],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    ids = [line for line in result.stdout.splitlines() if "::" in line]
    firsts = [i for i, line in enumerate(ids) if line.startswith(slow)]
    assert firsts and firsts == list(range(len(firsts))), ids
    assert any(line.startswith(quick) for line in ids)
