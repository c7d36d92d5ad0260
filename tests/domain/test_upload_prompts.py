"""The confirmation prompts of the other bulk uploads say what they do (issue 22)."""

from __future__ import annotations


def test_the_prompts_say_what_consent_migration_and_deregistration_do() -> None:
    """issue 22: Consent Migration's Run never said it recodes local records; Bulk
    Deregistration said "all eligible patients" though it takes a group."""
    from scrtui.domain.records import Mode
    from scrtui.domain.uploads import BULK_DEREGISTRATION, CONSENT_MIGRATION, KINDS

    consent = KINDS[CONSENT_MIGRATION].prompts[Mode.RUN]
    assert "recode their consent codes in this practice's records" in consent
    assert "GP Summary Consent Migration" not in consent
    for mode in (Mode.RUN, Mode.RERUN):
        leaving = KINDS[BULK_DEREGISTRATION].prompts[mode]
        assert "the group you choose next" in leaving and "all eligible" not in leaving
