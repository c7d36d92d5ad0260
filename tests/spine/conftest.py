"""Shared fixtures: reference files, a patient, an author, fast-retry settings, a simulator."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from scrtui.domain.records import Allergy, Author, Medication, PatientRecord, RegistrationStatus
from scrtui.settings import Settings
from scrtui.standins.simulator import RunningSimulator, SimulatorConfig, running_simulator

# The NHS's own example messages, copied into the repository with their licence (NOTICE there).
REFERENCE = Path(__file__).resolve().parents[1] / "fixtures" / "nhs-mhs"
TODAY = date(2026, 11, 25)
NHS = "9446245796"


def reference(name: str) -> Path:
    """A reference file; a missing one fails the test, because it is the ground truth."""
    path = REFERENCE / name
    if not path.is_file():
        raise FileNotFoundError(f"reference file {path} is missing from the repository")
    return path


def make_patient(nhs: str = NHS, **changes: object) -> PatientRecord:
    patient = PatientRecord(
        nhs_number=nhs,
        forename="Ann",
        surname="O'Brien",
        date_of_birth=date(1970, 1, 2),
        gender="female",
        postcode="LS1 4HR",
        registration_status=RegistrationStatus.PERMANENT,
        registration_date=date(2000, 1, 1),
        medications=(
            Medication("Salbutamol 100mcg inhaler", "2 puffs prn", True, date(2020, 1, 1)),
            Medication("Amoxicillin 500mg", "1 tds", False, date(2026, 9, 1)),
        ),
        allergies=(Allergy("Penicillin", "rash", date(2010, 5, 6)),),
    )
    return replace(patient, **changes)  # type: ignore[arg-type]


AUTHOR = Author(
    sds_user_id="979603625513",
    name="Dr Test",
    role_profile_id="055888118514",
    job_role_code="R0260",
)


def fast_settings(url: str, **changes: object) -> Settings:
    """Retries in milliseconds so a whole retry sequence costs next to nothing."""
    base = Settings(
        mhs_url=url,
        max_attempts=3,
        backoff_base=0.005,
        backoff_max=0.02,
        connect_timeout=2.0,
        total_timeout=5.0,
        concurrency=8,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


async def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll a condition; the way tests synchronise, never a fixed sleep."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met within the timeout")
        await asyncio.sleep(0.005)


@pytest.fixture
async def sim() -> AsyncIterator[RunningSimulator]:
    async with running_simulator(SimulatorConfig(seed=1)) as running:
        yield running
