"""`scrtui upload/status/report --upload KIND`: the same keys per upload, the consent warning,
and clear refusals (exit 2, nothing sent)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from scrtui.domain import uploads
from scrtui.settings import save
from tests.engine.conftest import fast_settings
from tests.engine.test_crash import scrtui, stats


def queries_of(home: Path):
    """The store's queries on this home's database (the CLI child has closed it)."""
    from scrtui.store import db, queries

    db.open_database(home / "scrtui.db")
    return queries


def run(home: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    child = scrtui(home, *args, env=env)
    out, err = child.communicate(timeout=120)
    return child.returncode, out, err


def test_consent_migration_then_initial_upload_from_the_command_line(tmp_path):
    from scrtui.standins.simulator import start_simulator_process

    home = tmp_path / "home"
    assert run(home, "seed", "--patients", "120")[0] == 0
    process, url = start_simulator_process(["--pds-practice", str(home / "scrtui.db")])
    env = {**os.environ, "SCRTUI_PASSCODE": "1234"}
    upload = ("upload", "--card", "simulated", "--yes", "--mode", "run")
    try:
        save(home / "scrtui.toml", fast_settings(url))
        # Before Consent Migration, the Initial Upload's Run warns (and is not run here).
        code, out, err = run(home, "upload", "--mode", "run", "--card", "simulated", env=env)
        assert code == 2 and "Consent Migration has not completed" in out, err
        code, out, err = run(home, *upload, "--upload", "consent-migration", "--json", env=env)
        assert code == 0, err
        consent = json.loads(out)
        code, out, err = run(home, *upload, env=env)
        assert code == 0, err
        assert "Consent Migration has not completed" not in out
        final = stats(url)
    finally:
        process.terminate()
        process.wait(10)
    initial = json.loads(run(home, "status", "--json")[1])
    assert set(consent) == set(initial)
    assert consent["upload"] == uploads.CONSENT_MIGRATION and initial["upload"] == "initial"
    assert consent["sent"] == len(final["consent_permissions"])
    assert initial["sent"] == final["accepted"] > 0
    code, out, _ = run(home, "report", "--upload", "consent-migration", "--format", "json")
    rows = json.loads(out)
    assert code == 0 and len(rows) == 120
    assert sum(r["bucket"] == "sent" for r in rows) == consent["sent"]
    code, _, err = run(home, "upload", "--upload", "bulk-deregistration", "--mode", "run", "--yes")
    assert code == 2 and "needs a patient group" in err and "Traceback" not in err
    dereg = ("upload", "--upload", "bulk-deregistration", "--mode", "run", "--yes", "--date")
    code, _, err = run(home, *dereg, "31/12/9999")
    assert code == 2 and "31/12/9999 is in the future" in err and "Traceback" not in err
    code, _, err = run(home, *dereg, "01/01/1900")
    assert code == 2 and "before the practice's records begin" in err, err
    assert queries_of(home).last_run(uploads.BULK_DEREGISTRATION) is None  # nothing started
    code, _, err = run(home, "status", "--upload", "nonsense")
    assert code == 2 and "invalid choice" in err
