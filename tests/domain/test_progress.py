"""Progress arithmetic (rate, ETA, durations), records' labels and the prompt wording."""

from __future__ import annotations

from datetime import timedelta

import pytest

from scrtui.domain.progress import (
    RollingRate,
    RunStatus,
    Snapshot,
    StopReason,
    eta,
    format_duration,
    status_text,
)
from scrtui.domain.prompts import CONFIRMATION, PROCESS_COMPLETED
from scrtui.domain.records import Bucket, Mode


def test_eta() -> None:
    assert eta(0, 0.0) == timedelta(0)
    assert eta(-3, 10.0) == timedelta(0)
    assert eta(100, 0.0) is None  # no rate yet: unknown, not infinite
    assert eta(1000, 50.0) == timedelta(seconds=20)
    assert eta(10, 3.0) == timedelta(seconds=3)  # rounded


def test_rolling_rate_uses_the_last_window() -> None:
    rate = RollingRate(window=10.0)
    assert rate.rate() == 0.0
    rate.add(0.0, 0)
    assert rate.rate() == 0.0  # one sample is not a rate
    rate.add(1.0, 100)
    assert rate.rate() == pytest.approx(100.0)
    for second in range(2, 31):
        rate.add(float(second), 100 + (second - 1) * 10)  # slowed to 10 a second
    assert rate.rate() == pytest.approx(10.0)
    rate.reset()
    assert rate.rate() == 0.0


def test_rolling_rate_ignores_samples_at_the_same_instant() -> None:
    rate = RollingRate()
    rate.add(5.0, 1)
    rate.add(5.0, 9)
    assert rate.rate() == 0.0


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "--:--:--"),
        (timedelta(0), "00:00:00"),
        (timedelta(seconds=59.9), "00:00:59"),
        (timedelta(hours=10, minutes=2, seconds=3), "10:02:03"),
        (timedelta(days=1, seconds=1), "24:00:01"),
        (timedelta(seconds=-5), "00:00:00"),
    ],
)
def test_format_duration(value: timedelta | None, text: str) -> None:
    assert format_duration(value) == text


def test_snapshot_defaults_count_every_bucket() -> None:
    snapshot = Snapshot()
    assert snapshot.status is RunStatus.IDLE
    assert snapshot.counts == {bucket: 0 for bucket in Bucket}
    assert Snapshot().counts is not snapshot.counts  # no shared mutable default


def test_labels() -> None:
    assert [b.label for b in Bucket] == ["Unprocessed", "Sending", "Sent", "Failed", "Not Required"]
    assert [m.label for m in Mode] == ["Run", "Resume", "Rerun", "Failed"]


def test_every_mode_has_its_confirmation() -> None:
    assert set(CONFIRMATION) == set(Mode)
    assert all(text.endswith("?") for text in CONFIRMATION.values())
    assert "resend messages for all eligible patients" in CONFIRMATION[Mode.RERUN]
    assert PROCESS_COMPLETED == "Process completed."


def test_session_time_is_shown_in_whole_minutes_rounded_up() -> None:
    from datetime import timedelta

    from scrtui.domain.progress import whole_minutes

    assert whole_minutes(timedelta(seconds=1)) == timedelta(minutes=1)
    assert whole_minutes(timedelta(hours=9, minutes=59, seconds=59)) == timedelta(hours=10)
    assert whole_minutes(timedelta(minutes=5)) == timedelta(minutes=5)
    assert whole_minutes(timedelta(0)) == timedelta(0)
    assert whole_minutes(None) is None


def test_a_stop_reason_that_begins_with_stopped_does_not_say_it_twice() -> None:
    assert (
        status_text("Stopped", StopReason.MHS_SETUP.value)
        == "Stopped: the MHS adaptor's set-up is wrong"
    )
    assert status_text("Paused", "the smartcard was removed") == (
        "Paused: the smartcard was removed"
    )
    assert status_text("Stopped", StopReason.USER.value) == "Stopped: by the user"
    assert status_text("Idle", "") == "Idle"
