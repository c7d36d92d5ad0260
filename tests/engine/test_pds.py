"""PDS synchronisation in the upload, end to end: the real simulator's PDS answers over
loopback decide each patient before its summary goes (docs/pds.md)."""

from __future__ import annotations

import asyncio
from datetime import date

from scrtui.domain.progress import StopReason
from scrtui.domain.records import Bucket, Mode
from scrtui.store import queries
from scrtui.store.models import Patient
from tests.conftest import patience
from tests.engine.conftest import fast_settings, logged_in, wait_for
from tests.engine.test_edges import paused_by_outage, rows_by_nhs, run_to_end
from tests.engine.test_engine import expected_split

PDS_CODES = {"NR10", "NR11", "NR12", "NR13", "NR14", "NR15"}


def practice_record(nhs: str) -> Patient:
    return Patient.get(Patient.nhs_number == nhs)


def pds_cases(eligible: list[str]) -> tuple[dict[str, dict[str, object]], dict[str, str | None]]:
    """What PDS holds for a dozen eligible patients, and the code each must end with."""
    p = {nhs: practice_record(nhs) for nhs in eligible[:13]}
    n = list(p)
    # n[11]: a blank postcode on both sides, and a forename PDS spells otherwise.
    Patient.update(postcode="").where(Patient.nhs_number == n[11]).execute()
    records: dict[str, dict[str, object]] = {
        n[0]: {"surname": p[n[0]].surname + "-Jones"},
        n[1]: {"forename": "Zed", "postcode": "ZZ99 9ZZ"},
        n[2]: {"forename": "Zed"},  # the postcode still matches
        n[3]: {
            "surname": f"  {p[n[3]].surname}. ",
            "postcode": p[n[3]].postcode.replace(" ", "  "),
        },
        n[4]: {"not_found": True},
        n[5]: {"nhs_number": "9434765919"},
        n[6]: {"sensitive": True},
        n[7]: {"gp_ods_code": "B86099"},
        n[8]: {"deceased_on": "20240102"},
        n[9]: {"gender": "female" if p[n[9]].gender != "female" else "male"},
        n[10]: {"date_of_birth": "19000101"},
        n[11]: {"forename": "Zed", "postcode": ""},
        n[12]: {"postcode": ""},  # blank on PDS only, but the forename matches
    }
    expected: dict[str, str | None] = {
        n[0]: "NR10", n[1]: "NR10", n[2]: None, n[3]: None, n[4]: "NR11", n[5]: "NR12",
        n[6]: "NR13", n[7]: "NR14", n[8]: "NR15", n[9]: "NR10", n[10]: "NR10", n[11]: None,
        n[12]: None,
    }  # fmt: skip
    return records, expected


async def test_each_pds_answer_decides_the_patient_and_the_reporter_shows_why(seeded, sim):
    eligible = sorted(expected_split(date.today())[0])
    records, expected = pds_cases(eligible)
    await sim.control(pds_records=records)
    services = await logged_in(seeded, fast_settings(sim.url))
    try:
        final = await run_to_end(services, Mode.RUN)
        mismatches = await services.report_page(Bucket.NOT_REQUIRED, "", "reason", 0, 400)
    finally:
        services.close()
    assert final.reason == StopReason.COMPLETED.value
    rows = rows_by_nhs()
    for nhs, code in expected.items():
        assert rows[nhs]["bucket"] == ("sent" if code is None else "not_required"), nhs
        assert rows[nhs]["code"] == code, (nhs, rows[nhs]["text"])
    accepted = await sim.accepted()
    assert {n for n, c in expected.items() if c} & set(accepted) == set()  # nothing sent
    assert set(accepted) == set(eligible) - {n for n, c in expected.items() if c}
    # Every patient the rules let through was asked once, and nobody else.
    assert (await sim.stats())["pds_queries"] == len(eligible)
    n = list(expected)
    first = practice_record(n[0])
    assert rows[n[0]]["text"] == (
        f"PDS mismatch: surname (practice {first.surname}, PDS {first.surname}-Jones)"
    )
    assert "forename (practice" in str(rows[n[1]]["text"])
    assert "postcode (practice" in str(rows[n[1]]["text"]) and "PDS ZZ99 9ZZ" in str(
        rows[n[1]]["text"]
    )
    assert f"practice {n[5]}, PDS 9434765919" in str(rows[n[5]]["text"])
    assert "B86099" in str(rows[n[7]]["text"])
    shown = {r.nhs_number.replace(" ", ""): r.reason_text for r in mismatches}
    assert shown[n[0]] == rows[n[0]]["text"]  # what the SCR Reporter lists
    counts = {c.reason_code: c.reason_text for c in (await services.reason_counts())}
    assert counts["NR10"] == "PDS mismatch"  # the summary by reason names no patient's values


