"""scrtui.toml: validated settings with defaults. A bad file is refused whole."""

from __future__ import annotations

import ipaddress
import os
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from yarl import URL

from scrtui.domain.uploads import GP_SUMMARY_LABEL


class SettingsError(ValueError):
    """A setting that cannot be used; the message names the key, the value and what is expected.

    attr, value and expected say the same in parts, so the Settings screen can name the field
    by its label instead of the file's [section] key (user_message)."""

    def __init__(
        self, message: str, *, attr: str | None = None, value: Any = None, expected: str = ""
    ) -> None:
        super().__init__(message)
        self.attr = attr
        self.value = value
        self.expected = expected

    def user_message(self) -> str:
        """In the Settings screen's terms: the field's label, the value and what to enter."""
        if self.attr not in LABELS:
            return str(self)
        shown = "empty" if self.value in ("", None) else f"{_describe(self.value)} is not allowed"
        return f"{LABELS[self.attr]}: {shown}; enter {self.expected}."


def _digits(n_min: int, n_max: int) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        # isascii: str.isdigit() also accepts "²" and other Unicode digits.
        if (
            not isinstance(value, str)
            or not (value.isascii() and value.isdigit())
            or not n_min <= len(value) <= n_max
        ):
            count = f"{n_min}" if n_min == n_max else f"{n_min} to {n_max}"
            raise ValueError(f"a string of {count} digits")
        return value

    return check


def _int_range(low: int, high: int) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"a whole number from {low} to {high}")
        return value

    return check


def _float_range(low: float, high: float) -> Callable[[Any], float]:
    def check(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"a number from {low:g} to {high:g}")
        if not low <= float(value) <= high:
            raise ValueError(f"a number from {low:g} to {high:g}")
        return float(value)

    return check


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("true or false")
    return value


def _ods(value: Any) -> str:
    if (
        not isinstance(value, str)
        or not (value.isascii() and value.isalnum())
        or not 3 <= len(value) <= 10
    ):
        raise ValueError("an ODS code of 3 to 10 letters and digits, such as A12345")
    return value.upper()


def _text(max_len: int) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if not isinstance(value, str) or not 1 <= len(value.strip()) <= max_len:
            raise ValueError(f"text of 1 to {max_len} characters")
        return value.strip()

    return check


def _url(value: Any) -> str:
    """Checked with yarl, the parser aiohttp uses, so a URL accepted here is one the HTTP
    client can connect to (urlsplit alone let :99999 and :abc through to the run)."""
    expected = "an http:// or https:// URL such as http://127.0.0.1:8080/"
    if not isinstance(value, str) or any(ch.isspace() or not ch.isprintable() for ch in value):
        raise ValueError(expected)
    try:
        url = URL(value)
        host, port = url.host, url.port
    except ValueError:  # a port out of range or not a number, a broken IPv6 address
        raise ValueError(f"{expected}, with a port from 1 to 65535") from None
    if url.scheme not in ("http", "https") or not host:
        raise ValueError(expected)
    if port is None or not 1 <= port <= 65535:
        raise ValueError(f"{expected}, with a port from 1 to 65535")
    return value


def _optional_url(value: Any) -> str:
    """ "" (the default: beside the MHS adaptor's URL) or a URL as _url checks it."""
    return "" if value == "" else _url(value)


