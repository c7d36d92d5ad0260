"""Crash proof for every upload kind: `scrtui upload --upload KIND` SIGKILLed in the middle,
then resumed, sends each of its patients exactly once and replaces the summary it should."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from scrtui.domain import uploads
from scrtui.settings import save
from tests.engine.conftest import fast_settings
from tests.engine.test_crash import scrtui, stats, wait_until

# The slow tier (pyproject.toml markers): ./run test runs it, first and beside the rest.
pytestmark = pytest.mark.slow

PATIENTS = 400


def upload(home: Path, env: dict[str, str], kind: str, mode: str, *extra: str):
    return scrtui(
        home, "upload", "--upload", kind, "--mode", mode, "--card", "simulated", "--yes",
        *extra, env=env,
    )  # fmt: skip


def status(home: Path, kind: str) -> dict:
    out, err = scrtui(home, "status", "--upload", kind, "--json").communicate(timeout=30)
    assert out, err
    return json.loads(out)


@pytest.mark.parametrize(
    "kind", [uploads.BULK_UPDATE, uploads.BULK_DEREGISTRATION, uploads.NO_LONGER_CONTRIBUTING]
)
def test_sigkill_in_the_middle_then_resume_sends_each_patient_once(tmp_path, kind):
    from scrtui.standins.simulator import start_simulator_process

    home = tmp_path / "home"
    assert scrtui(home, "seed", "--patients", str(PATIENTS)).wait(120) == 0
    # The simulator's PDS holds this practice's patients (the Initial Upload checks PDS).
    process, url = start_simulator_process(
        ["--latency-ms", "20", "--pds-practice", str(home / "scrtui.db")]
    )
    env = {**os.environ, "SCRTUI_PASSCODE": "1234"}
    try:
        save(home / "scrtui.toml", fast_settings(url, concurrency=2))
        child = upload(home, env, uploads.INITIAL, "run")
        assert child.wait(120) == 0, child.stderr.read()
        first = stats(url)["accepted"]
        extra: tuple[str, ...] = ()
        if uploads.kind(kind).needs_group:
            numbers = tmp_path / "leavers.txt"
            out, _ = scrtui(home, "report", "--bucket", "sent", "--format", "json").communicate()
            numbers.write_text("\n".join(r["nhs_number"] for r in json.loads(out)[:120]))
            grouped = scrtui(home, "groups", "import", "LEAVERS", str(numbers))
            assert grouped.wait(30) == 0, grouped.stderr.read()
            extra = ("--group", "LEAVERS")
        if uploads.kind(kind).gp_summary is uploads.GpSummaryNeed.OFF:
            save(home / "scrtui.toml", fast_settings(url, concurrency=2, gp_summary_enabled=False))
        child = upload(home, env, kind, "run", *extra)
        wait_until(
            lambda: stats(url)["accepted"] >= first + 40 or child.poll() is not None,
            60,
            "progress before the kill",
        )
        assert child.poll() is None, "the upload ended before it could be killed"
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        assert "interrupted" in status(home, kind)["status"]
        child = upload(home, env, kind, "resume", *extra)
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
        final = stats(url)
    finally:
        process.terminate()
        process.wait(10)
    document = status(home, kind)
    # Patients outside the group stay Unprocessed in this upload, as with any group.
    outside = PATIENTS - 120 if extra else 0
    assert document["sending"] == 0 and document["unprocessed"] == outside
    assert document["failed"] == 0
    # Every update the Spine accepted is one of this upload's Sent patients, once each, and
    # each replaced the summary before it.
    assert final["accepted"] - first == document["sent"] > 40
    assert final["unreplaced_nhs_numbers"] == []
    assert status(home, uploads.INITIAL)["sent"] == first
