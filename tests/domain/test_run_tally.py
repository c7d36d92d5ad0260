"""What one run did, and the sentences that report it (issue 22, bugs 8, 12 and 13)."""

from __future__ import annotations

from scrtui.domain.records import Bucket
from scrtui.domain.run_tally import (
    RunTally,
    TallyCounter,
    final_line,
    nothing_sent_text,
    reasons_text,
)

NR08 = ("NR08", "No GP Summary sent by this practice: there is nothing to update")


def test_the_counter_keeps_the_run_s_outcomes_and_its_not_required_reasons_most_first() -> None:
    counter = TallyCounter()
    for _ in range(3):
        counter.add(Bucket.NOT_REQUIRED, *NR08)
    counter.add(Bucket.NOT_REQUIRED, "NR01", "Not permanently registered")
    counter.add(Bucket.SENT, None, None)
    counter.add(Bucket.FAILED, "30418", "Business condition")
    tally = counter.tally()
    assert (tally.sent, tally.failed, tally.not_required, tally.checked) == (1, 1, 4, 6)
    assert tally.reasons[0] == (" ".join(NR08), 3)
    assert reasons_text(tally).startswith("3 NR08 No GP Summary sent by this practice")


def test_a_run_that_sent_nothing_says_why() -> None:
    counter = TallyCounter()
    for _ in range(87):
        counter.add(Bucket.NOT_REQUIRED, *NR08)
    text = nothing_sent_text(counter.tally())
    assert text is not None
    assert text.startswith("Nothing was sent: all 87 patients this run checked are Not Required")
    assert "87 NR08 No GP Summary sent by this practice" in text
    assert nothing_sent_text(RunTally()) == (
        "Nothing was sent: this run had no patient left to check."
    )
    assert nothing_sent_text(RunTally(sent=1)) is None
    assert nothing_sent_text(RunTally(failed=2)) is None


def test_only_the_first_reasons_are_named() -> None:
    tally = RunTally(not_required=5, reasons=tuple((f"NR0{i} x", 1) for i in range(5)))
    assert reasons_text(tally).endswith("; 2 other reasons")


def test_the_final_line_counts_the_run_and_what_is_left_in_its_group() -> None:
    left = {Bucket.UNPROCESSED: 0, Bucket.SENDING: 0, Bucket.SENT: 4}
    line = final_line("completed", RunTally(sent=6), 6, left, None)
    assert line == (
        "Finished (completed): this run checked 6 of 6 patients: sent 6, failed 0, not "
        "required 0; left in the practice: unprocessed 0, sending 0"
    )
    grouped = final_line("stopped by the user", RunTally(sent=1), 6, {Bucket.UNPROCESSED: 5},
                         "Leavers")  # fmt: skip
    assert grouped.endswith('left in group "Leavers": unprocessed 5, sending 0')
