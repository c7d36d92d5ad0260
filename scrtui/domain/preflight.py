"""Before an upload starts: the one answer the CLI (`scrtui upload`) and the Bulk Transmission
screen both show before they ask the user, and the engine checks once more when the run starts.

The rules are here (plain Python); the facts they read (does the group exist, how many patients
a mode would take, has Consent Migration completed, the last run's window) are gathered from
the database by scrtui/engine/preflight.py, behind the services (scrtui/wiring.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from scrtui.domain import uploads
from scrtui.domain.records import Mode

GROUPS_NAMED = 10  # an unknown group's refusal names this many of the practice's groups


@dataclass(frozen=True, slots=True)
class Preflight:
    """What to say before asking: a refusal (then nothing else applies), or the warning to show
    above the confirmation prompt and the stop/resume window a Resume keeps."""

    refusal: str | None = None
    warning: str | None = None
    prompt: str = ""
    kept_window: tuple[str, str] | None = None  # (stop HH:MM or "", resume HH:MM or "")

    @property
    def kept_text(self) -> str | None:
        """The kept window in a sentence (the CLI prints it before the prompt), or None."""
        if self.kept_window is None:
            return None
        stop, resume = self.kept_window
        window = f"stop at {stop}" + (f", resume at {resume}" if resume else "")
        return (
            f"Keeping the stop/resume window of the run being resumed: {window}. "
            'To change it pass --stop and --resume-at (--stop "" for none).'
        )


def unknown_group(name: str, known: Sequence[str]) -> str:
    """The one wording of a group that is not there (never chosen, or deleted since)."""
    listed = ", ".join(known[:GROUPS_NAMED]) + (", ..." if len(known) > GROUPS_NAMED else "")
    return (
        f'There is no patient group "{name.strip()}" (groups: {listed or "none"}): choose '
        "one of those, or all patients. Nothing was sent."
    )


@dataclass(frozen=True, slots=True)
class Facts:
    """What the rules read. The counts are asked lazily (each is a query over the practice):
    `selected(mode)` is how many patients the mode would take, `ever_sent()` how many the Spine
    has accepted this upload's message for; both narrowed to the group."""

    upload: uploads.UploadId
    mode: Mode
    group: str | None
    gp_summary_enabled: bool
    known_groups: Sequence[str]  # the practice's group names (to say which exist)
    group_exists: bool
    selected: Callable[[Mode], int]
    ever_sent: Callable[[], int]
    consent_migration_completed: Callable[[], bool]
    last_window: tuple[str | None, str | None] | None  # the last run's (stop_at, resume_at)
    before_group: bool = False  # the group is chosen later (the app's upload window)
    upload_date: date | None = None  # the date the messages carry (Bulk Deregistration)
    today: date | None = None
    records_begin: Callable[[], date | None] = lambda: None


def decide(facts: Facts) -> Preflight:
    """The preflight's answer for these facts."""
    refusal = refusal_of(facts)
    if refusal:
        return Preflight(refusal=refusal)
    kind = uploads.kind(facts.upload)
    warning = uploads.run_warning(kind.id, facts.mode, consent_migration_completed=False)
    if warning is not None:  # this option may warn: only then is Consent Migration asked
        warning = uploads.run_warning(kind.id, facts.mode, facts.consent_migration_completed())
    return Preflight(
        warning=warning, prompt=kind.prompts[facts.mode], kept_window=kept_window(facts)
    )


def refusal_of(facts: Facts) -> str | None:
    """Why the mode cannot start, or None (the card is the session's business)."""
    kind = uploads.kind(facts.upload)
    waits_for_group = facts.before_group and kind.needs_group
    if waits_for_group:
        return kind.standing_refusal(gp_summary_enabled=facts.gp_summary_enabled)
    reason = date_problem(facts)
    if reason is None and facts.group is not None and not facts.group_exists:
        reason = unknown_group(facts.group, facts.known_groups)
    reason = reason or kind.refusal(gp_summary_enabled=facts.gp_summary_enabled, group=facts.group)
    return reason or nothing_to_do(facts, kind)


def date_problem(facts: Facts) -> str | None:
    """A deduction date the messages may not carry (uploads.deduction_date_problem), or None."""
    if facts.upload_date is None or facts.today is None:
        return None
    problem = uploads.deduction_date_problem(facts.upload_date, facts.today, facts.records_begin())
    return f"{problem[:1].upper()}{problem[1:]}; nothing was sent." if problem else None


def nothing_to_do(facts: Facts, kind: uploads.UploadKind) -> str | None:
    """Why the mode has no work among the group's patients (or the practice's), or None."""
    mode, group, count = facts.mode, facts.group, facts.selected
    among = f' in group "{group}"' if group else ""
    if mode is Mode.RESUME and count(mode) == 0:
        return (
            f"There is nothing to resume{among}: no upload was interrupted or paused. "
            "Use Run to send to new patients, or Failed to reprocess failures."
        )
    if mode is Mode.FAILED and count(mode) == 0:
        return f"There are no failed {kind.noun}s to reprocess{among}."
    if mode is Mode.RERUN and facts.ever_sent() == 0:
        return f"No {kind.label} has been sent yet{among}, so there is nothing to rerun: use Run."
    if mode is Mode.RUN and count(mode) == 0:
        if count(Mode.RERUN) == 0:
            if group:
                return f'The group "{group}" has no patients: add some, or choose all patients.'
            return "The practice has no patients: import or seed the practice first."
        return (
            f"Every patient{among} has been sent or has failed: there is nothing to run. "
            "Use Failed to reprocess failures, or Rerun to send everyone again."
        )
    return None


def kept_window(facts: Facts) -> tuple[str, str] | None:
    """Resume continues the last run: it keeps that run's stop and resume times."""
    if facts.mode is not Mode.RESUME or facts.last_window is None:
        return None
    stop, resume = facts.last_window
    if not (stop or resume):
        return None
    return (stop or "", resume or "")
