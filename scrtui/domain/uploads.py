"""The five GP Summary bulk uploads, each one small description the engine, screens and CLI read.

Every upload has the same four options, results counters, exactly-once rules and Failed path
(docs/uploads.md); what differs is here: its name and prompts, who it is for (Not Required
reasons), what text its summary ends with, and when it may not run at all. Adding an upload is
adding one UploadKind to KINDS.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from scrtui.domain import eligibility, nhs_number
from scrtui.domain.eligibility import Decision, Reason
from scrtui.domain.prompts import CONFIRMATION
from scrtui.domain.records import DISSENT_CODE, Mode, PatientRecord


class UploadId(enum.StrEnum):
    """Which bulk upload: the id the database, the command line (--upload) and the screens use."""

    INITIAL = "initial"
    BULK_UPDATE = "bulk-update"
    CONSENT_MIGRATION = "consent-migration"
    BULK_DEREGISTRATION = "bulk-deregistration"
    NO_LONGER_CONTRIBUTING = "no-longer-contributing"


INITIAL = UploadId.INITIAL
BULK_UPDATE = UploadId.BULK_UPDATE
CONSENT_MIGRATION = UploadId.CONSENT_MIGRATION
BULK_DEREGISTRATION = UploadId.BULK_DEREGISTRATION
NO_LONGER_CONTRIBUTING = UploadId.NO_LONGER_CONTRIBUTING

NO_PREVIOUS_SUMMARY = Reason(
    "NR08", "No GP Summary sent by this practice: there is nothing to update"
)
NO_DISSENT = Reason("NR09", "No dissent recorded: no consent record needs sending")


class Transport(enum.StrEnum):
    MHS = "mhs"  # a GP Summary through the MHS adaptor
    CONSENT = "consent"  # SET_RESOURCE_PERMISSIONS to the Spine's consent service


# The Settings row as the Settings screen labels it (scrtui/settings.py LABELS uses the same).
GP_SUMMARY_LABEL = "GP Summary"
GP_SUMMARY_ROW = f'SCR > Settings, row "{GP_SUMMARY_LABEL}" (F5)'


class GpSummaryNeed(enum.Enum):
    ON = "on"  # runs only while GP Summary is switched on (every upload but one)
    OFF = "off"  # runs only once it is switched off (Practice No Longer Contributing)


@dataclass(frozen=True, slots=True)
class Context:
    """What a decision may look at besides the patient."""

    today: date
    update_existing_after_days: int
    previous_summary: str | None  # the last summary this practice sent the patient, if any


@dataclass(frozen=True, slots=True)
class UploadKind:
    id: UploadId
    label: str  # "Bulk Update", as on the Bulk Transmission screen
    noun: str  # what one message is called in sentences: "bulk update"
    prompts: dict[Mode, str]
    decide: Callable[[PatientRecord, Context], Decision]
    transport: Transport = Transport.MHS
    gp_summary: GpSummaryNeed = GpSummaryNeed.ON
    needs_group: bool = False
    asks_date: bool = False  # the upload window asks for a date (Bulk Deregistration)
    closing_text: Callable[[date], str] | None = None  # appended to the summary's text
    recodes_consent: bool = False  # recodes local consent first (scrtui/domain/consent.py)
    # Vision runs the PDS synchronisation during the Initial Upload (docs/pds.md); the other
    # uploads go to patients whose summary the Spine already holds, so they do not (a choice).
    checks_pds: bool = False

    def title(self, mode: Mode) -> str:
        return f"{self.label} - {mode.label}"

    def refusal(self, *, gp_summary_enabled: bool, group: str | None) -> str | None:
        """Why this upload cannot run now whatever its patients' state, or None."""
        standing = self.standing_refusal(gp_summary_enabled=gp_summary_enabled)
        if standing:
            return standing
        if self.needs_group and not group:
            return (
                f"{self.label} needs a patient group: put the patients who are leaving in a "
                "group (SCR > Patient Groups) and choose it in the upload window."
            )
        return None

    def standing_refusal(self, *, gp_summary_enabled: bool) -> str | None:
        """Why this upload cannot run at all now, whichever group is chosen (the screens ask
        before the upload window, where the group is chosen), or None."""
        if self.gp_summary is GpSummaryNeed.ON and not gp_summary_enabled:
            return (
                f"GP Summary is switched off for this practice: switch it on in {GP_SUMMARY_ROW}, "
                f"before running the {self.label}."
            )
        if self.gp_summary is GpSummaryNeed.OFF and gp_summary_enabled:
            return (
                f"{self.label} is not available until GP Summary has been switched off in "
                f"{GP_SUMMARY_ROW}."
            )
        return None


