"""The practice smartcard profile: the ISO 7816-4 commands the card answers (docs/card.md).

Pure functions only: build command APDUs, split and interpret responses, and encode or decode the
identity TLV. A site whose cards need another profile replaces this one module.

    SELECT         00 A4 04 00 08 F0 53 43 52 54 55 49 01      -> 90 00 | 6A 82 (no application)
    VERIFY         00 20 00 81 Lc <passcode as ASCII digits>   -> 90 00 | 63 Cx (x tries left)
                                                                  | 69 83 (blocked)
    READ IDENTITY  80 CA 01 00 00                              -> TLV 90 00 | 69 82 (not verified)
                   TLV: 01 SDS user id (12 digits), 02 name (UTF-8), 03 card serial
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

AID = bytes.fromhex("F0 53 43 52 54 55 49 01")  # F0 "SCRTUI" 01

SW_OK = 0x9000
SW_NO_APPLICATION = 0x6A82
SW_BLOCKED = 0x6983
SW_NOT_VERIFIED = 0x6982
SW_CONDITIONS_NOT_SATISFIED = 0x6985
SW_WRONG_DATA = 0x6A80
SW_WRONG_P1P2 = 0x6B00
SW_WRONG_LENGTH = 0x6700
SW_INS_NOT_SUPPORTED = 0x6D00
SW_CLA_NOT_SUPPORTED = 0x6E00
SW_TRIES_LEFT_BASE = 0x63C0  # 63 Cx: wrong passcode, x tries left

TAG_SDS_USER_ID = 0x01
TAG_NAME = 0x02
TAG_SERIAL = 0x03

PASSCODE_MIN = 4
PASSCODE_MAX = 8
_PASSCODE = re.compile(rf"[0-9]{{{PASSCODE_MIN},{PASSCODE_MAX}}}")
_SDS_USER_ID = re.compile(r"[0-9]{12}")


class ProfileError(ValueError):
    """A command could not be built, or a card's answer does not fit the profile."""


@dataclass(frozen=True, slots=True)
class CardIdentity:
    """What READ IDENTITY returns: the card holder and the card."""

    sds_user_id: str
    name: str
    serial: str


class VerifyOutcome(enum.Enum):
    OK = "ok"
    WRONG = "wrong"  # tries_left says how many are left; 0 means the card is now blocked
    BLOCKED = "blocked"


@dataclass(frozen=True, slots=True)
class VerifyResult:
    outcome: VerifyOutcome
    tries_left: int | None = None


# -- commands ---------------------------------------------------------------------------------
def select_command() -> bytes:
    return bytes([0x00, 0xA4, 0x04, 0x00, len(AID)]) + AID


def is_valid_passcode(passcode: str) -> bool:
    return bool(_PASSCODE.fullmatch(passcode))


def verify_command(passcode: str) -> bytes:
    """VERIFY with the passcode as ASCII digits; raises ProfileError for a malformed passcode."""
    if not is_valid_passcode(passcode):
        raise ProfileError(f"The passcode is {PASSCODE_MIN} to {PASSCODE_MAX} digits")
    data = passcode.encode("ascii")
    return bytes([0x00, 0x20, 0x00, 0x81, len(data)]) + data


def read_identity_command() -> bytes:
    return bytes([0x80, 0xCA, 0x01, 0x00, 0x00])


# -- responses --------------------------------------------------------------------------------
def split_response(response: bytes) -> tuple[bytes, int]:
    """(data, status word) of a response APDU."""
    if len(response) < 2:
        raise ProfileError(
            f"The card's answer is too short ({response.hex(' ').upper() or 'empty'})"
        )
    return response[:-2], int.from_bytes(response[-2:], "big")


def status_word(response: bytes) -> int:
    return split_response(response)[1]


def describe_sw(sw: int) -> str:
    return f"{sw >> 8:02X} {sw & 0xFF:02X}"


