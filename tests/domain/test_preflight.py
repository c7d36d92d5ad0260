"""The preflight's rules (scrtui/domain/preflight.py), on facts given directly."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from scrtui.domain import uploads
from scrtui.domain.preflight import Facts, decide, unknown_group
from scrtui.domain.records import Mode


def facts(mode: Mode = Mode.RUN, **changes: object) -> Facts:
    base = Facts(
        upload=uploads.INITIAL,
        mode=mode,
        group=None,
        gp_summary_enabled=True,
        known_groups=["$PAT", "NEWREG"],
        group_exists=True,
        selected=lambda _mode: 10,
        ever_sent=lambda: 5,
        consent_migration_completed=lambda: True,
        last_window=None,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_an_unknown_group_names_the_groups_there_are_and_what_to_do() -> None:
    said = decide(facts(group="GONE", group_exists=False)).refusal
    assert said == (
        'There is no patient group "GONE" (groups: $PAT, NEWREG): choose one of those, or all '
        "patients. Nothing was sent."
    )
    many = [f"G{i}" for i in range(15)]
    assert "G9, ...)" in unknown_group("X", many) and "G10" not in unknown_group("X", many)
    assert "(groups: none)" in unknown_group("X", [])


def test_nothing_to_do_is_refused_per_mode() -> None:
    none_selected = {"selected": lambda _mode: 0}
    assert "nothing to resume" in (decide(facts(Mode.RESUME, **none_selected)).refusal or "")
    assert "no failed initial uploads" in (
        decide(facts(Mode.FAILED, **none_selected)).refusal or ""
    )
    assert "nothing to rerun" in (decide(facts(Mode.RERUN, ever_sent=lambda: 0)).refusal or "")
    assert "no patients" in (decide(facts(Mode.RUN, **none_selected)).refusal or "")


def test_an_answer_carries_the_prompt_the_warning_and_the_kept_window() -> None:
    run = decide(facts(consent_migration_completed=lambda: False))
    assert run.refusal is None and run.prompt == uploads.kind(uploads.INITIAL).prompts[Mode.RUN]
    assert run.warning == uploads.CONSENT_FIRST_WARNING
    resume = decide(facts(Mode.RESUME, last_window=("18:00", "07:30")))
    assert resume.kept_window == ("18:00", "07:30") and resume.warning is None
    assert "stop at 18:00, resume at 07:30" in (resume.kept_text or "")
    assert decide(facts(Mode.RUN, last_window=("18:00", None))).kept_window is None


def test_consent_migration_is_asked_only_by_the_option_that_may_warn() -> None:
    def never() -> bool:
        raise AssertionError("asked")

    assert decide(facts(Mode.RESUME, consent_migration_completed=never)).refusal is None


def test_an_upload_that_needs_a_group_waits_for_it_but_not_for_gp_summary() -> None:
    dereg = {"upload": uploads.BULK_DEREGISTRATION}
    assert decide(facts(before_group=True, **dereg)).refusal is None  # chosen in the window
    assert "needs a patient group" in (decide(facts(**dereg)).refusal or "")
    off = decide(facts(before_group=True, gp_summary_enabled=False, **dereg)).refusal or ""
    assert off.startswith("GP Summary is switched off for this practice")


def test_a_deduction_date_in_the_future_is_refused_first() -> None:
    said = decide(
        facts(upload_date=date(9999, 12, 31), today=date(2026, 3, 1), group_exists=False,
              group="GONE")
    ).refusal  # fmt: skip
    assert said is not None and said.startswith("The deduction date 31/12/9999 is in the future")
