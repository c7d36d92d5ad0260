"""The upload in a process of its own (issue 25), with real processes: `scrtui upload
--detach` returns while the upload goes on, `scrtui status` reads it live, `scrtui stop`
stops it safely, two windows share it with one in control, a SIGKILL is a crash that Resume
continues exactly once, the card's removal pauses it, and another user is refused."""

from __future__ import annotations

import asyncio
import json
import os
import pwd
import signal
import stat
import subprocess
import sys
import textwrap

from scrtui.remote import wire
from scrtui.remote.client import Link
from scrtui.remote.files import RunFiles, socket_address
from tests.remote.conftest import PASSCODE_ENV, Practice, wait_until


def test_detached_upload_outlives_its_command_status_reads_it_live_and_stop_stops_it(
    practice: Practice,
) -> None:
    pid = practice.detach()
    # The command that started it has exited; the upload process goes on sending.
    after_detach = practice.accepted()
    wait_until(lambda: practice.accepted() > after_detach + 5, "the simulator keeps accepting")

    status = practice.scrtui("status")
    assert status.returncode == 0, status.stderr
    assert f"running in the background, pid {pid}" in status.stdout
    assert "started by Demo Administrator" in status.stdout
    live = json.loads(practice.scrtui("status", "--json").stdout)["live"]
    assert live["pid"] == pid and live["background"] is True
    assert live["snapshot"]["status"] == "Running"

    stopped = practice.scrtui("stop")
    assert stopped.returncode == 0, stopped.stderr
    assert "Stopped (stopped by the user)" in stopped.stdout
    wait_until(lambda: practice.upload_pid() is None, "the upload process ended")
    document = json.loads(practice.scrtui("status", "--json").stdout)
    assert document["status"] == "Stopped: by the user"
    assert document["sending"] == 0  # nothing left half-sent
    assert "live" not in document
    # Owner only: the folder 0700 and the socket 0600 (the socket is gone now; the folder stays).
    assert stat.S_IMODE(os.stat(RunFiles(practice.home).dir).st_mode) == 0o700


def test_socket_is_owner_only(practice: Practice) -> None:
    practice.detach()
    files = RunFiles(practice.home)
    assert stat.S_IMODE(os.stat(files.socket).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(files.dir).st_mode) == 0o700
    assert practice.scrtui("stop").returncode == 0


def test_sigkill_of_the_upload_process_is_a_crash_that_resume_continues_exactly_once(
    practice: Practice,
) -> None:
    pid = practice.detach()
    wait_until(lambda: practice.accepted() >= 30, "some summaries sent")
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: practice.upload_pid() is None, "the killed process let go of its files")
    document = json.loads(practice.scrtui("status", "--json").stdout)
    assert "interrupted" in document["status"]

    practice.hurry()
    resumed = practice.scrtui("upload", "--mode", "resume", "--yes", env=PASSCODE_ENV)
    assert resumed.returncode == 0, resumed.stderr
    stats = practice.stats()
    assert stats["duplicate_nhs_numbers"] == []
    final = json.loads(practice.scrtui("status", "--json").stdout)
    assert final["sent"] == stats["accepted"]
    assert final["sending"] == 0 and final["unprocessed"] == 0
    # Resume again: nothing left to continue.
    again = practice.scrtui("upload", "--mode", "resume", "--yes", env=PASSCODE_ENV)
    assert again.returncode == 2 and "nothing to resume" in again.stderr


async def _windows(practice: Practice) -> None:
    files = RunFiles(practice.home)
    first = await Link.open(files, "window one")
    second = await Link.open(files, "window two")
    try:
        assert first.state["you_control"] is True and first.state["control"] == ""
        assert second.state["you_control"] is False
        assert second.state["control"] == "window one"
        refused = await second.request({"t": "pause"})
        assert refused["ok"] is False and "window one holds control" in refused["message"]
        second.send({"t": "take"})
        while first.state.get("control") != "window two":
            await asyncio.sleep(0.05)
        assert first.state["you_control"] is False
        paused = await second.request({"t": "pause"})
        assert paused["ok"] is True
        while wire.snapshot_in(first.state["snapshot"]).status.value != "Paused":
            await asyncio.sleep(0.05)  # both windows see it
        await second.close()  # the window in control goes: the other one holds it
        while not first.state.get("you_control"):
            await asyncio.sleep(0.05)
        stop = await first.request({"t": "stop"})
        assert stop["ok"] is True
        await first.closed.wait()
        assert first.ending is not None and first.ending.snapshot is not None
        assert first.ending.snapshot.reason == "stopped by the user"
    finally:
        await first.close()
        await second.close()


