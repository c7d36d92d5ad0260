"""`scrtui upload` as a user runs it: the prompt, the exit codes, and the final JSON."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import urllib.request

import pytest

from tests.cli.test_data_commands import STATUS_KEYS
from tests.conftest import cli_env, scrtui_executable


def upload(home, *args: str, passcode: str | None = "1234", timeout: float = 120):
    env = cli_env()
    if passcode is not None:
        env["SCRTUI_PASSCODE"] = passcode
    return subprocess.run(
        [scrtui_executable(), "--home", str(home), "upload", "--card", "simulated", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture(scope="module")
def simulator_url():
    from scrtui.standins.simulator import start_simulator_process

    process, url = start_simulator_process()
    yield url
    process.terminate()
    process.wait(10)


@pytest.fixture(scope="module")
def practice_template(tmp_path_factory, run_cli):
    """One seeded practice per module (`scrtui seed` is the same each time); tests copy it."""
    home = tmp_path_factory.mktemp("practice") / "home"
    assert run_cli(home, "seed", "--patients", "200").returncode == 0
    return home


@pytest.fixture
def practice(tmp_path, practice_template, simulator_url):
    home = tmp_path / "home"
    shutil.copytree(practice_template, home)
    # The simulator's PDS holds this practice's patients.
    control = json.dumps({"pds_practice_db": str(home / "scrtui.db")}).encode()
    request = urllib.request.Request(simulator_url + "control", data=control, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
    return home


def test_completed_run_exits_0_and_ends_with_the_status_keys(practice, simulator_url):
    result = upload(practice, "--mode", "run", "--mhs-url", simulator_url, "--yes", "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(document) == STATUS_KEYS  # the same object as `scrtui status --json`
    assert document["sent"] > 0 and document["unprocessed"] == 0
    assert document["last_run"]["outcome"] == "completed"
    # The confirmation prompt is the full wording, shown before anything is sent.
    assert "This should only be run at a time and date agreed with HSCIC" in result.stderr


def test_without_yes_and_without_a_terminal_nothing_is_sent(practice, simulator_url):
    result = upload(practice, "--mode", "run", "--mhs-url", simulator_url)
    assert result.returncode == 2
    assert "--yes" in result.stderr


def test_a_wrong_passcode_is_refused_with_tries_left(practice, simulator_url):
    result = upload(practice, "--mode", "run", "--mhs-url", simulator_url, "--yes", passcode="9999")
    assert result.returncode == 2
    assert "tries left" in result.stderr


def test_bad_arguments_are_refused_with_what_to_enter(practice, simulator_url):
    result = upload(
        practice, "--mode", "run", "--mhs-url", simulator_url, "--yes", "--resume-at", "18:00"
    )
    assert result.returncode == 2 and "needs a stop time" in result.stderr
    result = upload(practice, "--mode", "run", "--mhs-url", "ftp://x", "--yes")
    assert result.returncode == 2 and "mhs_url" in result.stderr


def test_resume_with_nothing_to_resume_is_refused(practice, simulator_url):
    result = upload(practice, "--mode", "resume", "--mhs-url", simulator_url, "--yes")
    assert result.returncode == 2 and "nothing to resume" in result.stderr


def test_a_simulated_card_never_reaches_a_real_spine(practice):
    result = upload(practice, "--mode", "run", "--mhs-url", "https://msg.spine.example/", "--yes")
    assert result.returncode == 2
    assert "loopback" in result.stderr


def test_sigterm_stops_safely_with_exit_3_and_resume_finishes(practice):
    from scrtui.standins.simulator import start_simulator_process

    # One message at a time, 50 ms each: the run lasts about ten seconds.
    (practice / "scrtui.toml").write_text("[spine]\nconcurrency = 1\n")
    process, slow_url = start_simulator_process(
        ["--latency-ms", "50", "--pds-practice", str(practice / "scrtui.db")]
    )
    env = {**cli_env(), "SCRTUI_PASSCODE": "1234"}
    try:
        child = subprocess.Popen(
            [
                scrtui_executable(),
                "--home",
                str(practice),
                "upload",
                "--card",
                "simulated",
                "--mode",
                "run",
                "--mhs-url",
                slow_url,
                "--yes",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        line = child.stdout.readline()  # the prompt, then a progress line each second
        while line and "checked" not in line:
            line = child.stdout.readline()
        assert "Running" in line, line
        child.send_signal(signal.SIGTERM)
        out, err = child.communicate(timeout=30)
        assert child.returncode == 3, err
        assert "the process was asked to end" in err
        resumed = upload(practice, "--mode", "resume", "--mhs-url", slow_url, "--yes", "--json")
        assert resumed.returncode == 0, resumed.stderr
        assert json.loads(resumed.stdout.strip().splitlines()[-1])["unprocessed"] == 0
    finally:
        process.terminate()
        process.wait(10)


def test_failed_with_a_group_that_has_no_failures_is_refused(practice, simulator_url):
    result = upload(
        practice, "--mode", "failed", "--group", "newreg", "--mhs-url", simulator_url, "--yes"
    )
    assert result.returncode == 2
    assert 'no failed initial uploads to reprocess in group "newreg"' in result.stderr


def test_an_unknown_group_is_refused_before_anything_is_written(practice, simulator_url):
    result = upload(
        practice, "--mode", "run", "--group", "NOSUCH", "--mhs-url", simulator_url, "--yes"
    )
    assert result.returncode == 2, result.stderr
    assert 'There is no patient group "NOSUCH" (groups: $PAT' in result.stderr
    assert "Traceback" not in result.stderr
    status = json.loads(
        subprocess.run(
            [scrtui_executable(), "--home", str(practice), "status", "--json"],
            capture_output=True,
            text=True,
            env=cli_env(),
        ).stdout
    )
    assert status["last_run"] is None  # no run row left behind
    assert status["unprocessed"] == status["total"]


def test_a_role_the_card_user_does_not_have_is_refused_with_their_roles(practice, simulator_url):
    result = upload(
        practice, "--mode", "run", "--role", "555000000099", "--mhs-url", simulator_url, "--yes"
    )
    assert result.returncode == 2, result.stderr
    assert "--role 555000000099 is not one of this smartcard user's role profiles" in (
        result.stderr
    )
    assert "R0001 System Administrator (555000000011)" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("url", ["http://127.0.0.1:99999/", "http://127.0.0.1:abc/"])
def test_an_mhs_url_the_http_client_cannot_parse_is_refused(practice, url):
    result = upload(practice, "--mode", "run", "--mhs-url", url, "--yes")
    assert result.returncode == 2
    assert f'mhs_url = "{url}"' in result.stderr and "port from 1 to 65535" in result.stderr
    (practice / "scrtui.toml").write_text(f'[spine]\nmhs_url = "{url}"\n')
    status = subprocess.run(
        [scrtui_executable(), "--home", str(practice), "status"],
        capture_output=True,
        text=True,
        env=cli_env(),
    )
    assert status.returncode == 2 and "port from 1 to 65535" in status.stderr


def test_resume_without_stop_and_resume_at_keeps_the_window_of_the_run_it_continues(
    practice, simulator_url
):
    from datetime import datetime, timedelta

    from scrtui.standins.simulator import start_simulator_process

    now = datetime.now()
    stop = f"{(now + timedelta(hours=2)):%H:%M}"  # a window the test never reaches
    resume = f"{(now + timedelta(hours=3)):%H:%M}"
    # PDS off: this slow simulator holds no practice, so PDS would find nobody and the run
    # would end (everyone Not Required) before it could be stopped.
    (practice / "scrtui.toml").write_text("[spine]\nconcurrency = 1\n[pds]\nsynchronise = false\n")
    process, slow_url = start_simulator_process(["--latency-ms", "50"])
    env = {**cli_env(), "SCRTUI_PASSCODE": "1234"}
    try:
        child = subprocess.Popen(
            [scrtui_executable(), "--home", str(practice), "upload", "--card", "simulated"]
            + ["--mode", "run", "--mhs-url", slow_url, "--yes"]
            + ["--stop", stop, "--resume-at", resume],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        line = child.stdout.readline()
        while line and not line.startswith("Running"):  # a progress line: it is sending
            line = child.stdout.readline()
        child.send_signal(signal.SIGTERM)
        _, err = child.communicate(timeout=30)
        assert child.returncode == 3, (line, err)
    finally:
        process.terminate()
        process.wait(10)
    resumed = upload(practice, "--mode", "resume", "--mhs-url", simulator_url, "--yes", "--json")
    assert resumed.returncode == 0, resumed.stderr
    said = (
        "Keeping the stop/resume window of the run being resumed: "
        f"stop at {stop}, resume at {resume}."
    )
    assert said in resumed.stderr  # --json: the messages go to stderr
    last_run = json.loads(resumed.stdout.strip().splitlines()[-1])["last_run"]
    assert last_run["mode"] == "resume"
    assert (last_run["stop_at"], last_run["resume_at"]) == (stop, resume)


def _control(simulator_url: str, **changes: object) -> None:
    request = urllib.request.Request(
        simulator_url + "control", data=json.dumps(changes).encode(), method="POST"
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def test_a_route_error_stops_with_exit_3_the_adaptors_words_and_resume_finishes(
    practice, simulator_url
):
    _control(simulator_url, route_error=True)
    try:
        result = upload(practice, "--mode", "run", "--mhs-url", simulator_url, "--yes", "--json")
    finally:
        _control(simulator_url, route_error=False)
    assert result.returncode == 3, result.stderr
    assert f"the MHS at {simulator_url}: " in result.stderr
    assert "answered 500 'Error obtaining outbound URL'" in result.stderr
    assert "nobody was marked failed" in result.stderr.lower()
    document = json.loads(result.stdout.strip().splitlines()[-1])
    assert document["failed"] == 0 and document["sent"] == 0
    resumed = upload(practice, "--mode", "run", "--mhs-url", simulator_url, "--yes", "--json")
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout.strip().splitlines()[-1])["failed"] == 0