def _prompts(name: str, plural: str) -> dict[Mode, str]:
    """The Initial Upload's confirmation wording (domain.md §1.2) with another upload's name."""
    return {
        Mode.RUN: f"This action will send a GP Summary {name} for all eligible patients. "
        "Do you wish to proceed?",
        Mode.RESUME: f"Continue with the {name.lower()}?",
        Mode.RERUN: f"Some {plural} have already been sent. This operation will resend messages "
        "for all eligible patients. Do you wish to proceed?",
        Mode.FAILED: f"This action will reprocess all failed {plural.lower()}. "
        "Do you wish to proceed?",
    }


# Issue 22: Consent Migration's Run never said that it recodes local records, and Bulk
# Deregistration's said "all eligible patients" though it takes a group.
CONSENT_MIGRATION_PROMPTS = {
    **_prompts("Consent Migration", "Consent Migrations"),
    Mode.RUN: "This action will send a Consent Migration for all eligible patients and recode "
    "their consent codes in this practice's records (93C3 to 9Ndo, 93C2 to 9Ndn; 9Ndl for a "
    "patient with a National Summary and no code). Do you wish to proceed?",
}
DEREGISTRATION_PROMPTS = {
    **_prompts("Bulk Deregistration", "Bulk Deregistrations"),
    Mode.RUN: "This action will send a GP Summary Bulk Deregistration for the patients of the "
    "group you choose next (the patients who have left). Do you wish to proceed?",
    Mode.RERUN: "Some Bulk Deregistrations have already been sent. This operation will resend "
    "messages for the patients of the group you choose next. Do you wish to proceed?",
}


# Practice No Longer Contributing: Vision's own menu texts (bulk-uploads.md §5.1), followed by
# the question every other confirmation asks.
_PNLC_RUN = (
    "To send a GP summary update to the SCR of all eligible patients at this practice. Each "
    "update is annotated to indicate that the patient's practice is no longer contributing and "
    "no further updates are expected."
)
PNLC_PROMPTS: dict[Mode, str] = {
    Mode.RUN: f"{_PNLC_RUN} Do you wish to proceed?",
    Mode.RESUME: "To continue an ending contribution notification that has been paused. "
    "Do you wish to proceed?",
    Mode.RERUN: f"{_PNLC_RUN} Do you wish to proceed?",
    Mode.FAILED: "To reprocess all failed updates from the previous 'No Longer Registered' "
    "update. Do you wish to proceed?",
}

# The sentence Vision adds for a practice split (bulk-uploads.md §4.1); the date is the
# deduction date entered in the upload window.
DEREGISTRATION_TEXT = "Patient registration ended ({date}). GP Summary no longer being updated."
# The sources give only a paraphrase for this annotation (bulk-uploads.md §5.1, §5.2).
NO_LONGER_CONTRIBUTING_TEXT = (
    "This patient's practice is no longer contributing to the Summary Care Record. "
    "No further updates to this GP Summary are expected."
)


def deregistration_text(deducted: date) -> str:
    return DEREGISTRATION_TEXT.format(date=f"{deducted:%d/%m/%Y}")


def _initial(patient: PatientRecord, ctx: Context) -> Decision:
    return eligibility.decide(patient, ctx.today, ctx.update_existing_after_days)


