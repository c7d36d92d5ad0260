"""The [queue] settings of asynchronous mode: bad values are refused with key, value and what
is expected; a password file others can read is refused."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scrtui.settings import SettingsError, load
from scrtui.spine.queue import QueueSettings


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scrtui.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[queue]\nbrokers = "http://x:1"\n', '[queue] brokers = "http://x:1": expected'),
        ('[queue]\nbrokers = "amqp://x"\n', "with a port from 1 to 65535"),
        ('[queue]\nbrokers = "amqp://a:1,,"\n', "comma-separated amqp:// or amqps:// URLs"),
        ('[queue]\nname = "in bound"\n', "a queue name of 1 to 255 characters without spaces"),
        ("[queue]\nack_timeout = 0\n", "[queue] ack_timeout = 0: expected a number from 1"),
        ("[queue]\nmax_awaiting = 0\n", "[queue] max_awaiting = 0: expected a whole number"),
        ('[queue]\nca_bundle = "/nonexistent"\n', 'an existing file, or "" for none'),
    ],
)
def test_a_bad_queue_value_is_refused(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load(write(tmp_path, text))
    assert expected in str(caught.value)


def test_a_password_file_others_can_read_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "queue-password"
    secret.write_text("s3cret\n")
    os.chmod(secret, 0o644)
    text = f'[queue]\npassword_file = "{secret}"\n'
    with pytest.raises(SettingsError, match="readable by its owner only"):
        load(write(tmp_path, text))
    os.chmod(secret, 0o600)
    settings = load(write(tmp_path, text))
    assert QueueSettings.from_settings(settings).password == "s3cret"


def test_brokers_are_tried_in_turn_in_the_order_given(tmp_path: Path) -> None:
    text = '[queue]\nbrokers = "amqp://a:5672, amqps://b:5671"\n'
    urls = QueueSettings.from_settings(load(write(tmp_path, text))).urls
    assert urls == ("amqp://a:5672", "amqps://b:5671")


def test_a_password_file_that_is_not_utf8_is_refused_before_any_run(tmp_path: Path) -> None:
    from tests.conftest import run_scrtui

    home = tmp_path / "home"
    assert run_scrtui(home, "seed", "--patients", "20").returncode == 0
    secret = tmp_path / "queue-password"
    secret.write_bytes(b"s3cr\xe9t\n")  # Latin-1, as an editor on another system saved it
    os.chmod(secret, 0o600)
    text = f'[spine]\nwait_for_response = false\n[queue]\npassword_file = "{secret}"\n'
    (home / "scrtui.toml").write_text(text)
    done = run_scrtui(home, "upload", "--mode", "run", "--card", "simulated", "--yes")
    assert done.returncode == 2, done.stderr
    assert "[queue] password_file" in done.stderr and "byte 5 is not UTF-8" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    import sqlite3

    with sqlite3.connect(home / "scrtui.db") as db:
        assert db.execute("SELECT count(*) FROM run").fetchone() == (0,)  # no run recorded
