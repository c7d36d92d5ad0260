"""What the simulator remembers: answers, accepted messages, duplicate elimination, counters."""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from aiohttp import web

from scrtui.domain import nhs_number
from scrtui.standins.simulator.answers import Answer
from scrtui.standins.simulator.config import NHS_LISTS, SimulatorConfig
from scrtui.standins.simulator.judge import Judgement
from scrtui.standins.simulator.pds import PdsTable


@dataclass
class SimulatorState:
    """Live configuration and counters; /control changes the first, /stats reads the second."""

    config: SimulatorConfig
    requests: int = 0
    accepted: int = 0
    rejected: int = 0
    duplicates: int = 0
    replacements: int = 0
    last_accept_at: float | None = None
    faults: Counter[str] = field(default_factory=Counter)
    replies: Counter[int] = field(default_factory=Counter)
    answers: dict[str, Answer] = field(default_factory=dict)
    accepted_ids: dict[str, list[str]] = field(default_factory=dict)  # NHS number -> ids
    accepted_at: dict[str, float] = field(default_factory=dict)  # NHS number -> last accept
    replaced: dict[str, str] = field(default_factory=dict)  # accepted id -> the id it replaces
    created: dict[str, str] = field(default_factory=dict)  # accepted id -> its creationTime
    seen_nhs: set[str] = field(default_factory=set)
    duplicate_nhs: dict[str, None] = field(default_factory=dict)  # ordered set
    # Accepted under a second id that does not replace the one accepted before it: the
    # patient has two unrelated summaries, which exactly-once delivery must never cause.
    unreplaced_nhs: dict[str, None] = field(default_factory=dict)  # ordered set
    # The consent room (consent.py): answers by type code, and each NHS number's permission.
    consent_answers: Counter[str] = field(default_factory=Counter)
    consent_permissions: dict[str, str] = field(default_factory=dict)
    pds: PdsTable = field(default_factory=PdsTable)  # built at the first PDS query

    def __post_init__(self) -> None:
        self.rng = random.Random(self.config.seed)

    def chance(self, share: float) -> bool:
        return share > 0 and self.rng.random() < share

    def apply(self, changes: Mapping[str, Any]) -> None:
        for key, value in changes.items():
            if key == "reset_stats":
                if value:
                    self.reset_stats()
                continue
            setattr(self.config, key, value)
            if key in ("pds_practice_db", "pds_shares", "pds_kinds", "seed"):
                self.pds = PdsTable(requests=self.pds.requests)  # built again at the next query
            if key == "seed":
                self.rng = random.Random(value)

    def reset_stats(self) -> None:
        """Forget everything, including duplicate elimination: a fresh Spine."""
        fresh = SimulatorState(self.config)
        fresh.rng = self.rng
        self.__dict__.update(fresh.__dict__)

    def record(self, message_id: str, answer: Answer, judgement: Judgement) -> None:
        nhs, prior = judgement.nhs, judgement.prior
        self.answers[message_id] = answer
        if nhs:
            self.seen_nhs.add(nhs)
        if answer.type_code != "AA":
            self.rejected += 1
            return
        self.accepted += 1
        self.last_accept_at = time.time()
        self.created[message_id] = judgement.created
        if prior is not None:
            self.replacements += 1
            self.replaced[message_id] = prior
        if nhs:
            ids = self.accepted_ids.setdefault(nhs, [])
            ids.append(message_id)
            if len(ids) > 1:
                self.duplicate_nhs[nhs] = None
                if prior != ids[-2]:
                    self.unreplaced_nhs[nhs] = None
            self.accepted_at[nhs] = self.last_accept_at

    def stats(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "duplicates": self.duplicates,
            "replacements": self.replacements,
            "distinct_nhs_numbers": len(self.seen_nhs),
            "accepted_nhs_numbers": len(self.accepted_ids),
            "duplicate_nhs_numbers": list(self.duplicate_nhs),
            "unreplaced_nhs_numbers": list(self.unreplaced_nhs),
            "last_accept_at": self.last_accept_at,
            "faults": dict(self.faults),
            "replies": {str(status): n for status, n in sorted(self.replies.items())},
            "pds_requests": self.pds.requests,
            "pds_queries": self.pds.queries,
        }

    def nhs_stats(self, nhs: str) -> dict[str, Any]:
        number = nhs_number.normalise(nhs)
        return {
            "nhs": number,
            "message_ids": self.accepted_ids.get(number, []),
            "accepted_at": self.accepted_at.get(number),
        }

    def accepted_view(self) -> dict[str, list[dict[str, str | None]]]:
        """Every accepted summary by NHS number, in order, with the id each one replaces."""
        return {
            nhs: [
                {"message_id": i, "replaces": self.replaced.get(i), "created": self.created.get(i)}
                for i in ids
            ]
            for nhs, ids in self.accepted_ids.items()
        }

    def config_view(self) -> dict[str, Any]:
        view = asdict(self.config)
        for key in NHS_LISTS:
            view[key] = sorted(getattr(self.config, key))
        return view


STATE: web.AppKey[SimulatorState] = web.AppKey("simulator_state", SimulatorState)
