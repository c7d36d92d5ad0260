"""A private RabbitMQ for `scrtui demo --async` and `scrtui bench --async` (docs/async-mode.md)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from scrtui.cli.common import EXIT_REFUSED, CliError
from scrtui.settings import Settings, with_changes

if TYPE_CHECKING:  # the stand-in loads when a demo or benchmark starts one (cli/common.py)
    from scrtui.standins.broker import Broker


def private_broker(parent: Path) -> Broker:
    """Started in `parent`; refused (exit 2) with how to install it when RabbitMQ is missing."""
    from scrtui.standins.broker import BrokerError, start_broker

    print("Starting a private RabbitMQ broker (about 10 s) ...", file=sys.stderr, flush=True)
    try:
        return start_broker(parent)
    except BrokerError as exc:
        raise CliError(str(exc), EXIT_REFUSED) from None


def async_settings(settings: Settings, broker: Broker) -> Settings:
    """Asynchronous mode against that broker (its default guest user, loopback only)."""
    return with_changes(
        settings,
        wait_for_response=False,
        queue_brokers=broker.url,
        queue_name="inbound",
        queue_user="guest",
        queue_password="guest",
        queue_password_file="",
    )
