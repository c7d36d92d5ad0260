"""The outage pause's bookkeeping (scrtui/engine/outage_watch.py), decided directly; the engine
runs it end to end against the simulator's outages (test_outage_real_adaptor.py, test_edges.py)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from scrtui.domain.outage import Cause
from scrtui.engine.outage_watch import OutageWatch, Step
from scrtui.settings import Settings, with_changes

TEN = datetime(2026, 12, 4, 10, 0)
SETTINGS = with_changes(
    Settings(), outage_probe_first=5.0, outage_probe_max=300.0, outage_limit_minutes=1
)


async def finished(watch: OutageWatch, answered: bool) -> None:
    async def probe() -> bool:
        return answered

    watch.start_probe(probe())
    task = watch._probe  # noqa: SLF001 - waited on here, read by step()
    assert task is not None
    await asyncio.wait({task})


async def test_probes_wait_then_a_failed_one_waits_longer_and_an_answer_ends_it() -> None:
    watch = OutageWatch(SETTINGS)
    watch.note_try((500, "Error making outbound request"))
    begun = watch.begin("http://mhs/", TEN)
    assert begun is not None and begun.cause == Cause(500, "Error making outbound request")
    assert watch.begin("http://mhs/", TEN) is None  # one outage at a time
    assert watch.step(TEN) is Step.WAIT
    assert watch.step(TEN + timedelta(seconds=5)) is Step.PROBE
    await finished(watch, answered=False)
    # Read at 6 s: the wait doubles to 10 s from then.
    assert watch.step(TEN + timedelta(seconds=6)) is Step.WAIT
    assert begun.tries == 1 and watch.step(TEN + timedelta(seconds=15)) is Step.WAIT
    assert watch.step(TEN + timedelta(seconds=16)) is Step.PROBE
    await finished(watch, answered=True)
    assert watch.step(TEN + timedelta(seconds=17)) is Step.OVER


async def test_a_failed_probe_at_the_limit_gives_up() -> None:
    watch = OutageWatch(SETTINGS)
    watch.begin("http://mhs/", TEN)
    await finished(watch, answered=False)
    assert watch.step(TEN + timedelta(minutes=1)) is Step.GIVE_UP