def _update(patient: PatientRecord, ctx: Context) -> Decision:
    """An update goes to a patient the Initial Upload's rules allow, whatever summary they came
    with, and only over a summary this practice sent."""
    decision = eligibility.decide(patient, ctx.today, update_existing_after_days=-1)
    if not decision.eligible:
        return decision
    if ctx.previous_summary is None:
        return Decision(False, NO_PREVIOUS_SUMMARY)
    return eligibility.ELIGIBLE


def _consent(patient: PatientRecord, ctx: Context) -> Decision:
    """Only dissent is sent to the Spine's consent service (bulk-uploads §2.1: "sends all
    patient dissent clinical terms"); the codes are read after the run's local recoding."""
    if not nhs_number.is_valid(patient.nhs_number):
        return Decision(False, eligibility.INVALID_NHS_NUMBER)
    if patient.consent_code != DISSENT_CODE:
        return Decision(False, NO_DISSENT)
    return eligibility.ELIGIBLE


INITIAL_UPLOAD = UploadKind(
    INITIAL, "Initial Upload", "initial upload", CONFIRMATION, _initial, checks_pds=True
)
KINDS: dict[UploadId, UploadKind] = {
    kind.id: kind
    for kind in (
        INITIAL_UPLOAD,
        UploadKind(
            BULK_UPDATE,
            "Bulk Update",
            "bulk update",
            _prompts("Bulk Update", "Bulk Updates"),
            _update,
        ),
        UploadKind(
            CONSENT_MIGRATION,
            "Consent Migration",
            "consent migration",
            CONSENT_MIGRATION_PROMPTS,
            _consent,
            transport=Transport.CONSENT,
            recodes_consent=True,
        ),
        UploadKind(
            BULK_DEREGISTRATION,
            "Bulk Deregistration",
            "bulk deregistration",
            DEREGISTRATION_PROMPTS,
            _update,
            needs_group=True,
            asks_date=True,
            closing_text=deregistration_text,
        ),
        UploadKind(
            NO_LONGER_CONTRIBUTING,
            "Practice No Longer Contributing to SCR",
            "ending contribution notification",
            PNLC_PROMPTS,
            _update,
            gp_summary=GpSummaryNeed.OFF,
            closing_text=lambda _day: NO_LONGER_CONTRIBUTING_TEXT,
        ),
    )
}
# Kinds whose messages are GP Summaries: their accepted ids are the patient's summaries.
SUMMARY_KINDS = tuple(k.id for k in KINDS.values() if k.transport is Transport.MHS)


CONSENT_FIRST_WARNING = (
    "Consent Migration has not completed for this practice. Run it first, so that the Spine "
    "knows which patients have dissented before their summaries are sent (Vision's order: "
    "Consent Migration, then the Initial Upload)."
)


def run_warning(kind_id: str, mode: Mode, consent_migration_completed: bool) -> str | None:
    """A warning to show before the confirmation, or None: the Initial Upload's Run before any
    Consent Migration has completed may go on, but only once the user has read why not."""
    if kind_id == INITIAL and mode is Mode.RUN and not consent_migration_completed:
        return CONSENT_FIRST_WARNING
    return None


def deduction_date_problem(day: date, today: date, records_begin: date | None) -> str | None:
    """Why a deduction date cannot be the date every summary of the upload states, or None.

    Not in the future (it says the patients have left) and not before the practice's records
    begin (its earliest registration): either is a typing slip that would go to the Spine in
    every message."""
    if day > today:
        return (
            f"the deduction date {day:%d/%m/%Y} is in the future: enter the date the patients "
            f"left, today ({today:%d/%m/%Y}) at the latest"
        )
    if records_begin is not None and day < records_begin:
        return (
            f"the deduction date {day:%d/%m/%Y} is before the practice's records begin "
            f"({records_begin:%d/%m/%Y}, its earliest registration): check the date"
        )
    return None


def kind(kind_id: str) -> UploadKind:
    """The upload called `kind_id`; ValueError naming the known ones otherwise."""
    try:
        return KINDS[UploadId(kind_id)]
    except ValueError:
        raise ValueError(
            f"unknown upload {kind_id!r}: expected one of {', '.join(KINDS)}"
        ) from None
