"""The simulator's answer to a PDS Retrieval Query (POST / with Interaction-Id QUPA_IN000008UK02).

As the MHS adaptor's synchronous workflow does (docs/pds.md §1): wait-for-response must be
false, from-asid is required (400 otherwise), a Spine SOAP fault becomes a 500 with the
adaptor's JSON, and a 200 carries only the HL7 reply. Faults of its own: pds_latency_ms,
pds_error_500_share, pds_refuse_asid; the general ones (outage, latency, 500s, resets) apply
before this, as for every POST.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from scrtui.domain.pds_match import PdsRecord
from scrtui.spine.pds import queried_nhs_number
from scrtui.standins.simulator.adaptor import Refused, check_content_type, read_payload
from scrtui.standins.simulator.config import SimulatorConfig
from scrtui.standins.simulator.pds import (
    PdsTable,
    differ,
    draw,
    load_practice,
    no_match_reply,
    override,
    success_reply,
)
from scrtui.standins.simulator.state import SimulatorState

FROM_ASID_REQUIRED = "`from_asid` header field required for sync messages"


def _check(request: web.Request, config: SimulatorConfig) -> None:
    if request.headers.get("wait-for-response", "").lower() != "false":
        raise Refused(400, "wait-for-response must be false for a synchronous interaction")
    check_content_type(request)
    if config.pds_refuse_asid or not request.headers.get("from-asid"):
        raise Refused(400, FROM_ASID_REQUIRED)


def _load(table: PdsTable, config: SimulatorConfig) -> None:
    """The table as PDS holds it: the practice, with the configured shares of differences."""
    table.loaded = True
    if not config.pds_practice_db:
        return
    records, _ods = load_practice(config.pds_practice_db)
    for nhs, record in records.items():
        kind = config.pds_kinds.get(nhs) or draw(nhs, config.seed, config.pds_shares)
        table.records[nhs] = record if kind is None else differ(record, kind)


def lookup(state: SimulatorState, nhs: str) -> PdsRecord | None:
    """PDS's record for this number (None: no match)."""
    table, config = state.pds, state.config
    if not table.loaded:
        _load(table, config)
    record = table.records.get(nhs)
    changes = config.pds_records.get(nhs)
    return record if changes is None else override(record, nhs, changes)


async def soap_fault(state: SimulatorState) -> bool:
    """PDS's own delay, then whether the Spine answers this query with a SOAP fault."""
    if state.config.pds_latency_ms > 0:
        await asyncio.sleep(state.config.pds_latency_ms / 1000)
    if state.chance(state.config.pds_error_500_share):
        state.faults["pds_error_500"] += 1
        return True
    return False


async def answer_query(
    request: web.Request, state: SimulatorState, headers: dict[str, str]
) -> web.Response:
    """The adaptor's checks, then the HL7 reply: the patient, or "no match"."""
    try:
        _check(request, state.config)
        payload = read_payload(await request.read(), state.config.max_request_size)
    except Refused as refused:
        return web.Response(status=refused.status, text=refused.text, headers=headers)
    state.pds.queries += 1
    record = lookup(state, queried_nhs_number(payload))
    query_id = headers["Message-Id"]
    body = no_match_reply(query_id) if record is None else success_reply(record, query_id)
    return web.Response(status=200, text=body, content_type="text/xml", headers=headers)
