"""The smartcard: the card profile, the reader backends (PC/SC or simulated) and the session.

pyscard is imported only when a PC/SC backend is made, so the simulated card works without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrtui.card.backend import (
    CardBackend,
    CardError,
    CardEvent,
    CardEventKind,
    CardRemovedError,
    NoCardError,
    ReaderSlot,
    ReaderState,
    ReaderStatus,
    ServiceDownError,
)
from scrtui.card.profile import CardIdentity
from scrtui.card.session import CardSession, NotAuthorised, SessionEvent
from scrtui.card.simulated import SimulatedBackend
from scrtui.settings import CARD_BACKENDS as BACKENDS

if TYPE_CHECKING:
    from scrtui.settings import Settings


def make_backend(
    settings: Settings, *, kind: str | None = None, reader: str | None = None
) -> CardBackend:
    """The backend the settings name ([card] backend and reader); kind/reader override them."""
    chosen = kind or settings.card_backend
    if chosen == "simulated":
        return SimulatedBackend()
    if chosen != "pcsc":
        raise ValueError(f"unknown card backend {chosen!r}: expected one of {', '.join(BACKENDS)}")
    from scrtui.card.pcsc import PcscBackend

    return PcscBackend(settings.card_reader if reader is None else reader)


def __getattr__(name: str) -> object:
    if name == "PcscBackend":  # lazily: importing pyscard needs libpcsclite
        from scrtui.card.pcsc import PcscBackend

        return PcscBackend
    raise AttributeError(f"module 'scrtui.card' has no attribute {name!r}")


__all__ = [
    "BACKENDS",
    "CardBackend",
    "CardError",
    "CardEvent",
    "CardEventKind",
    "CardIdentity",
    "CardRemovedError",
    "CardSession",
    "NoCardError",
    "NotAuthorised",
    "PcscBackend",
    "ReaderSlot",
    "ReaderState",
    "ReaderStatus",
    "ServiceDownError",
    "SessionEvent",
    "SimulatedBackend",
    "make_backend",
]
