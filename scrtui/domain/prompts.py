"""The exact confirmation wording of the Vision Initial Upload options (the full older text)."""

from __future__ import annotations

from scrtui.domain.records import Mode

CONFIRMATION: dict[Mode, str] = {
    Mode.RUN: (
        "This action will send a GP Summary Initial Upload for all eligible patients. This "
        "should only be run at a time and date agreed with HSCIC. Do you wish to proceed?"
    ),
    Mode.RESUME: "Continue with the initial upload?",
    Mode.RERUN: (
        "Some Initial Uploads have already been sent. This operation will resend messages for "
        "all eligible patients. Do you wish to proceed?"
    ),
    Mode.FAILED: "This action will reprocess all failed initial uploads. Do you wish to proceed?",
}

EXIT_QUESTION = "Are you sure you want to exit the application?"
PROCESS_COMPLETED = "Process completed."
ENABLE_PROMPTS = (
    "Switching on SCR will allow Initial GP Summaries/GP Summary updates to be sent to "
    "patients' Summary Care Records. Do you want to continue?",
    "Are you certain you wish to turn GP Summary messaging ON?",
)
