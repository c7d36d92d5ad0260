"""Every `scrtui upload` ends with one line of the run's own counts (issue 22, bug 13: a
Resume of 6 patients printed nothing after the question, being shorter than a progress
line's second)."""

from __future__ import annotations

from tests.engine.test_upload_cli import practice, practice_template, simulator_url, upload  # noqa: F401

FINISHED = "Finished (completed): this run checked "


def test_a_group_run_ends_with_its_own_counts_and_what_is_left_in_the_group(
    practice,  # noqa: F811
    simulator_url,  # noqa: F811
) -> None:
    result = upload(practice, "--mode", "run", "--group", "newreg", "--mhs-url", simulator_url,
                    "--yes")  # fmt: skip
    assert result.returncode == 0, result.stderr
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith(FINISHED), result.stdout
    assert 'left in group "newreg": unprocessed 0, sending 0' in last


def test_an_update_that_sends_nothing_says_why_in_its_last_line(
    practice,  # noqa: F811
    simulator_url,  # noqa: F811
) -> None:
    result = upload(practice, "--upload", "bulk-deregistration", "--mode", "run", "--group",
                    "newreg", "--mhs-url", simulator_url, "--yes")  # fmt: skip
    assert result.returncode == 0, result.stderr
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith(FINISHED) and "sent 0, failed 0" in last, result.stdout
    assert "NR08 No GP Summary sent by this practice" in last
