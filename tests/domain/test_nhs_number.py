"""NHS number: Modulus 11 (NHS Data Dictionary), the never-issued result 10, and 3-3-4."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scrtui.domain.nhs_number import check_digit, format_334, is_valid, normalise

nine_digits = st.text(alphabet="0123456789", min_size=9, max_size=9)


@given(nine_digits)
def test_every_number_built_with_check_digit_validates(first_nine: str) -> None:
    digit = check_digit(first_nine)
    if digit is None:
        # Result 10: no tenth digit makes it valid.
        assert not any(is_valid(first_nine + str(d)) for d in range(10))
    else:
        assert is_valid(first_nine + str(digit))


@settings(max_examples=300)
@given(nine_digits, st.integers(0, 9), st.integers(1, 9))
def test_changing_any_single_digit_invalidates(first_nine: str, position: int, delta: int):
    digit = check_digit(first_nine)
    if digit is None:
        return
    number = first_nine + str(digit)
    changed = number[:position] + str((int(number[position]) + delta) % 10) + number[position + 1 :]
    assert not is_valid(changed)


def test_the_worked_example_is_valid_in_any_usual_spelling() -> None:
    for text in ("9434765919", "943 476 5919", "943-476-5919", " 943 476 5919 "):
        assert is_valid(text.strip()), text
    assert check_digit("943476591") == 9


def test_check_result_10_is_never_valid() -> None:
    prefix = next(f"999000{n:03d}" for n in range(1000) if check_digit(f"999000{n:03d}") is None)
    assert check_digit(prefix) is None
    assert not any(is_valid(prefix + str(d)) for d in range(10))


def test_result_11_means_check_digit_0() -> None:
    prefix = next(f"999000{n:03d}" for n in range(1000) if check_digit(f"999000{n:03d}") == 0)
    assert is_valid(prefix + "0")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "943476591",
        "94347659190",
        "ABC1234",
        "943476591X",
        "943 476 591 9 x",
        "٩٤٣٤٧٦٥٩١٩",  # Arabic-Indic digits: isdigit() but not an NHS number
        "9434765918",
    ],
)
def test_not_valid(text: str) -> None:
    assert not is_valid(text)


def test_format_334() -> None:
    assert format_334("9434765919") == "943 476 5919"
    assert format_334("943-476-5919") == "943 476 5919"
    assert format_334("943 476 5919") == "943 476 5919"
    assert format_334("ABC1234") == "ABC1234"  # anything else unchanged
    assert format_334("12345") == "12345"


def test_normalise_strips_only_spaces_and_dashes() -> None:
    assert normalise(" 943-476 5919") == "9434765919"
    assert normalise("943.476.5919") == "943.476.5919"
