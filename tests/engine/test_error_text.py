"""The adaptor's error text in the logs: an error body that echoes the patient (NHS number,
name, date of birth, the payload) must not put them in scrtui.jsonl or the run log."""

from __future__ import annotations

import json

from aiohttp import web

from scrtui.domain.progress import StopReason
from scrtui.domain.records import Mode
from scrtui.spine.error_text import scrubbed
from scrtui.store.models import Patient
from tests.engine.conftest import fast_settings, logged_in
from tests.engine.test_engine import run
from tests.loopback import serving


def test_the_adaptors_own_words_survive_and_patient_data_does_not() -> None:
    kept = scrubbed("`from_asid` header field required for sync messages")
    assert kept == "`from_asid` header field required for sync messages"
    assert scrubbed("Unknown interaction ID: REPC_IN150016UK05").endswith("REPC_IN150016UK05")
    echoed = scrubbed(
        "Invalid request for 'Ann O''Brien', NHS 944 624 5796 born 1970-01-02 (02/01/1970),"
        ' 19700102: {"payload": "<REPC_IN150016UK05>...</REPC_IN150016UK05>"}'
    )
    for leak in ("Ann", "Brien", "944", "5796", "1970", "REPC", "02/01"):
        assert leak not in echoed, echoed
    assert echoed.startswith("Invalid request for [...]")


def test_a_json_or_soap_error_body_keeps_its_words_and_drops_the_rest() -> None:
    body = (
        '{"error_message": "Error(s) received from Spine.", "payload": "<x>Mary Smith</x>",'
        ' "errors": [{"description": "System failure", "name": "Mary Smith 9434765919"}]}'
    )
    assert scrubbed(body) == "Error(s) received from Spine.; System failure"
    fault = (
        "<SOAP-ENV:Envelope><SOAP-ENV:Body><SOAP-ENV:Fault><faultstring>System failure"
        "</faultstring><detail><given>Mary</given><nasp:description>about 9434765919"
        "</nasp:description></detail></SOAP-ENV:Fault></SOAP-ENV:Body></SOAP-ENV:Envelope>"
    )
    assert scrubbed(fault) == "System failure; about [number]"


async def test_an_error_body_echoing_the_patient_stays_out_of_the_logs(seeded):
    async def echo(request: web.Request) -> web.Response:
        payload = json.loads(await request.read())["payload"]
        nhs = payload.split('2.16.840.1.113883.2.1.4.1" extension="')[1][:10]
        patient = Patient.get(Patient.nhs_number == nhs)
        text = (
            f"Invalid request. Validation errors: patient {patient.forename} "
            f"'{patient.surname}' {nhs} born {patient.date_of_birth:%Y-%m-%d}: {payload}"
        )
        return web.Response(status=400, text=text)

    async with serving("/", echo) as url:
        settings = fast_settings(url, pds_sync=False, concurrency=8)
        services = await logged_in(seeded, settings)
        try:
            final = await services.run_upload(run(Mode.RUN))
        finally:
            services.close()
    assert final.reason == StopReason.FATAL.value
    assert "Invalid request. Validation errors: patient" in final.fatal_message
    logged = seeded.json_log.read_text(encoding="utf-8") + seeded.upload_log.read_text("utf-8")
    assert "Validation errors" in logged  # the adaptor's words are there
    for patient in Patient.select():
        assert patient.nhs_number not in logged
        assert f"{patient.date_of_birth:%Y-%m-%d}" not in logged
        assert f"'{patient.surname}'" not in logged
    assert "REPC_IN150016UK05" not in logged  # nor the payload
