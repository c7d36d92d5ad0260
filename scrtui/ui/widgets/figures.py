"""The running figures Vision shows beside the bar, plus rate and time left."""

from __future__ import annotations

from textual.widgets import Static

from scrtui.domain.progress import RunStatus, Snapshot

from .. import text as t


def figures_text(snapshot: Snapshot) -> str:
    rows = (
        # Active time over patients checked is a throughput, not one patient's upload time
        # (many are in flight at once), so it is shown and named as one (issue 22).
        ("Average rate while sending", t.average_rate(snapshot.avg_seconds_per_patient)),
        _sent_row(snapshot),
        ("Rate (last 10 s)", _recent_rate(snapshot)),
        ("Time left (ETA)", t.eta(snapshot.eta)),
    )
    return "\n".join(f"{label:<32}{value}" for label, value in rows)


def _recent_rate(snapshot: Snapshot) -> str:
    """Paused: nothing new goes, whatever the last answers' rate was."""
    if snapshot.status is RunStatus.PAUSED:
        return "paused"
    return t.rate(snapshot.rate_per_second)


def _sent_row(snapshot: Snapshot) -> tuple[str, str]:
    """Asynchronous mode adds how many still await the Spine's acknowledgement, on the same
    line (the figures column is about 47 characters wide at 80 columns)."""
    if snapshot.awaiting_ack:
        return "Queued / awaiting ack", f"{snapshot.queued:,} / {snapshot.awaiting_ack:,}"
    if snapshot.asynchronous:
        return "Messages sent to the queue", f"{snapshot.queued:,}"
    return "Messages sent to the MHS", f"{snapshot.queued:,}"  # synchronous: no queue


class RunFigures(Static):
    def __init__(self) -> None:
        super().__init__("", id="run-figures", markup=False)
        self._shown = ""

    def show(self, snapshot: Snapshot) -> None:
        text = figures_text(snapshot)
        if text != self._shown:
            self._shown = text
            self.update(text, layout=False)  # always four lines
