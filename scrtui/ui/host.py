"""What screens and modals may ask of the App that hosts them.

Screens cannot import scrtui.ui.app (it imports them); they see the App through this Protocol.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol, cast

from textual.dom import DOMNode

from scrtui.domain.uploads import UploadId
from scrtui.services import Services, UploadRequest

from .state import LiveHub


class Host(Protocol):
    services: Services
    live: LiveHub
    clock: Callable[[], datetime]
    ascii_only: bool
    demo_rejects: int
    demo_pds: int
    chosen_upload: UploadId  # the upload chosen on the Bulk Transmission screen

    def start_upload(self, request: UploadRequest) -> bool: ...
    def choose_upload(self, upload: UploadId) -> None: ...
    def action_login(self) -> None: ...


def host(node: DOMNode) -> Host:
    return cast(Host, node.app)