async def test_a_fixed_record_is_sent_by_the_next_run(seeded, sim):
    eligible = sorted(expected_split(date.today())[0])
    nhs = eligible[0]
    pds_surname = practice_record(nhs).surname + "-Jones"
    await sim.control(pds_records={nhs: {"surname": pds_surname}})
    services = await logged_in(seeded, fast_settings(sim.url))
    try:
        await run_to_end(services, Mode.RUN)
        assert rows_by_nhs()[nhs]["code"] == "NR10"
        # The practice corrects the surname (as a new extract would carry it).
        Patient.update(surname=pds_surname).where(Patient.nhs_number == nhs).execute()
        assert (await services.refusal(Mode.RUN)) is None
        final = await run_to_end(services, Mode.RUN)
    finally:
        services.close()
    assert final.reason == StopReason.COMPLETED.value
    assert rows_by_nhs()[nhs]["bucket"] == "sent"
    assert len((await sim.accepted())[nhs]) == 1


async def test_pds_faults_and_an_outage_make_nobody_not_required(seeded, sim):
    eligible, _ = expected_split(date.today())
    await sim.control(pds_error_500_share=0.3, seed=3)
    settings = fast_settings(sim.url, concurrency=4, rate_limit=200, outage_after_failures=4)
    services = await logged_in(seeded, settings)
    try:
        task = asyncio.create_task(services.run_upload(run_request()))
        await wait_for(lambda: services.snapshot().counts[Bucket.SENT] >= 20, what="some sent")
        await sim.control(outage=True)
        await wait_for(paused_by_outage(services), what="outage")
        assert not PDS_CODES & {r["code"] for r in rows_by_nhs().values()}
        await sim.control(outage=False)
        final = await asyncio.wait_for(task, patience(60))
    finally:
        services.close()
    assert final.reason == StopReason.COMPLETED.value
    rows = rows_by_nhs()
    assert not PDS_CODES & {r["code"] for r in rows.values()}
    assert queries.status_document()["failed"] == 0
    assert set(await sim.accepted()) == eligible
    assert (await sim.stats())["faults"]["pds_error_500"] > 0


async def test_switched_off_nobody_is_asked_and_the_run_log_warns(seeded, sim):
    eligible = sorted(expected_split(date.today())[0])
    await sim.control(pds_records={eligible[0]: {"not_found": True}})
    services = await logged_in(seeded, fast_settings(sim.url, pds_sync=False))
    try:
        final = await run_to_end(services, Mode.RUN)
        log = "\n".join(await services.upload_log_tail())
    finally:
        services.close()
    assert final.reason == StopReason.COMPLETED.value
    assert (await sim.stats())["pds_requests"] == 0
    assert set(await sim.accepted()) == set(eligible)
    assert "PDS synchronisation is switched off" in log


def run_request():
    from tests.engine.test_engine import run

    return run(Mode.RUN)


async def test_an_adaptor_refusing_the_pds_query_stops_the_run_and_puts_everyone_back(seeded, sim):
    await sim.control(pds_refuse_asid=True)
    services = await logged_in(seeded, fast_settings(sim.url))
    try:
        final = await run_to_end(services, Mode.RUN)
    finally:
        services.close()
    assert final.reason == StopReason.FATAL.value
    assert "refused the PDS query" in final.fatal_message
    assert "from_asid" in final.fatal_message
    buckets = {r["bucket"] for r in rows_by_nhs().values()}
    assert buckets <= {"unprocessed", "not_required"}  # nobody left Sending, nothing sent
    assert not PDS_CODES & {r["code"] for r in rows_by_nhs().values()}
    assert (await sim.stats())["accepted"] == 0


async def test_pds_values_it_cannot_read_make_nobody_not_required(seeded, sim):
    """A date that is not HL7's YYYYMMDD, a gender PDS does not use, a death date of "-": each
    is an answer that cannot be read, retried and then Failed RETRY (a Failed run asks again),
    never a PDS mismatch, a death, or a summary sent on an unread answer."""
    eligible = sorted(expected_split(date.today())[0])
    odd = {
        eligible[0]: {"date_of_birth": "1980-01-01"},
        eligible[1]: {"gender": "M"},
        eligible[2]: {"deceased_on": "-"},
    }
    await sim.control(pds_records=odd)
    services = await logged_in(seeded, fast_settings(sim.url, max_attempts=2))
    try:
        final = await run_to_end(services, Mode.RUN)
    finally:
        services.close()
    assert final.reason == StopReason.COMPLETED.value
    rows = rows_by_nhs()
    for nhs in odd:
        assert (rows[nhs]["bucket"], rows[nhs]["code"]) == ("failed", "RETRY"), rows[nhs]
        assert "unusable PDS reply" in str(rows[nhs]["text"])
    assert set(odd) & set(await sim.accepted()) == set()
    assert not PDS_CODES & {r["code"] for r in rows.values()}
