"""Seeded chaos: many short uploads, each a random mix of concurrency (1 to 64), simulator
faults, an outage, a SIGKILL or a Stop, then the next mode (Resume, Rerun, Failed or Run).
The outages are the real MHS adaptor's (issue 19): the Spine unreachable behind a healthy
adaptor (500 "Error making outbound request", /healthcheck 200) that ends, the same outage
lasting past a short outage_limit_minutes (the upload stops itself, exit 3), a route error
(500 "Error obtaining outbound URL": exit 3 at once), and the old simulator's 503.

After every upload it checks what exactly-once promises, against the simulator (the Spine's
side) and `scrtui status` / the database (the practice's side):
- no patient holds two summaries unless each later one replaces the one before it;
- nobody is Failed except the patients whose message the simulator always refuses (a PSIS
  rejection, or "too large"): never because of an outage or a transient fault;
- every Sent patient's message id is the one the Spine holds last, and every patient the
  Spine holds a summary for names that id (Sent, or still resolving it under the same id);
- `scrtui status` counts the same Sent patients;
- the two patients PDS holds differently are never sent (PDS faults and delays are injected
  too, so kills land between a PDS answer and the send).
At the end, with the faults off, a last Resume, Run and Failed leave every eligible patient
Sent.

`./run chaos --runs 200 --seed 7` runs a campaign and prints what it checked; the test suite
runs a few short seeds (tests/engine/test_chaos.py).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from scrtui.domain import eligibility, outage
from scrtui.settings import save
from tests.conftest import patience
from tests.engine.conftest import fast_settings

MODES = ("resume", "rerun", "failed", "run")
EVENTS = ("complete", "kill", "stop", "outage", "outage_503", "endless_outage", "route_error")
ADAPTOR_WORDS = {
    "endless_outage": "answers 500 'Error making outbound request'",
    "route_error": "answered 500 'Error obtaining outbound URL'",
}
# Faults an upload stops for by itself: the simulator holds them until the upload has exited.
SELF_STOPPING = {"endless_outage": "outage", "route_error": "route_error"}
ALWAYS_REFUSED = {"30418", "TOO-LARGE"}
RUN_TIMEOUT = 120.0
ENDINGS = {0: "completed", 2: "refused", 3: "stopped", -signal.SIGKILL: "killed"}
UPLOAD_ENV = {**os.environ, "SCRTUI_PASSCODE": "1234"}
# The only refusals a campaign may meet: the chosen mode has nothing to do.
NOTHING_TO_DO = (
    "nothing to resume",
    "no failed initial uploads",
    "nothing to rerun",
    "nothing to run",
)


class Violation(AssertionError):
    """Exactly-once was broken; the message says how and where."""


@dataclass
class Report:
    runs: int = 0
    checks: int = 0
    events: dict[str, int] = field(default_factory=dict)
    modes: dict[str, int] = field(default_factory=dict)
    exits: dict[str, int] = field(default_factory=dict)
    concurrency: set[int] = field(default_factory=set)
    faults: dict[str, int] = field(default_factory=dict)
    accepted: int = 0
    replacements: int = 0
    patients: int = 0
    eligible: int = 0

    def count(self, table: dict[str, int], key: str) -> None:
        table[key] = table.get(key, 0) + 1

    def lines(self) -> list[str]:
        return [
            f"runs                 {self.runs} uploads, {self.checks} checks of every patient",
            f"patients             {self.patients} ({self.eligible} eligible)",
            f"concurrency          {min(self.concurrency)} to {max(self.concurrency)}",
            f"modes                {_table(self.modes)}",
            f"events               {_table(self.events)}",
            f"exit codes           {_table(self.exits)}",
            f"faults injected      {_table(self.faults)}",
            f"spine accepted       {self.accepted} summaries, {self.replacements} replacements",
            "checked after each   no second summary unless it replaces the one before; nobody "
            "Failed but the always-refused; Sent ids = the Spine's last id; the Spine's ids "
            "known to the practice; `scrtui status` Sent = database Sent; the two patients PDS "
            "holds differently never sent",
            "checked at the end   faults off, Resume, Run, Failed: every eligible patient Sent but "
            "the always-refused and the two PDS ones (Not Required, PDS); status Sent = patients "
            "the Spine accepted",
        ]


def _table(values: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(values.items())) or "none"


class Campaign:
    def __init__(self, workdir: Path, seed: int, patients: int, say: Callable[[str], None]):
        self.rng = random.Random(seed)
        self.seed = seed
        self.home = workdir / "home"
        self.say = say
        self.report = Report(patients=patients)
        self._scrtui("seed", "--patients", str(patients), "--seed", str(seed)).check_returncode()
        self.eligible = self._eligible()
        self.report.eligible = len(self.eligible)
        special = self.rng.sample(sorted(self.eligible), 6)
        self.refused = set(special[:4])
        # PDS holds these two differently: Not Required (PDS), never sent, whatever happens.
        self.pds_differ = {special[4]: "surname", special[5]: "not_found"}
        from scrtui.standins.simulator import start_simulator_process

        self.sim, self.url = start_simulator_process(
            ["--reject", ",".join(special[:2]), "--too-large", ",".join(special[2:]),
             "--latency-ms", "10", "--seed", str(seed),
             *(f for n, k in self.pds_differ.items() for f in ("--pds-differ", f"{n}={k}"))],
            env={**os.environ, "SCRTUI_HOME": str(self.home)},
        )  # fmt: skip

    # ----- the practice and the simulator -----------------------------------------------------

    def _scrtui(self, *args: str, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "scrtui", "--home", str(self.home), *args],
            capture_output=True,
            text=True,
            timeout=patience(timeout),
            stdin=subprocess.DEVNULL,
            env=UPLOAD_ENV,
        )

    def _eligible(self) -> set[str]:
        from scrtui.store import queries
        from scrtui.store.db import close_database, open_database

        open_database(self.home / "scrtui.db")
        try:
            found = set()
            for ids in queries.iter_patient_ids():
                for record in queries.load_records(ids).values():
                    if eligibility.decide(record, date.today(), 14).eligible:
                        found.add(record.nhs_number)
            return found
        finally:
            close_database()

    def _get(self, path: str) -> dict:
        with urllib.request.urlopen(self.url + path, timeout=10) as response:
            return json.load(response)

    def _control(self, **changes: object) -> None:
        request = urllib.request.Request(
            self.url + "control",
            data=json.dumps(changes).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()

    def close(self) -> None:
        self.sim.terminate()
        self.sim.wait(10)

    # ----- one upload ---------------------------------------------------------------------------

    def _settings(self, concurrency: int, outage_limit_minutes: float = 30) -> None:
        rate_limit = self.rng.choice([0, 200, 500])
        settings = fast_settings(
            self.url,
            concurrency=concurrency,
            max_attempts=4,
            total_timeout=2.0,
            rate_limit=rate_limit,
            outage_limit_minutes=outage_limit_minutes,
        )
        save(self.home / "scrtui.toml", settings)

    def _faults(self) -> None:
        shares = {
            "error_500_share": self.rng.choice([0, 0.03, 0.1]),
            "reset_share": self.rng.choice([0, 0.03, 0.1]),
            "error_429_share": self.rng.choice([0, 0.03]),
            "unavailable_share": self.rng.choice([0, 0.03]),
            "pds_error_500_share": self.rng.choice([0, 0.03, 0.1]),
            # A PDS answer that takes a while: kills and stops land between it and the send.
            "pds_latency_ms": self.rng.choice([0, 5, 20]),
        }
        self._control(
            **shares, duplicate_id_ae=self.rng.random() < 0.3, outage=False, outage_503=False,
            route_error=False,
        )  # fmt: skip

    def upload(self, mode: str) -> str:
        concurrency = self.rng.randint(1, 64)
        event = self.rng.choice(EVENTS)
        # An endless outage stops the upload after 1.2 s of probes (exit 3, nobody Failed).
        self._settings(concurrency, 0.02 if event == "endless_outage" else 30)
        self._faults()
        self.report.concurrency.add(concurrency)
        self.report.count(self.report.modes, mode)
        self.report.count(self.report.events, event)
        with tempfile.TemporaryFile("w+") as stderr:
            child = subprocess.Popen(
                [sys.executable, "-m", "scrtui", "--home", str(self.home), "upload",
                 "--mode", mode, "--card", "simulated", "--mhs-url", self.url, "--yes"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
                env=UPLOAD_ENV,
            )  # fmt: skip
            self._disturb(child, event)
            code = child.wait(RUN_TIMEOUT)
            stderr.seek(0)
            text = stderr.read()
        self.report.count(self.report.exits, str(code))
        self._expected_ending(mode, code, text)
        words = ADAPTOR_WORDS.get(event)
        if code == 3 and words and words not in text:
            raise Violation(
                f"{event} stopped the upload without the adaptor's words: {text[-800:]}"
            )
        self.report.runs += 1
        self.check()
        return f"{event}: {ENDINGS.get(code, code)}"

    @staticmethod
    def _expected_ending(mode: str, code: int, stderr: str, *, settling: bool = False) -> None:
        allowed = (0, 2) if settling else (0, 2, 3, -signal.SIGKILL)
        if code not in allowed or (code == 2 and not any(m in stderr for m in NOTHING_TO_DO)):
            raise Violation(f"upload --mode {mode} ended with exit code {code}: {stderr[-800:]}")

    def _disturb(self, child: subprocess.Popen[bytes], event: str) -> None:
        if event == "complete":
            return
        target = self._get("stats")["requests"] + self.rng.randint(5, 150)
        self._wait(lambda: self._get("stats")["requests"] >= target or child.poll() is not None)
        if child.poll() is not None:
            return
        if event == "kill":
            child.send_signal(signal.SIGKILL)
        elif event == "stop":
            child.send_signal(signal.SIGTERM)
        elif event in SELF_STOPPING:
            fault = SELF_STOPPING[event]
            self._control(**{fault: True})
            self._wait(lambda: child.poll() is not None)  # it must stop by itself: exit 3
            self._control(**{fault: False})
        else:
            self._control(**{event: True})
            seen = self._get("stats")["faults"].get("outage", 0) + self.rng.randint(3, 30)
            # Until enough sends met it, or the upload paused for it (it then only probes).
            self._wait(
                lambda: (
                    self._get("stats")["faults"].get("outage", 0) >= seen
                    or self._status_reason().startswith(outage.PREFIX)
                    or child.poll() is not None
                )
            )
            self._control(**{event: False})

    @staticmethod
    def _wait(predicate: Callable[[], bool], timeout: float = RUN_TIMEOUT) -> None:
        deadline = time.monotonic() + patience(timeout)
        while not predicate():
            if time.monotonic() > deadline:
                raise Violation("the upload made no progress within its timeout")
            time.sleep(0.02)

    # ----- the checks ---------------------------------------------------------------------------

    def _status_reason(self) -> str:
        with sqlite3.connect(f"file:{self.home / 'scrtui.db'}?mode=ro", uri=True) as db:
            return db.execute("SELECT status_reason FROM upload").fetchone()[0] or ""

    def _rows(self) -> dict[str, tuple[str, str | None, str | None, str | None]]:
        with sqlite3.connect(f"file:{self.home / 'scrtui.db'}?mode=ro", uri=True) as db:
            cursor = db.execute(
                "SELECT p.nhs_number, u.bucket, u.reason_code, u.message_id, u.sent_message_id "
                "FROM patient_upload u JOIN patient p ON p.id = u.patient_id"
            )
            return {r[0]: (r[1], r[2], r[3], r[4]) for r in cursor}

    def check(self) -> None:
        stats = self._get("stats")
        if stats["unreplaced_nhs_numbers"]:
            raise Violation(f"second summaries not replacing the first: {stats}")
        held = {
            nhs: [a["message_id"] for a in chain] for nhs, chain in self._get("accepted").items()
        }
        rows = self._rows()
        for nhs, (bucket, code, message_id, _sent) in rows.items():
            if bucket == "failed" and (nhs not in self.refused or code not in ALWAYS_REFUSED):
                raise Violation(f"{nhs} Failed ({code}) but the Spine refuses only {self.refused}")
            if nhs in self.pds_differ and (bucket == "sent" or nhs in held):
                raise Violation(f"{nhs} differs on PDS but was sent ({bucket}, {held.get(nhs)})")
            if bucket == "sent" and (nhs not in held or held[nhs][-1] != message_id):
                raise Violation(f"{nhs} Sent as {message_id}; the Spine holds {held.get(nhs)}")
        for nhs, ids in held.items():
            bucket, _code, message_id, sent_id = rows[nhs]
            if ids[-1] not in (message_id, sent_id):
                raise Violation(f"the Spine holds {ids} for {nhs}; practice: {rows[nhs]}")
        status = json.loads(self._scrtui("status", "--json").stdout)
        sent = sum(1 for r in rows.values() if r[0] == "sent")
        if status["sent"] != sent:
            raise Violation(f"scrtui status says {status['sent']} Sent, the database {sent}")
        self.report.checks += 1
        self.report.accepted = stats["accepted"]
        self.report.replacements = stats["replacements"]
        self.report.faults = {k: int(v) for k, v in stats["faults"].items()}

    def settle(self) -> None:
        """Faults off; Resume what is pending, then Failed: everyone ends where they belong."""
        self._control(
            error_500_share=0, reset_share=0, error_429_share=0, unavailable_share=0, outage=False,
            outage_503=False, route_error=False, pds_error_500_share=0, pds_latency_ms=0,
        )  # fmt: skip
        # Run as well: an upload killed before it started leaves patients it never took in.
        for mode in ("resume", "run", "failed"):
            self._settings(self.rng.randint(1, 64))
            result = self._scrtui(
                "upload", "--mode", mode, "--card", "simulated", "--mhs-url", self.url, "--yes",
                timeout=RUN_TIMEOUT,
            )  # fmt: skip
            self.say(f"  settle --mode {mode}: {ENDINGS.get(result.returncode)}")
            self._expected_ending(mode, result.returncode, result.stderr, settling=True)
        self.check()
        rows = self._rows()
        expected = self.eligible - self.refused - set(self.pds_differ)
        missing = {n for n in expected if rows.get(n, ("",))[0] != "sent"}
        pds = {n: rows.get(n) for n in self.pds_differ}
        if any(r is None or r[1] not in ("NR10", "NR11") for r in pds.values()):
            raise Violation(f"PDS-differing patients not Not Required (PDS) at the end: {pds}")
        if missing:
            found = {n: rows.get(n) for n in sorted(missing)[:10]}
            raise Violation(f"eligible patients not Sent at the end: {found}")
        accepted = self._get("stats")["accepted_nhs_numbers"]
        status = json.loads(self._scrtui("status", "--json").stdout)
        if status["sent"] != accepted:
            raise Violation(f"scrtui status Sent {status['sent']}, the Spine accepted {accepted}")


def next_mode(rng: random.Random, ending: str) -> str:
    if ending.endswith(("killed", "stopped")):
        return rng.choice(("resume", "resume", "rerun", "failed"))
    return rng.choice(MODES)


def campaign(runs: int, seed: int, patients: int, say: Callable[[str], None] = print) -> Report:
    with tempfile.TemporaryDirectory(prefix="scrtui-chaos-") as tmp:
        chaos = Campaign(Path(tmp), seed, patients, say)
        try:
            mode = "run"
            for number in range(1, runs + 1):
                ending = chaos.upload(mode)
                say(f"  run {number}: --mode {mode}, {ending}")
                mode = next_mode(chaos.rng, ending)
            chaos.settle()
        finally:
            chaos.close()
        return chaos.report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="./run chaos", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="uploads in the campaign")
    parser.add_argument("--seed", type=int, default=7, help="seed of every random choice")
    parser.add_argument("--patients", type=int, default=300, help="size of the practice")
    parser.add_argument("--quiet", action="store_true", help="print only the summary")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.patients < 10:
        print("chaos: --runs must be at least 1 and --patients at least 10", file=sys.stderr)
        return 2
    say: Callable[[str], None] = (lambda _line: None) if args.quiet else print
    started = time.monotonic()
    try:
        report = campaign(args.runs, args.seed, args.patients, say)
    except Violation as exc:
        print(f"chaos seed {args.seed}: VIOLATION: {exc}", file=sys.stderr)
        return 1
    print(f"chaos seed {args.seed}: passed in {time.monotonic() - started:.0f} s")
    for line in report.lines():
        print("  " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
