"""The data directory: --home, else SCRTUI_HOME, else the XDG data home."""

from __future__ import annotations

import os
from pathlib import Path

DB_NAME = "scrtui.db"
SETTINGS_NAME = "scrtui.toml"
LOG_DIR = "logs"
JSON_LOG = "scrtui.jsonl"
UPLOAD_LOG = "initial-upload.log"


def resolve_home(flag: str | None = None, environ: dict[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    if flag:
        return Path(flag).expanduser()
    if env.get("SCRTUI_HOME"):
        return Path(env["SCRTUI_HOME"]).expanduser()
    xdg = env.get("XDG_DATA_HOME") or str(Path(env.get("HOME", "~")).expanduser() / ".local/share")
    return Path(xdg) / "scrtui"


class Home:
    """Where one practice's files live."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def db_path(self) -> Path:
        return self.root / DB_NAME

    @property
    def settings_path(self) -> Path:
        return self.root / SETTINGS_NAME

    @property
    def log_dir(self) -> Path:
        return self.root / LOG_DIR

    @property
    def json_log(self) -> Path:
        return self.log_dir / JSON_LOG

    @property
    def upload_log(self) -> Path:
        return self.log_dir / UPLOAD_LOG

    def ensure(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.log_dir.mkdir(exist_ok=True, mode=0o700)


def touch_private(path: Path) -> None:
    """Create a file readable by its owner only (patient data and logs)."""
    fd = os.open(path, os.O_CREAT | os.O_APPEND | os.O_WRONLY, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)
