"""The faults the simulator injects before it answers: outage, latency, slow, 500, 429, reset.

Its own module so the MHS endpoint (server.py) and the consent endpoint (consent.py) share them
without importing each other.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import orjson
from aiohttp import web

from scrtui.standins.simulator.state import SimulatorState

# The adaptor's answer when the Spine's messaging layer fails (§4.5, a SOAP fault 200).
SPINE_FAULT_BODY = orjson.dumps(
    {
        "error_message": "Error(s) received from Spine. Contact system administrator.",
        "process_key": "SOAP_ERROR_HANDLER0002",
        "errors": [
            {
                "codeContext": "urn:nhs:names:error:tms",
                "errorCode": "200",
                "severity": "Error",
                "location": "Not Supported",
                "description": "System failure to process message - default",
                "errorType": "soap_fault",
            }
        ],
    }
)


def text_response(status: int, text: str, headers: Mapping[str, str] | None = None) -> web.Response:
    return web.Response(status=status, text=text, content_type="text/plain", headers=headers)


def retry_headers(state: SimulatorState) -> dict[str, str]:
    seconds = state.config.retry_after
    return {} if seconds is None else {"Retry-After": str(seconds)}


def drop_connection(request: web.Request) -> None:
    """Close the socket without an answer, as a reset connection looks to the client."""
    transport = request.transport
    if transport is not None:
        transport.abort()
    request.protocol.force_close()


# The real adaptor's words (NHSDigital/integration-adaptor-mhs, mhs/common/mhs_common/workflow).
SPINE_UNREACHABLE = "Error making outbound request"
NO_ROUTE = "Error obtaining outbound URL"


async def injected_faults(state: SimulatorState) -> web.Response | None:
    config = state.config
    if config.outage_503:
        state.faults["outage"] += 1
        return text_response(503, "Service unavailable (simulated outage)", retry_headers(state))
    if config.outage:
        state.faults["outage"] += 1
        return text_response(500, SPINE_UNREACHABLE)
    if config.latency_ms > 0:
        await asyncio.sleep(config.latency_ms / 1000)
    if state.chance(config.slow_share):
        state.faults["slow"] += 1
        await asyncio.sleep(config.slow_seconds)
    if state.chance(config.error_500_share):
        state.faults["error_500"] += 1
        return text_response(500, SPINE_FAULT_BODY.decode(), retry_headers(state))
    if state.chance(config.error_429_share):
        state.faults["error_429"] += 1
        return text_response(429, "Too Many Requests (simulated)", retry_headers(state))
    return None