def _optional_file(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError('a file path, or "" for none')
    if value and not Path(value).expanduser().is_file():
        raise ValueError('an existing file, or "" for none')
    return value


def _choice(*options: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value not in options:
            raise ValueError("one of " + ", ".join(f'"{o}"' for o in options))
        return str(value)

    return check


def _brokers(value: Any) -> str:
    """Comma-separated amqp:// or amqps:// URLs, tried in turn (as the MHS adaptor's
    MHS_INBOUND_QUEUE_BROKERS: docs/async-mode.md)."""
    expected = "comma-separated amqp:// or amqps:// URLs such as amqp://127.0.0.1:5672"
    if not isinstance(value, str) or any(ch.isspace() and ch != " " for ch in value):
        raise ValueError(expected)
    parts = [part.strip() for part in value.split(",")]
    if not parts or not all(parts):
        raise ValueError(expected)
    for part in parts:
        try:
            url = URL(part)
            host, port = url.host, url.port
        except ValueError:
            raise ValueError(f"{expected}, with a port from 1 to 65535") from None
        if url.scheme not in ("amqp", "amqps") or not host or " " in part:
            raise ValueError(expected)
        if port is None or not 1 <= port <= 65535:
            raise ValueError(f"{expected}, with a port from 1 to 65535")
    return ", ".join(parts)


def _queue_name(value: Any) -> str:
    if (
        not isinstance(value, str)
        or not 1 <= len(value) <= 255
        or any(ch.isspace() or not ch.isprintable() for ch in value)
    ):
        raise ValueError("a queue name of 1 to 255 characters without spaces, such as inbound")
    return value


def _plain(max_len: int) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if not isinstance(value, str) or len(value) > max_len or not value.isprintable():
            raise ValueError(f'text of up to {max_len} characters, or "" for none')
        return value

    return check


def _private_file(value: Any) -> str:
    """A secret's file: it must exist and be readable by its owner only (chmod 600)."""
    path: str = _optional_file(value)
    if path:
        mode = Path(path).expanduser().stat().st_mode
        if mode & 0o077:
            raise ValueError(
                f'a file readable by its owner only (it is {mode & 0o777:o}: chmod 600 it), or ""'
            )
        secret_text(path)  # read now, so a file that cannot be used stops us before any run
    return path


def secret_text(path: str) -> str:
    """A secret file's text, stripped; ValueError saying why it cannot be used."""
    try:
        data = Path(path).expanduser().read_bytes()
    except OSError as exc:
        raise ValueError(f"a file scrtui can read ({exc.strerror or exc})") from None
    try:
        return data.decode("utf-8").strip()
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"a file of UTF-8 text (byte {exc.start + 1} is not UTF-8: save it as UTF-8)"
        ) from None


def _reader(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError('a reader name, or "" for the first reader holding a card')
    return value


# The card backends [card] backend may name (scrtui/card/__init__.py make_backend).
CARD_BACKENDS = ("pcsc", "simulated")


@dataclass(frozen=True)
class Settings:
    ods_code: str = "A12345"
    practice_name: str = "Demo Practice"
    gp_summary_enabled: bool = True
    sending_asid: str = "200000000001"
    spine_asid: str = "227319907548"
    mhs_url: str = "http://127.0.0.1:8080/"
    wait_for_response: bool = True
    concurrency: int = 32
    rate_limit: float = 0.0
    connect_timeout: float = 5.0
    total_timeout: float = 30.0
    ca_bundle: str = ""
    client_cert: str = ""
    client_key: str = ""
    max_attempts: int = 5
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    outage_after_failures: int = 8
    # An outage (issue 19): probes of one real message, the first after outage_probe_first
    # seconds, the wait doubling up to outage_probe_max; after outage_limit_minutes the run
    # stops (exit 3, nobody Failed, Resume continues).
    outage_probe_first: float = 5.0
    outage_probe_max: float = 300.0
    outage_limit_minutes: float = 30.0
    card_backend: str = "pcsc"
    card_reader: str = ""
    update_existing_after_days: int = 14
    consent_url: str = ""  # the Spine's sync endpoint for consent; "" = <mhs_url>sync-service
    pds_sync: bool = True  # PDS synchronisation before each summary (docs/pds.md)
    # Asynchronous mode (wait_for_response = false): the MHS adaptor's inbound queue.
    queue_brokers: str = "amqp://127.0.0.1:5672"
    queue_name: str = "inbound"
    queue_user: str = ""
    queue_password: str = ""
    queue_password_file: str = ""
    queue_ca_bundle: str = ""
    ack_timeout: float = 300.0
    max_awaiting: int = 2000


# (section, key) -> (attribute, validator). The file's layout, in the order it is written.
SCHEMA: dict[tuple[str, str], tuple[str, Callable[[Any], Any]]] = {
    ("practice", "ods_code"): ("ods_code", _ods),
    ("practice", "name"): ("practice_name", _text(80)),
    ("practice", "gp_summary_enabled"): ("gp_summary_enabled", _bool),
    ("spine", "sending_asid"): ("sending_asid", _digits(12, 12)),
    ("spine", "spine_asid"): ("spine_asid", _digits(12, 12)),
    ("spine", "mhs_url"): ("mhs_url", _url),
    ("spine", "wait_for_response"): ("wait_for_response", _bool),
    ("spine", "concurrency"): ("concurrency", _int_range(1, 256)),
    ("spine", "rate_limit"): ("rate_limit", _float_range(0, 100_000)),
    ("spine", "connect_timeout"): ("connect_timeout", _float_range(0.1, 300)),
    ("spine", "total_timeout"): ("total_timeout", _float_range(0.1, 600)),
    ("spine", "ca_bundle"): ("ca_bundle", _optional_file),
    ("spine", "client_cert"): ("client_cert", _optional_file),
    ("spine", "client_key"): ("client_key", _optional_file),
    ("spine", "outage_limit_minutes"): ("outage_limit_minutes", _float_range(0.01, 1440)),
    ("retry", "max_attempts"): ("max_attempts", _int_range(1, 20)),
    ("retry", "backoff_base"): ("backoff_base", _float_range(0, 60)),
    ("retry", "backoff_max"): ("backoff_max", _float_range(0, 3600)),
    ("retry", "outage_after_failures"): ("outage_after_failures", _int_range(1, 1000)),
    ("retry", "outage_probe_first"): ("outage_probe_first", _float_range(0.01, 3600)),
    ("retry", "outage_probe_max"): ("outage_probe_max", _float_range(0.01, 3600)),
    ("card", "backend"): ("card_backend", _choice(*CARD_BACKENDS)),
    ("card", "reader"): ("card_reader", _reader),
    ("upload", "update_existing_after_days"): ("update_existing_after_days", _int_range(0, 99)),
    ("consent", "sync_url"): ("consent_url", _optional_url),
    ("pds", "synchronise"): ("pds_sync", _bool),
    ("queue", "brokers"): ("queue_brokers", _brokers),
    ("queue", "name"): ("queue_name", _queue_name),
    ("queue", "user"): ("queue_user", _plain(255)),
    ("queue", "password"): ("queue_password", _plain(255)),
    ("queue", "password_file"): ("queue_password_file", _private_file),
    ("queue", "ca_bundle"): ("queue_ca_bundle", _optional_file),
    ("queue", "ack_timeout"): ("ack_timeout", _float_range(1, 86_400)),
    ("queue", "max_awaiting"): ("max_awaiting", _int_range(1, 1_000_000)),
}
_BY_ATTR = {attr: (section, key, check) for (section, key), (attr, check) in SCHEMA.items()}
assert set(_BY_ATTR) == {f.name for f in fields(Settings)}


def _describe(value: Any) -> str:
    return repr(value) if not isinstance(value, str) else f'"{value}"'


# How the Settings screen labels the settings it shows (scrtui/ui/screens/settings.py uses
# these), so its errors and the refusals that send the user there name the same row.
LABELS: dict[str, str] = {
    "gp_summary_enabled": GP_SUMMARY_LABEL,
    "update_existing_after_days": "Registered for more than ... days",
    "mhs_url": "MHS URL",
    "sending_asid": "Sending ASID",
    "spine_asid": "Spine ASID",
    "concurrency": "Concurrency",
    "rate_limit": "Rate limit",
}


def validate_value(attr: str, value: Any) -> Any:
    """Check one setting by its attribute name; raises SettingsError with a clear message."""
    section, key, check = _BY_ATTR[attr]
    try:
        return check(value)
    except ValueError as exc:
        raise SettingsError(
            f"[{section}] {key} = {_describe(value)}: expected {exc}",
            attr=attr,
            value=value,
            expected=str(exc),
        ) from None


def with_changes(settings: Settings, **changes: Any) -> Settings:
    """A copy with validated changes, so a bad value never reaches a running upload."""
    checked = {attr: validate_value(attr, value) for attr, value in changes.items()}
    result = replace(settings, **checked)
    _check_consistency(result)
    return result


def _check_consistency(settings: Settings) -> None:
    if bool(settings.client_cert) != bool(settings.client_key):
        raise SettingsError(
            "[spine] client_cert and client_key: expected both set (mutual TLS) or both empty"
        )
    if settings.queue_password and settings.queue_password_file:
        raise SettingsError("[queue] password and password_file: expected one of them, not both")
    if settings.outage_probe_max < settings.outage_probe_first:
        raise SettingsError(
            f"[retry] outage_probe_max = {settings.outage_probe_max:g}: expected at least "
            f"outage_probe_first ({settings.outage_probe_first:g})"
        )
    if settings.backoff_max < settings.backoff_base:
        raise SettingsError(
            f"[retry] backoff_max = {settings.backoff_max:g}: expected at least backoff_base "
            f"({settings.backoff_base:g})"
        )


def parse(data: dict[str, Any], source: str = "scrtui.toml") -> Settings:
    values: dict[str, Any] = {}
    for section, table in data.items():
        if not isinstance(table, dict):
            raise SettingsError(f"{source}: [{section}] must be a table of settings")
        for key, value in table.items():
            if (section, key) not in SCHEMA:
                known = ", ".join(f"[{s}] {k}" for s, k in SCHEMA)
                raise SettingsError(f"{source}: unknown setting [{section}] {key}; known: {known}")
            attr = SCHEMA[(section, key)][0]
            try:
                values[attr] = validate_value(attr, value)
            except SettingsError as exc:
                raise SettingsError(f"{source}: {exc}") from None
    settings = Settings(**values)
    try:
        _check_consistency(settings)
    except SettingsError as exc:
        raise SettingsError(f"{source}: {exc}") from None
    return settings


def load(path: Path) -> Settings:
    """Read the settings; a missing file means the defaults."""
    if not path.exists():
        return Settings()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:  # a folder in its place, no read permission, an I/O error
        raise SettingsError(
            f"{path}: cannot read the settings ({exc.strerror or exc}); make it a file its "
            "owner can read (chmod 600), or move it away to use the defaults"
        ) from None
    try:
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path}: not valid TOML ({exc}); fix or delete the file") from None
    return parse(data, str(path))


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
    # TOML basic strings cannot hold raw control characters (a newline in the practice name
    # made a file that the next start refused): write them as \uXXXX escapes.
    escaped = "".join(
        f"\\u{ord(ch):04x}" if ord(ch) < 0x20 or ord(ch) == 0x7F else ch for ch in escaped
    )
    return f'"{escaped}"'


def dumps(settings: Settings) -> str:
    lines: list[str] = ["# scrtui settings; see README.md for what each one means."]
    current = None
    for (section, key), (attr, _check) in SCHEMA.items():
        if section != current:
            lines.extend(["", f"[{section}]"])
            current = section
        lines.append(f"{key} = {_toml_value(getattr(settings, attr))}")
    return "\n".join(lines) + "\n"


def save(path: Path, settings: Settings) -> None:
    """Write atomically (temp file + rename) so a crash never leaves half a file."""
    tmp = path.with_suffix(".toml.tmp")
    fd = os.open(tmp, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(dumps(settings))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_loopback_url(url: str) -> bool:
    return is_loopback_host(urlsplit(url).hostname or "")
