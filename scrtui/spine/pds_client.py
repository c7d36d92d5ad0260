"""Asking PDS about one patient through the MHS adaptor's synchronous workflow.

The query goes through the run's transport (one session, its retries, backoff and outage
counting) as an interaction of its own beside the run's (`pds_query`): Interaction-Id
QUPA_IN000008UK02, wait-for-response false, from-asid (docs/pds.md §1). A transport fault or a
SOAP fault (500) is retried and counts towards an outage like a summary's; a 400 (no from-asid,
a bad request) or a 404 (pdsquery not routed) is FATAL: the set-up is wrong, not the patient.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime

from scrtui.spine.client import classify
from scrtui.spine.interaction import Interaction
from scrtui.spine.message import new_message_id
from scrtui.spine.outcome import SendOutcome, SendResult, Verdict
from scrtui.spine.pds import QUERY_INTERACTION_ID, PdsReplyError, build_query, parse_reply
from scrtui.spine.transport import Transport

PDS_HEADERS = {"Interaction-Id": QUERY_INTERACTION_ID, "wait-for-response": "false"}
BAD_REPLY_CODE = "BAD-PDS"


def classify_pds(status: int, body: bytes, message_id: str) -> Verdict:
    """The meaning of one answer to a PDS query; a usable reply is SENT with it as detail."""
    if status == 202:
        return Verdict(
            SendOutcome.FATAL,
            error_code="HTTP-202",
            error_text="the MHS adaptor did not answer the PDS query synchronously: check "
            "that it routes urn:nhs:names:services:pdsquery, or switch PDS synchronisation off",
        )
    if status != 200:
        verdict = classify(status, body, message_id)
        if verdict.outcome is SendOutcome.FATAL:
            text = f"the MHS adaptor refused the PDS query: {verdict.error_text}"
            return Verdict(
                SendOutcome.FATAL, error_code=verdict.error_code, error_text=text, said=verdict.said
            )
        return verdict
    try:
        reply = parse_reply(body, message_id)
    except PdsReplyError as exc:
        return Verdict(
            SendOutcome.RETRY_LIMIT,
            retryable=True,
            error_code=BAD_REPLY_CODE,
            error_text=f"unusable PDS reply: {exc}",
        )
    if reply.record is None and not reply.not_found:
        return Verdict(
            SendOutcome.RETRY_LIMIT,
            retryable=True,
            error_code=BAD_REPLY_CODE,
            error_text=f"PDS query failed: {', '.join(reply.failure_codes)} {reply.failure_text}",
        )
    return Verdict(SendOutcome.SENT, detail=reply)


def pds_query(run: Interaction) -> Interaction:
    """The PDS query beside the run's summaries: the same endpoint, body and headers but its
    own Interaction-Id, and its answer comes on the call (wait-for-response false: docs/pds.md)."""
    return replace(
        run,
        headers={**run.headers, **PDS_HEADERS},
        classify=classify_pds,
        asynchronous=False,
    )


async def query_pds(
    client: Transport,
    nhs_number: str,
    *,
    sending_asid: str,
    spine_asid: str,
    now: datetime,
    give_up: asyncio.Event | None = None,
    attempts: int | None = None,
) -> SendResult:
    """One PDS Retrieval Query; SENT carries the PdsReply in `detail`."""
    query_id = new_message_id()
    payload = build_query(
        nhs_number, message_id=query_id, sending_asid=sending_asid, spine_asid=spine_asid, now=now
    )
    return await client.send(
        query_id,
        payload,
        give_up=give_up,
        attempts=attempts,
        interaction=pds_query(client.interaction),
    )
