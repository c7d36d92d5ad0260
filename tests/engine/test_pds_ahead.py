"""PDS ahead of the summaries (scrtui/engine/pds_ahead.py): PDS checks run in their own workers,
ahead of the senders, and every PDS rule still holds: per patient the simulator sees the PDS
answer go before the summary arrives, and a kill between the two resends nothing wrongly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from datetime import date
from pathlib import Path

from scrtui.domain.records import Bucket, Mode
from scrtui.settings import save
from scrtui.store.db import close_database, open_database
from tests.engine.conftest import fast_settings, logged_in
from tests.engine.test_crash import stats, wait_until
from tests.engine.test_edges import rows_by_nhs, run_to_end
from tests.engine.test_engine import expected_split


def order_faults(trail: list[list[str]]) -> list[str]:
    """NHS numbers whose summary reached the simulator before any PDS answer about them."""
    answered: set[str] = set()
    early = []
    for event, nhs in trail:
        if event == "pds":
            answered.add(nhs)
        elif nhs not in answered:
            early.append(nhs)
    return early


def greatest_lead(trail: list[list[str]]) -> int:
    """How far PDS answers got ahead of the summaries at most (answered, not yet sent)."""
    waiting: set[str] = set()
    lead = 0
    for event, nhs in trail:
        if event == "pds":
            waiting.add(nhs)
        else:
            waiting.discard(nhs)
        lead = max(lead, len(waiting))
    return lead


async def test_pds_runs_ahead_of_a_single_sender_and_answers_before_each_summary(seeded, sim):
    await sim.control(record_trail=True)
    # One sender held to 100 summaries a second: PDS workers of their own get ahead of it.
    settings = fast_settings(sim.url, concurrency=1, pds_concurrency=8, rate_limit=100)
    services = await logged_in(seeded, settings)
    try:
        final = await run_to_end(services, Mode.RUN)
    finally:
        services.close()
    async with sim.http.get(sim.url + "trail") as response:
        trail = await response.json()
    eligible, _ = expected_split(date.today())
    sent = {n for n, r in rows_by_nhs().items() if r["bucket"] == "sent"}
    assert sent == eligible and final.counts[Bucket.SENT] == len(eligible)
    assert order_faults(trail) == []
    assert {n for e, n in trail if e == "summary"} == eligible
    # A sender asking PDS itself is never more than one patient ahead; the workers are.
    assert greatest_lead(trail) > 8


def _run(home: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "scrtui", "--home", str(home), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "SCRTUI_PASSCODE": "1234"},
        text=True,
    )


def _get(url: str) -> list[list[str]]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.load(response)


def _control(url: str, **changes: object) -> None:
    request = urllib.request.Request(
        url + "control", data=json.dumps(changes).encode(), method="POST"
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        response.read()


def test_a_kill_between_pds_answers_and_their_summaries_then_resume_sends_each_once(tmp_path):
    from scrtui.standins.simulator import start_simulator_process

    home = tmp_path / "home"
    seeding = _run(home, "seed", "--patients", "400")
    assert seeding.wait(120) == 0, seeding.stderr.read() if seeding.stderr else ""
    open_database(home / "scrtui.db")
    eligible, _ = expected_split(date.today())
    close_database()
    process, url = start_simulator_process(["--pds-practice", str(home / "scrtui.db")])
    upload = ("upload", "--card", "simulated", "--mhs-url", url, "--yes")
    try:
        _control(url, record_trail=True)
        # Two slow senders, sixteen PDS workers: many patients have their PDS answer and
        # wait for a sender when the kill comes.
        save(
            home / "scrtui.toml",
            fast_settings(url, concurrency=2, pds_concurrency=16, rate_limit=40),
        )
        child = _run(home, *upload, "--mode", "run")
        wait_until(
            lambda: greatest_lead(_get(url + "trail")) >= 30 or child.poll() is not None,
            60,
            "PDS answers ahead of their summaries",
        )
        assert child.poll() is None, child.communicate()
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        before = _get(url + "trail")
        answered = {n for e, n in before if e == "pds"}
        sent_before = {n for e, n in before if e == "summary"}
        waiting = answered - sent_before
        assert len(waiting) >= 20

        save(home / "scrtui.toml", fast_settings(url, concurrency=8, pds_concurrency=8))
        resume = _run(home, *upload, "--mode", "resume", "--json")
        _out, err = resume.communicate(timeout=120)
        assert resume.returncode == 0, err
        trail = _get(url + "trail")
        final = stats(url)
    finally:
        process.terminate()
        process.wait(10)

    assert order_faults(trail) == []
    # Those whose PDS answered before the kill are asked again, then sent, once each.
    after = trail[len(before) :]
    for nhs in waiting:
        events = [e for e, n in after if n == nhs]
        assert events[:1] == ["pds"] and events.count("summary") == 1, (nhs, events)
    assert final["accepted"] == len(eligible)
    assert final["duplicate_nhs_numbers"] == [] and final["unreplaced_nhs_numbers"] == []
    status = _run(home, "status", "--json")
    out, _err = status.communicate(timeout=30)
    document = json.loads(out)
    assert document["sent"] == len(eligible)
    assert document["sending"] == 0 and document["unprocessed"] == 0 and document["failed"] == 0
