"""What the command line says of a run: its progress line and the exit code of its end
(`scrtui upload`, the background upload process, `scrtui status` and `scrtui stop`)."""

from __future__ import annotations

import sys

from scrtui.cli.common import EXIT_ERROR, EXIT_OK, EXIT_STOPPED_EARLY
from scrtui.domain.progress import RunStatus, Snapshot, StopReason, format_duration
from scrtui.domain.records import Bucket


def progress_line(s: Snapshot) -> str:
    c = s.counts
    status = s.status.value + (f" ({s.reason})" if s.reason else "")
    avg = f"{s.avg_seconds_per_patient * 1000:.1f} ms" if s.avg_seconds_per_patient else "-"
    return (
        f"{status}: checked {s.checked}/{s.total}; sent {c.get(Bucket.SENT, 0)}, failed "
        f"{c.get(Bucket.FAILED, 0)}, not required {c.get(Bucket.NOT_REQUIRED, 0)}, sending "
        f"{c.get(Bucket.SENDING, 0)}"
        + (f" ({s.awaiting_ack} awaiting acknowledgement)" if s.awaiting_ack else "")
        + f"; queued {s.queued}; {s.rate_per_second:.0f}/s; avg {avg}; "
        f"ETA {format_duration(s.eta)}"
    )


def exit_code(final: Snapshot) -> int:
    """The exit code of a run that ended (README "Exit codes"); says why it stopped early."""
    if final.status is not RunStatus.STOPPED:
        return EXIT_ERROR
    if final.reason == StopReason.COMPLETED.value:
        return EXIT_OK
    if final.reason == StopReason.FATAL.value:
        print(f"scrtui: stopped: {final.fatal_message}", file=sys.stderr)
        return EXIT_ERROR
    detail = f": {final.fatal_message}" if final.fatal_message else ""
    reason = final.reason.removeprefix("stopped: ")  # "stopped early: stopped: ..." reads badly
    print(f"scrtui: stopped early: {reason}{detail}", file=sys.stderr)
    return EXIT_STOPPED_EARLY
