"""kill -9 between the adaptor's 202 and the Spine's acknowledgement, then Resume: the
acknowledgements that reached the queue while scrtui was down are applied, nobody is resent."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import date

import pytest

from scrtui.settings import save
from scrtui.store import queries
from tests.conftest import patience
from tests.engine.test_engine import buckets_by_nhs, expected_split

# The slow tier (pyproject.toml markers): ./run test runs it, first and beside the rest.
pytestmark = pytest.mark.slow


async def scrtui(home, *args: str) -> asyncio.subprocess.Process:
    env = {**os.environ, "SCRTUI_PASSCODE": "1234"}
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "scrtui", "--home", str(home), *args,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, env=env,
    )  # fmt: skip


async def test_kill_between_202_and_acknowledgement_then_resume(seeded, asim):
    eligible, _ = expected_split(date.today())
    save(seeded.root / "scrtui.toml", asim.settings())
    # Every acknowledgement reaches the queue two seconds after its 202.
    await asim.control(late_ack_share=1.0, late_ack_seconds=2.0, latency_ms=1)
    upload = ["upload", "--card", "simulated", "--yes"]
    first = await scrtui(seeded.root, *upload, "--mode", "run")
    stats: dict = {}

    async def refresh() -> None:
        stats.update(await asim.stats())

    async def all_taken() -> bool:
        """The adaptor answered 202 to each, and scrtui stored that it awaits its answer."""
        awaited = queries.database.obj.execute_sql("SELECT COUNT(*) FROM awaiting_ack")
        return awaited.fetchone()[0] >= len(eligible)

    deadline = asyncio.get_running_loop().time() + patience(60)
    while not await all_taken():
        assert asyncio.get_running_loop().time() < deadline, "the adaptor never took them all"
        assert first.returncode is None, (await first.stderr.read()).decode()
        await asyncio.sleep(0.02)
    await refresh()
    first.kill()  # kill -9: nothing of the acknowledgements was applied
    await first.wait()
    assert queries.status_document()["sent"] == 0
    assert queries.status_document()["sending"] == len(eligible)

    await asim.control(late_ack_share=0.0)
    # The acknowledgements arrive while scrtui is down.
    for _ in range(3000):
        await refresh()
        if stats["queue"]["published"] >= len(eligible) and stats["queue"]["pending"] == 0:
            break
        await asyncio.sleep(0.01)
    assert stats["queue"]["published"] >= len(eligible)

    resume = await scrtui(seeded.root, *upload, "--mode", "resume")
    out, err = await resume.communicate()
    assert resume.returncode == 0, (out + err).decode()[-2000:]
    rows = buckets_by_nhs()
    assert {n for n, r in rows.items() if r[0] == "sent"} == eligible
    after = await asim.stats()
    assert after["requests"] == len(eligible)  # nobody was sent again
    assert after["accepted"] == len(eligible) and after["duplicate_nhs_numbers"] == []