def parse_select(response: bytes) -> bool:
    """True when the card has the application; False for 6A 82; ProfileError for anything else."""
    sw = status_word(response)
    if sw == SW_OK:
        return True
    if sw == SW_NO_APPLICATION:
        return False
    raise ProfileError(f"SELECT answered {describe_sw(sw)}")


def parse_verify(response: bytes) -> VerifyResult:
    sw = status_word(response)
    if sw == SW_OK:
        return VerifyResult(VerifyOutcome.OK)
    if sw == SW_BLOCKED:
        return VerifyResult(VerifyOutcome.BLOCKED, 0)
    if sw & 0xFFF0 == SW_TRIES_LEFT_BASE:
        return VerifyResult(VerifyOutcome.WRONG, sw & 0x0F)
    raise ProfileError(f"VERIFY answered {describe_sw(sw)}")


def parse_read_identity(response: bytes) -> CardIdentity:
    data, sw = split_response(response)
    if sw == SW_NOT_VERIFIED:
        raise ProfileError("READ IDENTITY answered 69 82: the passcode has not been verified")
    if sw != SW_OK:
        raise ProfileError(f"READ IDENTITY answered {describe_sw(sw)}")
    return decode_identity(data)


# -- the identity TLV -----------------------------------------------------------------------
def decode_tlv(data: bytes) -> dict[int, bytes]:
    """One-byte tags, BER lengths (short form, or 81 / 82 long form)."""
    out: dict[int, bytes] = {}
    pos = 0
    while pos < len(data):
        tag = data[pos]
        length, pos = _tlv_length(data, pos + 1)
        if pos + length > len(data):
            raise ProfileError(f"Identity TLV tag {tag:02X} runs past the end of the data")
        out[tag] = data[pos : pos + length]
        pos += length
    return out


def _tlv_length(data: bytes, pos: int) -> tuple[int, int]:
    if pos >= len(data):
        raise ProfileError("Identity TLV ends inside a tag")
    first = data[pos]
    if first < 0x80:
        return first, pos + 1
    size = first & 0x7F
    if size not in (1, 2) or pos + 1 + size > len(data):
        raise ProfileError("Identity TLV has a bad length")
    return int.from_bytes(data[pos + 1 : pos + 1 + size], "big"), pos + 1 + size


def encode_tlv(tag: int, value: bytes) -> bytes:
    n = len(value)
    if n < 0x80:
        length = bytes([n])
    elif n < 0x100:
        length = bytes([0x81, n])
    else:
        length = bytes([0x82]) + n.to_bytes(2, "big")
    return bytes([tag]) + length + value


def decode_identity(data: bytes) -> CardIdentity:
    fields = decode_tlv(data)
    missing = [t for t in (TAG_SDS_USER_ID, TAG_NAME, TAG_SERIAL) if t not in fields]
    if missing:
        tags = ", ".join(f"{t:02X}" for t in missing)
        raise ProfileError(f"The card's identity lacks tag {tags}")
    try:
        sds_user_id = fields[TAG_SDS_USER_ID].decode("ascii")
        name = fields[TAG_NAME].decode("utf-8")
        serial = fields[TAG_SERIAL].decode("ascii")
    except UnicodeDecodeError as exc:
        raise ProfileError(f"The card's identity is not readable text ({exc.reason})") from None
    if not _SDS_USER_ID.fullmatch(sds_user_id):
        raise ProfileError(f"The card's SDS user id {sds_user_id!r} is not 12 digits")
    if not serial or not name.strip():
        raise ProfileError("The card's identity has an empty name or serial")
    return CardIdentity(sds_user_id=sds_user_id, name=name, serial=serial)


def encode_identity(identity: CardIdentity) -> bytes:
    return (
        encode_tlv(TAG_SDS_USER_ID, identity.sds_user_id.encode("ascii"))
        + encode_tlv(TAG_NAME, identity.name.encode("utf-8"))
        + encode_tlv(TAG_SERIAL, identity.serial.encode("ascii"))
    )


def hex_bytes(data: bytes) -> str:
    """ATRs and APDUs as people read them: '3B 85 80 01'."""
    return data.hex(" ").upper()
