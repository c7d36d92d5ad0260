"""The card profile: the exact command bytes and the meaning of every answer."""

from __future__ import annotations

import pytest

from scrtui.card import profile
from scrtui.card.profile import CardIdentity, ProfileError, VerifyOutcome


def test_commands_are_the_documented_bytes():
    assert profile.select_command() == bytes.fromhex("00A4040008F053435254554901")
    assert profile.verify_command("1234") == bytes.fromhex("0020008104") + b"1234"
    assert profile.verify_command("12345678") == bytes.fromhex("0020008108") + b"12345678"
    assert profile.read_identity_command() == bytes.fromhex("80CA010000")


@pytest.mark.parametrize("passcode", ["", "123", "123456789", "12a4", "１２３４", " 1234"])
def test_malformed_passcodes_are_never_sent(passcode):
    assert not profile.is_valid_passcode(passcode)
    with pytest.raises(ProfileError, match="4 to 8 digits"):
        profile.verify_command(passcode)


def test_select_answers():
    assert profile.parse_select(b"\x90\x00") is True
    assert profile.parse_select(b"\x6a\x82") is False
    with pytest.raises(ProfileError, match="6A 86"):
        profile.parse_select(b"\x6a\x86")


@pytest.mark.parametrize(
    ("response", "outcome", "tries"),
    [
        (b"\x90\x00", VerifyOutcome.OK, None),
        (b"\x63\xc2", VerifyOutcome.WRONG, 2),
        (b"\x63\xc1", VerifyOutcome.WRONG, 1),
        (b"\x63\xc0", VerifyOutcome.WRONG, 0),
        (b"\x69\x83", VerifyOutcome.BLOCKED, 0),
    ],
)
def test_verify_answers(response, outcome, tries):
    result = profile.parse_verify(response)
    assert (result.outcome, result.tries_left) == (outcome, tries)


def test_verify_unexpected_answer_is_an_error():
    with pytest.raises(ProfileError, match="69 85"):
        profile.parse_verify(b"\x69\x85")
    with pytest.raises(ProfileError, match="too short"):
        profile.parse_verify(b"\x90")


def test_identity_round_trip_with_utf8_and_long_values():
    identity = CardIdentity("555000000001", "Zoë Ó'Brien-" + "x" * 200, "SER-42")
    data = profile.encode_identity(identity)
    assert data[:2] == b"\x01\x0c"
    assert profile.parse_read_identity(data + b"\x90\x00") == identity


def test_identity_tlv_in_any_order_with_unknown_tags():
    data = b"\x03\x02S1" + b"\x09\x01z" + b"\x02\x03Ann" + b"\x01\x0c555000000002"
    assert profile.decode_identity(data) == CardIdentity("555000000002", "Ann", "S1")


def test_read_identity_before_verify_is_refused():
    with pytest.raises(ProfileError, match="69 82"):
        profile.parse_read_identity(b"\x69\x82")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x01\x0c555000000001\x02\x03Ann", "lacks tag 03"),
        (b"\x01\x0555500\x02\x03Ann\x03\x01S", "not 12 digits"),
        (b"\x01\x0c555000000001\x02\x10Ann", "runs past the end"),
        (b"\x01", "ends inside a tag"),
        (b"\x01\x0c555000000001\x02\x02\xff\xfe\x03\x01S", "not readable text"),
    ],
)
def test_bad_identity_data_is_refused(data, message):
    with pytest.raises(ProfileError, match=message):
        profile.decode_identity(data)
