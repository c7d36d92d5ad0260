"""scrtui.toml: defaults, clear refusals, a bad file refused whole, atomic private saves."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scrtui.settings import Settings, SettingsError, dumps, load, save, with_changes


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scrtui.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_missing_file_means_the_defaults(tmp_path: Path) -> None:
    loaded = load(tmp_path / "scrtui.toml")
    assert loaded == Settings()
    assert loaded.update_existing_after_days == 14
    assert loaded.ods_code == "A12345"
    assert loaded.card_backend == "pcsc"


def test_the_written_defaults_load_back_unchanged(tmp_path: Path) -> None:
    assert load(write(tmp_path, dumps(Settings()))) == Settings()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "[spine]\nconcurrency = 0\n",
            "[spine] concurrency = 0: expected a whole number from 1 to 256",
        ),
        (
            '[spine]\nsending_asid = "12"\n',
            '[spine] sending_asid = "12": expected a string of 12 digits',
        ),
        (
            "[practice]\ngp_summary_enabled = 1\n",
            "[practice] gp_summary_enabled = 1: expected true or false",
        ),
        (
            '[card]\nbackend = "usb"\n',
            '[card] backend = "usb": expected one of "pcsc", "simulated"',
        ),
        ('[spine]\nmhs_url = "ftp://x"\n', '[spine] mhs_url = "ftp://x": expected an http://'),
        (
            "[spine]\noutage_limit_minutes = 0\n",
            "[spine] outage_limit_minutes = 0: expected a number from 0.01 to 1440",
        ),
        (
            '[spine]\noutage_limit_minutes = "30"\n',
            '[spine] outage_limit_minutes = "30": expected a number from 0.01 to 1440',
        ),
        (
            "[retry]\noutage_probe_max = 7200\n",
            "[retry] outage_probe_max = 7200: expected a number from 0.01 to 3600",
        ),
        (
            "[upload]\nupdate_existing_after_days = 100\n",
            "update_existing_after_days = 100: expected a whole number from 0 to 99",
        ),
    ],
)
def test_a_bad_value_names_key_value_and_what_is_expected(
    tmp_path: Path, text: str, expected: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        load(write(tmp_path, text))
    assert expected in str(caught.value)
    assert "scrtui.toml" in str(caught.value)  # and which file


def test_an_unknown_key_is_refused_and_the_known_ones_listed(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"unknown setting \[spine\] concurency; known:"):
        load(write(tmp_path, "[spine]\nconcurency = 4\n"))


def test_not_toml_is_refused_with_advice(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="not valid TOML.*fix or delete"):
        load(write(tmp_path, "[spine\n"))


def test_a_file_with_one_bad_value_is_refused_whole(tmp_path: Path) -> None:
    # Good values before and after the bad one must not be half-applied.
    path = write(
        tmp_path,
        '[practice]\nname = "Elsewhere"\n[spine]\nconcurrency = 999\n[retry]\nmax_attempts = 3\n',
    )
    with pytest.raises(SettingsError, match="concurrency"):
        load(path)


def test_inconsistent_settings_are_refused() -> None:
    with pytest.raises(SettingsError, match="both set"):
        with_changes(Settings(), client_cert=__file__)
    with pytest.raises(SettingsError, match="at least backoff_base"):
        with_changes(Settings(), backoff_base=10.0, backoff_max=1.0)
    with pytest.raises(SettingsError, match="at least outage_probe_first"):
        with_changes(Settings(), outage_probe_first=60.0, outage_probe_max=10.0)


def test_an_outage_is_bounded_by_default() -> None:
    """Half an hour, probes from 5 s doubling to 5 minutes (README's settings table)."""
    settings = Settings()
    assert settings.outage_limit_minutes == 30
    assert (settings.outage_probe_first, settings.outage_probe_max) == (5, 300)


def test_a_crash_while_saving_leaves_the_old_file_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "scrtui.toml"
    save(path, with_changes(Settings(), practice_name="Before"))

    def crash(*_args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        save(path, with_changes(Settings(), practice_name="After"))
    monkeypatch.undo()
    assert load(path).practice_name == "Before"


def test_saved_settings_are_private_even_with_a_permissive_umask(tmp_path: Path) -> None:
    path = tmp_path / "scrtui.toml"
    old = os.umask(0o022)
    try:
        save(path, Settings())
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


names = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=80
).filter(lambda t: 1 <= len(t.strip()) <= 80)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=names,
    concurrency=st.integers(1, 256),
    rate=st.floats(0, 100_000, allow_nan=False),
    days=st.integers(0, 99),
    enabled=st.booleans(),
)
def test_save_load_round_trip(
    tmp_path: Path, name: str, concurrency: int, rate: float, days: int, enabled: bool
) -> None:
    original = with_changes(
        Settings(),
        practice_name=name,
        concurrency=concurrency,
        rate_limit=rate,
        update_existing_after_days=days,
        gp_summary_enabled=enabled,
    )
    path = tmp_path / "scrtui.toml"
    save(path, original)
    assert load(path) == original
