"""Sent-awaiting-acknowledgement is shown apart in the CLI's progress line and the running view."""

from __future__ import annotations

from scrtui.cli.progress import progress_line
from scrtui.domain.progress import Snapshot
from scrtui.ui.widgets.figures import figures_text


def test_the_progress_line_shows_how_many_await_their_acknowledgement() -> None:
    assert "(17 awaiting acknowledgement)" in progress_line(Snapshot(awaiting_ack=17))
    assert "awaiting" not in progress_line(Snapshot())


def test_the_running_view_shows_it_on_one_line_that_fits_80_columns() -> None:
    text = figures_text(Snapshot(queued=60_000, awaiting_ack=2_000))
    row = next(line for line in text.splitlines() if "awaiting" in line)
    assert row.split()[-3:] == ["60,000", "/", "2,000"]
    assert len(row) <= 47  # the figures column's width at 80 columns
    assert "awaiting" not in figures_text(Snapshot(queued=5))
