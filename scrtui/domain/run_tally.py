"""What one run did (its own outcomes, not the practice's buckets), and the sentences that
report it at the end: the app's completion message and the command line's last line.

A run over a group must not be reported with the practice's figures (issue 22: "3 patients
Failed" after a group run where nobody failed; "Process completed." beside Sent 0 with no
word of why).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from scrtui.domain.records import Bucket

# At most this many Not Required reasons are named in a sentence; the SCR Reporter has all.
REASONS_NAMED = 3


@dataclass(frozen=True, slots=True)
class RunTally:
    """One run's outcomes so far: patients per bucket they ended in, and the Not Required
    reasons ((code, text), patients), most patients first."""

    sent: int = 0
    failed: int = 0
    not_required: int = 0
    reasons: tuple[tuple[str, int], ...] = ()

    @property
    def checked(self) -> int:
        return self.sent + self.failed + self.not_required


@dataclass
class TallyCounter:
    """The engine's running count, turned into a RunTally for each snapshot."""

    buckets: Counter[Bucket] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)

    def add(self, bucket: Bucket, code: str | None, text: str | None) -> None:
        self.buckets[bucket] += 1
        if bucket is Bucket.NOT_REQUIRED:
            self.reasons[" ".join(p for p in (code, text) if p) or "no reason recorded"] += 1

    def tally(self) -> RunTally:
        return RunTally(
            sent=self.buckets[Bucket.SENT],
            failed=self.buckets[Bucket.FAILED],
            not_required=self.buckets[Bucket.NOT_REQUIRED],
            reasons=tuple(self.reasons.most_common()),
        )


def _patients(n: int) -> str:
    return f"{n:,} patient" + ("" if n == 1 else "s")


def reasons_text(tally: RunTally) -> str:
    """ "87 NR08 No GP Summary sent by this practice; 3 NR01 ..." (the first few)."""
    named = [f"{n:,} {reason}" for reason, n in tally.reasons[:REASONS_NAMED]]
    more = len(tally.reasons) - REASONS_NAMED
    if more > 0:
        named.append(f"{more} other reason{'s' if more != 1 else ''}")
    return "; ".join(named)


def nothing_sent_text(tally: RunTally) -> str | None:
    """Why a completed run sent nothing, or None when it sent (or failed) someone."""
    if tally.sent or tally.failed:
        return None
    if not tally.checked:
        return "Nothing was sent: this run had no patient left to check."
    everyone = "the patient" if tally.checked == 1 else f"all {tally.checked:,} patients"
    return (
        f"Nothing was sent: {everyone} this run checked {'is' if tally.checked == 1 else 'are'} "
        f"Not Required ({reasons_text(tally)}). The SCR Reporter lists them (F6)."
    )


def run_counts_text(tally: RunTally) -> str:
    """ "sent 120, failed 3, not required 5" for this run."""
    return f"sent {tally.sent:,}, failed {tally.failed:,}, not required {tally.not_required:,}"


def final_line(
    outcome: str, tally: RunTally, total: int, left: dict[Bucket, int], group: str | None
) -> str:
    """The command line's last line: the run's outcome and its own counts, then what is left
    in the group (or the practice) it ran over, e.g.

    "Finished (completed): this run checked 87 of 87 patients: sent 0, failed 0, not required
    87 (87 NR08 No GP Summary sent by this practice); left in group "Leavers": unprocessed 0,
    sending 0"
    """
    why = f" ({reasons_text(tally)})" if tally.not_required else ""
    where = f'group "{group}"' if group else "the practice"
    return (
        f"Finished ({outcome}): this run checked {tally.checked:,} of {_patients(total)}: "
        f"{run_counts_text(tally)}{why}; left in {where}: unprocessed "
        f"{left.get(Bucket.UNPROCESSED, 0):,}, sending {left.get(Bucket.SENDING, 0):,}"
    )
