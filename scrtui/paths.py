"""The data directory: --home, else SCRTUI_HOME, else the XDG data home."""

from __future__ import annotations

import os
import stat
from pathlib import Path

DB_NAME = "scrtui.db"
SETTINGS_NAME = "scrtui.toml"
LOG_DIR = "logs"
JSON_LOG = "scrtui.jsonl"
# The readable run logs: one per bulk upload (issue 22), named by its id, the Initial
# Upload's keeping its old name (an upgraded practice's older lines of every upload stay in
# it); the changes no upload owns (settings, patient groups) have a log of their own.
UPLOAD_LOG = "initial-upload.log"
PRACTICE_LOG = "practice.log"


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
        """The Initial Upload's run log."""
        return self.log_dir / UPLOAD_LOG

    def run_log(self, upload: str | None) -> Path:
        """The run log of the upload with this id (scrtui/domain/uploads.py UploadId), or
        with None the practice log (settings and patient group changes)."""
        if upload is None:
            return self.log_dir / PRACTICE_LOG
        if upload == "initial":
            return self.upload_log
        return self.log_dir / f"{upload}.log"

    def ensure(self) -> list[str]:
        """Create the home and its log folder (owner only), or make existing ones private.

        Returns what was tightened (for the log); raises HomeError when the folder cannot be
        made or made private, naming the folder and the reason."""
        tightened: list[str] = []
        for folder in (self.root, self.log_dir):
            try:
                folder.mkdir(parents=folder is self.root, exist_ok=True, mode=0o700)
            except OSError as exc:
                raise HomeError(
                    f"cannot use {folder} as the data directory ({exc.strerror}): "
                    "choose another --home, or fix the folder"
                ) from None
            if not folder.is_dir():
                raise HomeError(f"{folder} is not a folder: choose another --home")
            tightened += make_private(folder, 0o700)
        for name in (self.db_path, self.settings_path):
            if name.exists() and not name.is_dir():  # a folder in its place is reported later
                tightened += make_private(name, 0o600)
        return tightened


def touch_private(path: Path) -> None:
    """Create a file readable by its owner only (patient data and logs)."""
    fd = os.open(path, os.O_CREAT | os.O_APPEND | os.O_WRONLY, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)


def write_private(path: Path, text: str, *, make_folder: bool = True) -> Path:
    """Write `text` to a new file readable by its owner only (exports and reports may list
    patients), through a temporary name, so a reader never sees half a file. make_folder=False
    (a path the user typed): a missing folder is an error, as for `scrtui report --output`."""
    if make_folder:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    fd = os.open(tmp, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


class HomeError(RuntimeError):
    """The data directory or one of its files cannot be used safely; the message says why."""


def make_private(path: Path, mode: int) -> list[str]:
    """Tighten `path` to `mode` when others may read or enter it (0644, 0777...), which an
    administrator's copy or unzip can leave behind. Returns a note when something was changed;
    raises HomeError with the reason when the change is not allowed (not the owner, read-only
    file system): patient data must not stay readable by others."""
    current = stat.S_IMODE(path.stat().st_mode)
    if not current & 0o077:
        return []
    try:
        os.chmod(path, mode)
    except OSError as exc:
        raise HomeError(
            f"{path} is readable by other users (mode {current:04o}) and scrtui cannot make it "
            f"private ({exc.strerror}): as its owner run chmod {mode:o} {path}"
        ) from None
    return [f"{path}: mode {current:04o} -> {mode:04o}"]
