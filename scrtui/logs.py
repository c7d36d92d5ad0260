"""structlog to files only: JSON lines in logs/scrtui.jsonl, never the terminal."""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from typing import Any, TextIO, cast

from scrtui.paths import Home, touch_private

# Keys that could carry clinical content are dropped before anything is written.
_CLINICAL_KEYS = frozenset(
    {"medications", "medication", "allergies", "allergy", "drug", "dose", "payload", "summary"}
)

_log_file: TextIO | None = None


class _LogFile:
    """The JSON log's file: a line that cannot be written (a full disk) is dropped, never
    raised into whatever was logging; the run's own handling of the full disk says so."""

    def __init__(self, handle: TextIO) -> None:
        self._handle = handle

    def write(self, text: str) -> int:
        try:
            return self._handle.write(text)
        except OSError:
            return 0

    def flush(self) -> None:
        try:
            self._handle.flush()
        except OSError:
            pass

    def close(self) -> None:
        try:
            self._handle.close()
        except OSError:
            pass


def _drop_clinical(
    _logger: Any, _name: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key in _CLINICAL_KEYS & event.keys():
        event[key] = "[withheld]"
    return event


def configure(home: Home, level: int = logging.INFO) -> None:
    """Send every structlog event to the JSON log of this home (created 0600)."""
    import structlog  # here, not at the top: `scrtui --help` never loads it (cli/common.py)

    global _log_file
    home.ensure()
    touch_private(home.json_log)
    if _log_file is not None:
        _log_file.close()
    _log_file = cast(
        TextIO,
        _LogFile(open(home.json_log, "a", encoding="utf-8", buffering=1)),  # noqa: SIM115
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _drop_clinical,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.WriteLoggerFactory(file=_log_file),
        cache_logger_on_first_use=False,
    )


def get(name: str = "scrtui") -> Any:
    import structlog

    return structlog.get_logger(name)
