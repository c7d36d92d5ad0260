"""The completion report's rules: pauses and their causes from the run's statuses, the rate
between samples, and what its HTML page holds (and does not)."""

from __future__ import annotations

from datetime import datetime, timedelta

from scrtui.domain.completion_report import (
    CompletionReport,
    FailedPatient,
    Pause,
    RateSample,
    pause_cause,
    pauses_of,
)
from scrtui.domain.progress import RunStatus, StopReason
from scrtui.domain.records import Bucket
from scrtui.domain.report_html import render

T0 = datetime(2026, 5, 1, 9, 0)


def at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_each_stretch_in_paused_is_one_pause_with_its_cause() -> None:
    statuses = [
        (at(0), RunStatus.RUNNING.value, ""),
        (at(10), RunStatus.PAUSED.value, "smartcard removed: reinsert the card"),
        (at(30), RunStatus.PAUSED.value, "MHS unreachable: checking its health, will continue"),
        (at(40), RunStatus.RUNNING.value, ""),
        (at(50), RunStatus.PAUSED.value, "scheduled pause until 07:00"),
        (at(90), RunStatus.STOPPED.value, "stopped by the user"),
    ]
    pauses = pauses_of(statuses)
    assert [(p.cause, p.began, p.ended) for p in pauses] == [
        ("card", at(10), at(30)),
        ("outage", at(30), at(40)),
        ("window", at(50), at(90)),
    ]
    assert pause_cause("paused by the user: press Resume to continue") == "user"


def test_an_outage_pause_is_known_by_its_prefix_whatever_the_adaptor_says() -> None:
    said = (
        "the MHS at http://mhs:80/ answers 500 'card service certificate expired' to every "
        "message since 02:14; next try 02:19"
    )
    assert pause_cause(said) == "outage"
    later = said.replace("500 'card service certificate expired'", "502 'Bad Gateway'")
    statuses = [
        (at(0), RunStatus.PAUSED.value, said),
        (at(5), RunStatus.PAUSED.value, said.replace("02:19", "02:24")),  # each probe's next try
        (at(9), RunStatus.PAUSED.value, later),
        (at(20), RunStatus.STOPPING.value, "stopped: the MHS did not answer usably"),
    ]
    assert pauses_of(statuses) == (Pause(at(0), at(20), "outage", later.split("; next try")[0]),)
    assert pause_cause("acknowledgement queue unreachable: will continue when it is back") == (
        "outage"
    )


def report(**changes: object) -> CompletionReport:
    values: dict[str, object] = dict(
        run_id=3, upload="initial", upload_label="Initial Upload", mode="run", group=None,
        user_name="Dr <b>Smith</b>", sds_user_id="555000000001", role_profile_id="555000000011",
        job_role="R8000", ods_code="A12345", practice_name="Demo", created_at=T0,
        scheduled_for=None, window="", started_at=T0, ended_at=at(60), outcome="completed",
        outcome_detail="", generated_at=at(120),
        upload_counts={b: 1 for b in Bucket}, run_counts={b: 1 for b in Bucket},
        failed=(FailedPatient("9990000018", "30418", "ACF"),),
        samples=(RateSample(at(0), 0, 0), RateSample(at(10), 50, 40), RateSample(at(20), 90, 60)),
    )  # fmt: skip
    values.update(changes)
    return CompletionReport(**values)  # type: ignore[arg-type]


def test_the_next_step_names_the_mhs_ending_and_what_resume_continues() -> None:
    waiting = {Bucket.SENDING: 3, Bucket.UNPROCESSED: 1200, Bucket.FAILED: 0}
    outage = report(outcome=StopReason.OUTAGE.value, run_counts=waiting)
    assert outage.next_step == (
        "The MHS adaptor gave no usable answer within the outage limit (its words are in the "
        "detail above). It marked nobody Failed. Resume continues the 1,203 patients of this "
        "run still waiting (Sending 3, which go again under the same message ids; "
        "Unprocessed 1,200)."
    )
    setup = report(outcome=StopReason.MHS_SETUP.value, run_counts={Bucket.SENT: 5})
    assert setup.next_step.endswith(
        "It marked nobody Failed. None of this run's patients is waiting."
    )
    assert report(outcome=StopReason.USER.value, run_counts=waiting).next_step.startswith(
        "Resume continues the 1,203 patients"
    )
    assert report().next_step == ""  # completed
    page = render(outage)
    assert 'data-figure="next_step">The MHS adaptor gave no usable answer' in page


def test_the_rate_is_messages_a_second_between_samples() -> None:
    assert report().rates() == [(at(10), 4.0), (at(20), 2.0)]
    assert report().average_rate() == 3.0
    assert report(samples=(RateSample(at(0), 0, 0),)).average_rate() is None


def test_the_html_page_is_escaped_self_contained_and_names_its_figures() -> None:
    page = render(report())
    assert "Dr &lt;b&gt;Smith&lt;/b&gt;" in page  # what the database holds cannot become markup
    assert "<script" not in page and "<link" not in page and "<img" not in page
    assert 'data-figure="total">5<' in page and 'data-figure="failed_listed">1<' in page
    assert "999 000 0018" in page
    assert page.count("<svg") == 1  # no reasons in this run: only the rate chart
    assert "no clinical content" in page