def test_two_windows_watch_one_acts(practice: Practice) -> None:
    practice.detach()
    asyncio.run(_windows(practice))


async def _remove_card(practice: Practice) -> None:
    link = await Link.open(RunFiles(practice.home), "window")
    try:
        link.send({"t": "toggle_card"})  # the demo card: what F4 does in the window
        while True:
            snapshot = wire.snapshot_in(link.state["snapshot"])
            if snapshot.status.value == "Paused":
                break
            await asyncio.sleep(0.02)
        assert "card" in snapshot.reason
        assert link.state["card"]["state"] in ("LOCKED", "NO_CARD")
        sent = practice.accepted()
        # Paused: nothing new goes while the card is out (the one in flight may still land).
        await asyncio.sleep(1.0)
        assert practice.accepted() <= sent + 1
    finally:
        await link.close()


def test_card_removal_pauses_the_detached_upload(practice: Practice) -> None:
    practice.detach()
    wait_until(lambda: practice.accepted() >= 5, "sending")
    asyncio.run(_remove_card(practice))


def test_cli_upload_in_a_terminal_is_published_read_only_and_a_second_is_refused_first(
    practice: Practice,
) -> None:
    """Issue 22 bug 4: the app sees `scrtui upload` live, read-only, with its pid and who
    started it; a second upload is refused before its prompt."""
    child = practice.popen("upload", "--mode", "run", "--yes", env=PASSCODE_ENV)
    try:
        wait_until(practice.upload_pid, "the CLI upload published")

        async def look() -> None:
            link = await Link.open(RunFiles(practice.home), "window")
            try:
                assert link.welcome["background"] is False
                assert link.pid == child.pid
                assert "terminal running scrtui upload" in link.state["control"]
                assert "Demo Administrator" in link.state["started_by"]
                refused = await link.request({"t": "pause"})
                assert refused["ok"] is False
            finally:
                await link.close()

        asyncio.run(look())
        second = practice.scrtui("upload", "--mode", "run")  # no --yes: a prompt would refuse
        assert second.returncode == 2
        assert f"another upload is running on this data directory (pid {child.pid})" in (
            second.stderr
        )
        assert "Do you wish to proceed" not in second.stdout
        assert practice.scrtui("stop").returncode == 0
        assert child.wait(60) == 3  # stopped early
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


NOBODY_CLIENT = textwrap.dedent(
    """
    import asyncio, os, sys
    from pathlib import Path
    from scrtui.remote.client import Link, NotOwner
    from scrtui.remote.files import RunFiles
    os.setgroups([]); os.setgid(int(sys.argv[2])); os.setuid(int(sys.argv[1]))
    async def main():
        try:
            link = await Link.open(RunFiles(Path(sys.argv[3])), "intruder")
        except NotOwner as exc:
            print("REFUSED", exc)
        except PermissionError as exc:
            print("DENIED", exc)
        else:
            print("CONNECTED", link.state.get("snapshot"))
    asyncio.run(main())
    """
)


