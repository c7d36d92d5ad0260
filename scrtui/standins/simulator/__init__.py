"""A stand-in for the NHS MHS adaptor's outbound API and the Spine behind it (aiohttp.web).

It answers like the real adaptor (status codes and texts of domain.md §4.2) and like the Spine
(MCCI_IN010000UK13 acknowledgements, PSIS error codes of §4.5), eliminates duplicates by
message id, injects faults on request, and counts what it accepted so tests and demos can
check exactly-once delivery. docs/spine.md lists its flags and control API.

Rooms: config (what may be injected), faults (injecting them), answers (the Spine's answers),
adaptor (the adaptor's checks of a request), judge (the Spine's judgement of a summary), state
(what it remembers), server (the aiohttp application), consent and pds_room (the consent and
PDS endpoints), queue (asynchronous mode's publisher), process (running it in tests or as a
child process).

Order of events for POST /: the route lookup (500 "Error obtaining outbound URL" for an
ods-code that is not the Spine's, or route_error) → outage (500 "Error making outbound
request", /healthcheck still 200; outage_503: the old 503) → latency → slow → 500/429 → the
adaptor's checks and the Spine's judgement → reset (the connection is dropped *after* the
message was judged, so the client's resend of the same Message-Id meets duplicate
elimination, which is the case exactly-once delivery must survive).
"""

from __future__ import annotations

from scrtui.standins.simulator.answers import Answer, build_ack
from scrtui.standins.simulator.config import SimulatorConfig, config_changes
from scrtui.standins.simulator.judge import Judgement, judge
from scrtui.standins.simulator.process import (
    READY_PREFIX,
    RunningSimulator,
    running_simulator,
    start_simulator_process,
    url_for,
)
from scrtui.standins.simulator.server import create_app
from scrtui.standins.simulator.state import SimulatorState

__all__ = [
    "READY_PREFIX",
    "Answer",
    "Judgement",
    "RunningSimulator",
    "SimulatorConfig",
    "SimulatorState",
    "build_ack",
    "config_changes",
    "create_app",
    "judge",
    "running_simulator",
    "start_simulator_process",
    "url_for",
]
