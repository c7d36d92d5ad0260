"""Fault-injection settings of the simulator: what the command line and POST /control may change."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scrtui.domain import nhs_number
from scrtui.standins.simulator.pds import KINDS

SPINE_ODS_CODE = "YES"  # the Spine's own ODS code (the adaptor's MHS_SPINE_ORG_CODE)
SPINE_ASID = "227319907548"  # the test Spine ASID of the MHS ops walkthrough (§4.4)
MAX_PAYLOAD_CHARS = 5_000_000  # the adaptor's request schema limit (§4.2)
PSIS_CODE_SYSTEM = "2.16.840.1.113883.2.1.3.2.4.17.33"


@dataclass
class SimulatorConfig:
    latency_ms: float = 0
    error_500_share: float = 0
    reset_share: float = 0
    slow_share: float = 0
    slow_seconds: float = 60
    reject_nhs_numbers: set[str] = field(default_factory=set)
    # The Spine unreachable from the adaptor: every message 500 text/plain "Error making
    # outbound request", /healthcheck still 200, as the real adaptor answers (issue 19).
    outage: bool = False
    # The old simulator's outage instead: 503 (+ Retry-After) and /healthcheck 503 as well.
    outage_503: bool = False
    # The adaptor's route lookup fails for every message: 500 "Error obtaining outbound URL".
    route_error: bool = False
    # An ods-code header other than this gets "Error obtaining outbound URL", as SDS has no
    # route for a GP practice's code and a Spine interaction; "" accepts any.
    spine_ods_code: str = SPINE_ODS_CODE
    # The sync service (Consent Migration) answers HTTP 500 with a SOAP Fault.
    consent_fault: bool = False
    seed: int | None = None
    # Beyond the list, for the client's remaining outcome classes:
    error_429_share: float = 0  # 429 Too Many Requests (throttling)
    bad_ack_share: float = 0  # 200 with an acknowledgement for another message id
    retry_after: int | None = None  # Retry-After seconds on 429/500/503 answers
    max_request_size: int = MAX_PAYLOAD_CHARS  # MHS_SPINE_REQUEST_MAX_SIZE: larger is a 400
    # The adaptor's 400 "Request to send to Spine is too large" for these patients' summaries.
    too_large_nhs_numbers: set[str] = field(default_factory=set)
    # A resend of an accepted message id gets AE 401 "Duplicate message id" (as the Spine does
    # once its duplicate-elimination memory has passed) instead of the original AA.
    duplicate_id_ae: bool = False
    unavailable_share: float = 0  # AE 502 "Service not available": nothing stored, try later
    # PDS (scrtui/standins/simulator/pds.py): the practice database its table is built from, the
    # share of patients given each kind of difference, single patients' records, and faults.
    pds_practice_db: str = ""
    pds_shares: dict[str, float] = field(default_factory=dict)
    pds_records: dict[str, dict[str, Any]] = field(default_factory=dict)
    pds_kinds: dict[str, str] = field(default_factory=dict)  # NHS number -> a kind of KINDS
    pds_error_500_share: float = 0  # the adaptor's 500 for a Spine SOAP fault
    pds_latency_ms: float = 0
    pds_refuse_asid: bool = False  # answer as if from-asid were missing (400)
    # Asynchronous mode (simulator/queue.py): faults of the acknowledgements on the queue.
    late_ack_share: float = 0  # published late_ack_seconds after the 202
    late_ack_seconds: float = 0
    duplicate_ack_share: float = 0  # published twice
    out_of_order_share: float = 0  # held back a moment, so later ones overtake it
    foreign_share: float = 0  # followed by a message that is not an answer to us


_SHARES = (
    "error_500_share",
    "reset_share",
    "slow_share",
    "error_429_share",
    "bad_ack_share",
    "unavailable_share",
    "pds_error_500_share",
    "late_ack_share",
    "duplicate_ack_share",
    "out_of_order_share",
    "foreign_share",
)
_FLAGS = (
    "outage",
    "outage_503",
    "route_error",
    "consent_fault",
    "reset_stats",
    "duplicate_id_ae",
    "pds_refuse_asid",
)
NHS_LISTS = ("reject_nhs_numbers", "too_large_nhs_numbers")


def _number(name: str, value: Any, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise ValueError(f"{name} must be a number from {low:g} to {high:g}")
    return float(value)


def _optional_int(name: str, value: Any, low: int, high: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name} must be a whole number from {low} to {high}, or null")
    return value


def _nhs_list(name: str, value: Any) -> set[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{name} must be a list of NHS number strings")
    return {nhs_number.normalise(v) for v in value}


def config_changes(data: Any) -> dict[str, Any]:
    """Validate a /control body into SimulatorConfig changes; ValueError names the bad key."""
    if not isinstance(data, dict):
        raise ValueError("control body must be a JSON object")
    known = {f for f in SimulatorConfig.__dataclass_fields__} | {"reset_stats"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"unknown control keys: {', '.join(unknown)}; known: {sorted(known)}")
    changes: dict[str, Any] = {}
    for key, value in data.items():
        if key in _SHARES:
            changes[key] = _number(key, value, 0, 1)
        elif key == "late_ack_seconds":
            changes[key] = _number(key, value, 0, 86_400)
        elif key in ("latency_ms", "slow_seconds", "pds_latency_ms"):
            changes[key] = _number(key, value, 0, 3600 if key == "slow_seconds" else 3_600_000)
        elif key in NHS_LISTS:
            changes[key] = _nhs_list(key, value)
        elif key in _FLAGS:
            if not isinstance(value, bool):
                raise ValueError(f"{key} must be true or false")
            changes[key] = value
        elif key == "spine_ods_code":
            if not isinstance(value, str) or len(value) > 10:
                raise ValueError('spine_ods_code must be an ODS code string, or "" for any')
            changes[key] = value
        elif key == "seed":
            changes[key] = _optional_int(key, value, -(2**63), 2**63 - 1)
        elif key == "retry_after":
            changes[key] = _optional_int(key, value, 0, 86_400)
        elif key.startswith("pds_"):
            changes[key] = pds_change(key, value)
        elif key == "max_request_size":
            changes[key] = _optional_int(key, value, 1, MAX_PAYLOAD_CHARS)
    return changes


def pds_change(key: str, value: Any) -> Any:
    """pds_practice_db, pds_shares, pds_kinds and pds_records, checked."""
    if key == "pds_practice_db":
        if not isinstance(value, str):
            raise ValueError("pds_practice_db must be a file path string")
        return value
    if key == "pds_shares":
        if not isinstance(value, dict) or set(value) - set(KINDS):
            raise ValueError(f"pds_shares must map some of {list(KINDS)} to shares")
        shares = {k: _number(f"pds_shares.{k}", v, 0, 1) for k, v in value.items()}
        if sum(shares.values()) > 1:
            raise ValueError("pds_shares must add up to 1 at most")
        return shares
    if key == "pds_kinds":
        if not isinstance(value, dict) or not set(value.values()) <= set(KINDS):
            raise ValueError(f"pds_kinds must map NHS numbers to one of {list(KINDS)}")
        bad = sorted(k for k in value if not nhs_number.is_valid(nhs_number.normalise(str(k))))
        if bad:
            raise ValueError(f"pds_kinds: not valid NHS numbers: {', '.join(bad)}")
        return {nhs_number.normalise(k): v for k, v in value.items()}
    if key == "pds_records":
        if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
            raise ValueError("pds_records must map NHS numbers to objects of PDS fields")
        return {nhs_number.normalise(k): v for k, v in value.items()}
    raise ValueError(f"unknown PDS control key {key}")