def test_the_socket_refuses_another_user(shared_practice: Practice) -> None:
    practice = shared_practice
    practice.detach()
    nobody = pwd.getpwnam("nobody")
    files = RunFiles(practice.home)

    def as_nobody() -> str:
        done = subprocess.run(
            [sys.executable, "-c", NOBODY_CLIENT, str(nobody.pw_uid), str(nobody.pw_gid),
             str(practice.home)],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout

    # The folder is the owner's alone: nobody cannot even reach the socket.
    assert as_nobody().startswith("DENIED")
    # Even where an administrator loosened the modes, the uid check refuses the connection.
    os.chmod(practice.home, 0o755)
    os.chmod(files.dir, 0o755)
    os.chmod(files.socket, 0o666)
    assert as_nobody().startswith("REFUSED")
    os.chmod(files.dir, 0o700)
    assert practice.scrtui("stop").returncode == 0


async def _remove_real_card(practice: Practice, card) -> None:
    link = await Link.open(RunFiles(practice.home), "window")
    try:
        card.remove()  # out of the reader: nobody pressed anything in any window
        while wire.snapshot_in(link.state["snapshot"]).status.value != "Paused":
            await asyncio.sleep(0.02)
        assert "card" in wire.snapshot_in(link.state["snapshot"]).reason
        card.insert()  # the same card back, and its passcode through the window: it goes on
        while link.state["card"]["state"] != "INSERTED":
            await asyncio.sleep(0.02)
        reply = await link.request({"t": "login", "passcode": "1234"})
        assert reply["ok"] is True, reply
        while wire.snapshot_in(link.state["snapshot"]).status.value != "Running":
            await asyncio.sleep(0.02)
    finally:
        await link.close()


def test_removing_the_real_card_pauses_the_detached_upload_whoever_watches(
    practice: Practice, vcards
) -> None:
    card = vcards()
    card.insert()
    settings = (practice.home / "scrtui.toml").read_text()
    (practice.home / "scrtui.toml").write_text(settings.replace('"simulated"', '"pcsc"'))
    done = practice.scrtui(
        "upload", "--mode", "run", "--yes", "--detach", "--card", "pcsc", env=PASSCODE_ENV
    )
    assert done.returncode == 0, done.stderr
    wait_until(lambda: practice.accepted() >= 5, "sending")
    asyncio.run(_remove_real_card(practice, card))
    assert practice.scrtui("stop").returncode == 0


async def _starter_first(practice: Practice, pid: int) -> None:
    files = RunFiles(practice.home)
    watcher = None
    for _ in range(600):  # until the new process listens
        try:
            watcher = await Link.open(files, "another window")
            break
        except OSError:
            await asyncio.sleep(0.05)
    assert watcher is not None and watcher.pid == pid
    starter = await Link.open(files, "the starting window")
    try:
        assert watcher.state["phase"] == "login"
        assert starter.state["you_control"] is True  # the passcode is the starter's to give
        while watcher.state.get("control") != "the starting window":
            await asyncio.sleep(0.05)
        assert (await watcher.request({"t": "login", "passcode": "1234"}))["ok"] is False
        while starter.state["card"]["state"] != "INSERTED":
            await asyncio.sleep(0.05)
        assert (await starter.request({"t": "login", "passcode": "1234"}))["ok"] is True
        while starter.state["phase"] != "running":
            await asyncio.sleep(0.05)
        assert "the starting window" in starter.state["started_by"]
        await starter.request({"t": "stop"})
        await starter.closed.wait()
    finally:
        await watcher.close()
        await starter.close()


def test_the_window_that_started_the_upload_gives_its_passcode_even_if_another_came_first(
    practice: Practice,
) -> None:
    from scrtui.domain.records import Mode
    from scrtui.domain.schedule import Schedule
    from scrtui.paths import Home
    from scrtui.remote import host
    from scrtui.services import UploadRequest
    from scrtui.settings import load

    process = host.spawn(
        Home(practice.home),
        load(practice.home / "scrtui.toml"),
        UploadRequest(mode=Mode.RUN, schedule=Schedule()),
        card="simulated",
        origin="the starting window",
        starter="the starting window",
    )
    asyncio.run(_starter_first(practice, process.pid))
    wait_until(lambda: process.returncode is not None, "the upload process ended")
    assert process.returncode == 3  # stopped early, by the user


async def _garbage(practice: Practice) -> None:
    files = RunFiles(practice.home)
    with socket_address(files.socket) as address:
        reader, writer = await asyncio.open_unix_connection(address)
    writer.write(b'{"t":"hello","who":"x"}\n')
    await reader.readuntil(b"\n")  # the welcome
    writer.write(b"this is not JSON\n")
    while await reader.read(65536):  # it is dropped
        pass
    writer.close()
    link = await Link.open(files, "window")  # and the process serves the next one
    try:
        assert wire.snapshot_in(link.state["snapshot"]).status.value == "Running"
    finally:
        await link.close()


def test_a_client_that_sends_garbage_is_dropped_and_the_upload_goes_on(
    practice: Practice,
) -> None:
    practice.detach()
    asyncio.run(_garbage(practice))
    assert practice.scrtui("stop").returncode == 0


def test_detach_with_a_wrong_passcode_is_refused_and_nothing_is_left_running(
    practice: Practice,
) -> None:
    done = practice.scrtui(
        "upload", "--mode", "run", "--yes", "--detach", env={"SCRTUI_PASSCODE": "9999"}
    )
    assert done.returncode == 2
    assert "Wrong passcode" in done.stderr or "wrong passcode" in done.stderr.lower()
    wait_until(lambda: practice.upload_pid() is None, "the upload process ended")
    assert practice.accepted() == 0
