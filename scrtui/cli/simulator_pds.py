"""`scrtui simulator`'s PDS flags: the table PDS answers from, its differences and faults."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from scrtui.cli.common import EXIT_REFUSED, CliError


def pds_change(name: str, value: Any) -> Any:
    """The simulator's own check of a PDS setting, imported when a flag is read: the simulator
    package loads aiohttp, which `scrtui --help` need not (cli/common.py)."""
    from scrtui.standins.simulator.config import pds_change as check

    return check(name, value)


# `scrtui demo`: PDS holds these patients differently, one of each kind, to rehearse the fix.
DEMO_PDS_KINDS = (
    "surname",
    "forename_postcode",
    "date_of_birth",
    "superseded",
    "other_practice",
    "not_found",
)


def demo_pds_args(nhs_numbers: list[str]) -> list[str]:
    """--pds-differ flags giving each of these patients one of DEMO_PDS_KINDS."""
    pairs = zip(nhs_numbers, DEMO_PDS_KINDS, strict=False)
    return [arg for nhs, kind in pairs for arg in ("--pds-differ", f"{nhs}={kind}")]


def _share_of_kind(text: str) -> tuple[str, float]:
    kind, _, share = text.partition("=")
    try:
        checked = pds_change("pds_shares", {kind.strip(): float(share)})
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: {exc}") from None
    return kind.strip(), checked[kind.strip()]


def _kind_for(text: str) -> tuple[str, str]:
    nhs, _, kind = text.partition("=")
    try:
        checked = pds_change("pds_kinds", {nhs.strip(): kind.strip()})
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: {exc}") from None
    number, chosen = next(iter(checked.items()))
    return str(number), str(chosen)


def add_pds_arguments(
    parser: argparse.ArgumentParser,
    share: Callable[[str], float],
    non_negative: Callable[[str], float],
) -> None:
    """The flags; `share` and `non_negative` are the simulator command's own checks."""
    parser.add_argument(
        "--pds-practice", default=None, metavar="DB",
        help="the practice database PDS's patients are built from (default: the home's)",
    )  # fmt: skip
    parser.add_argument(
        "--pds-share", type=_share_of_kind, action="append", default=[], metavar="KIND=F",
        help="share of patients PDS holds differently: surname, gender, date_of_birth, "
        "forename_postcode, not_found, superseded, sensitive, other_practice, deceased",
    )  # fmt: skip
    parser.add_argument(
        "--pds-differ", type=_kind_for, action="append", default=[], metavar="NHS=KIND",
        help="PDS holds this patient differently, in one of the --pds-share kinds",
    )  # fmt: skip
    parser.add_argument("--pds-error-500-share", type=share, default=0, metavar="F")
    parser.add_argument("--pds-latency-ms", type=non_negative, default=0, metavar="L")
    parser.add_argument(
        "--pds-refuse-asid", action="store_true",
        help="answer PDS queries as if from-asid were missing (400)",
    )  # fmt: skip


def pds_config(args: argparse.Namespace) -> dict[str, Any]:
    shares = dict(args.pds_share)
    if shares:
        try:
            shares = pds_change("pds_shares", shares)
        except ValueError as exc:
            raise CliError(f"--pds-share: {exc}", EXIT_REFUSED) from None
    return {
        "pds_practice_db": args.pds_practice or "",
        "pds_shares": shares,
        "pds_kinds": dict(args.pds_differ),
        "pds_error_500_share": args.pds_error_500_share,
        "pds_latency_ms": args.pds_latency_ms,
        "pds_refuse_asid": args.pds_refuse_asid,
    }
