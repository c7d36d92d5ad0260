"""What the engine needs of whatever carries its messages (scrtui/engine/engine.py).

One HTTP implementation today (`HttpTransport`, scrtui/spine/client.py), told which service it
talks to by an `Interaction` (scrtui/spine/interaction.py). A new transport is a class with
these members; mypy checks it against this protocol where it is returned as one
(scrtui/engine/kinds.py, `open_client`).
"""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Protocol, Self

from scrtui.spine.interaction import Interaction
from scrtui.spine.outcome import SendResult


class Transport(Protocol):
    @property
    def interaction(self) -> Interaction:
        """The run's own messages: where they go (named in outage messages), and whether a
        202 leaves the acknowledgement to the queue."""
        ...

    @property
    def answers(self) -> int:
        """Attempts the service answered (anything but a transport fault), over all patients:
        the engine tells one patient's fault from an outage by others' answers."""
        ...

    @property
    def consecutive_transport_failures(self) -> int:
        """Failed transport attempts in a row, over all patients: the outage signal."""
        ...

    @property
    def last_failure(self) -> tuple[int | None, str] | None:
        """(HTTP status or None, the service's words) of the latest failed try, if any."""
        ...

    async def send(
        self,
        message_id: str,
        payload: str,
        *,
        give_up: asyncio.Event | None = None,
        attempts: int | None = None,
        interaction: Interaction | None = None,
    ) -> SendResult:
        """Send one message, retrying faults under the same message id, at most `attempts`
        tries (capped by max_attempts), until `give_up` is set. `interaction`: another
        interaction through the same session (the PDS query), else the run's own."""
        ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
