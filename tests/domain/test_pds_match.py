"""Vision's PDS synchronisation rules (scrtui/domain/pds_match.py), tested without a Spine."""

from __future__ import annotations

from dataclasses import replace

import pytest

from scrtui.domain.pds_match import (
    PDS_DECEASED,
    PDS_MISMATCH,
    PDS_NOT_FOUND,
    PDS_OTHER_PRACTICE,
    PDS_SENSITIVE,
    PDS_SUPERSEDED,
    Demographics,
    PdsRecord,
    normalise,
    verdict,
)

OURS = Demographics("9691813343", "Duncan", "Molloy", "19390120", "male", "NE28 7QU")
ODS = "A87016"


def pds(**changes: object) -> PdsRecord:
    given = changes.pop("given_names", None)
    extra: dict[str, object] = {"gp_ods_code": ODS}
    extra.update(
        {k: changes.pop(k) for k in ("sensitive", "deceased_on", "gp_ods_code") if k in changes}
    )
    demographics = replace(OURS, **changes)  # type: ignore[arg-type]
    names = given if given is not None else (demographics.forename,)
    return PdsRecord(demographics, given_names=names, **extra)  # type: ignore[arg-type]


def test_the_same_record_is_synchronised() -> None:
    assert verdict(OURS, pds(), ODS) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Molloy.", "Molloy"),
        ("Molloy ,;  ", "Molloy"),
        ("  O'Brien ", "O'Brien"),  # inner punctuation stays
        ("Mary   Ann\tJane", "Mary Ann Jane"),
        ("NE28  7QU ", "NE28 7QU"),
        ("", ""),
        (" .. ", ""),
    ],
)
def test_normalising_strips_trailing_punctuation_and_folds_whitespace(value, expected) -> None:
    assert normalise(value) == expected


def test_trailing_punctuation_and_whitespace_do_not_make_a_mismatch() -> None:
    record = pds(surname="Molloy. ", forename="Duncan,", postcode="NE28   7QU")
    assert verdict(OURS, record, ODS) is None


def test_case_is_compared_as_is_since_no_source_says_otherwise() -> None:
    reason = verdict(OURS, pds(surname="MOLLOY"), ODS)
    assert reason is not None and reason.code == PDS_MISMATCH
    assert "surname (practice Molloy, PDS MOLLOY)" in reason.text


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"surname": "Molloy-Smith"}, "surname (practice Molloy, PDS Molloy-Smith)"),
        ({"gender": "female"}, "gender (practice male, PDS female)"),
        ({"date_of_birth": "19390121"}, "date of birth (practice 20/01/1939, PDS 21/01/1939)"),
        ({"date_of_birth": "1939"}, "date of birth (practice 20/01/1939, PDS 1939)"),
    ],
)
def test_each_mandatory_field_must_match(changes, field) -> None:
    reason = verdict(OURS, pds(**changes), ODS)
    assert reason is not None and reason.code == PDS_MISMATCH
    assert reason.text == f"PDS mismatch: {field}"


def test_forename_or_postcode_one_of_them_is_enough() -> None:
    assert verdict(OURS, pds(forename="Dunc"), ODS) is None  # postcode matches
    assert verdict(OURS, pds(postcode="NE1 1AA"), ODS) is None  # forename matches
    reason = verdict(OURS, pds(forename="Dunc", postcode="NE1 1AA"), ODS)
    assert reason is not None
    assert reason.text == (
        "PDS mismatch: forename (practice Duncan, PDS Dunc); "
        "postcode (practice NE28 7QU, PDS NE1 1AA)"
    )


def test_forename_matches_the_first_given_name_or_all_of_them() -> None:
    assert verdict(OURS, pds(postcode="X", given_names=("Duncan", "Jack")), ODS) is None
    ours = replace(OURS, forename="Duncan Jack")
    assert verdict(ours, pds(postcode="X", given_names=("Duncan", "Jack")), ODS) is None
    reason = verdict(OURS, pds(postcode="X", given_names=("Jack", "Duncan")), ODS)
    assert reason is not None and "forename (practice Duncan, PDS Jack Duncan)" in reason.text


def test_blanks_on_both_sides_match_a_blank_on_one_side_does_not() -> None:
    ours = replace(OURS, postcode="", forename="Duncan")
    assert verdict(ours, pds(postcode=""), ODS) is None
    no_gender = replace(OURS, gender="")
    assert verdict(no_gender, pds(gender=""), ODS) is None
    reason = verdict(no_gender, pds(), ODS)
    assert reason is not None and "gender (practice blank, PDS male)" in reason.text
    both_blank_forename = replace(OURS, forename="", postcode="NE1 1AA")
    assert verdict(both_blank_forename, pds(forename="", given_names=()), ODS) is None


def test_several_mismatches_are_all_listed_with_both_values() -> None:
    reason = verdict(OURS, pds(surname="Smith", gender="female"), ODS)
    assert reason is not None
    assert reason.text == (
        "PDS mismatch: gender (practice male, PDS female); surname (practice Molloy, PDS Smith)"
    )


def test_not_found_superseded_sensitive_deceased_and_other_practice() -> None:
    assert verdict(OURS, None, ODS).code == PDS_NOT_FOUND  # type: ignore[union-attr]
    superseded = verdict(OURS, pds(nhs_number="9691813351"), ODS)
    assert superseded is not None and superseded.code == PDS_SUPERSEDED
    assert "practice 9691813343, PDS 9691813351" in superseded.text
    sensitive = verdict(OURS, pds(sensitive=True, postcode="", gp_ods_code=""), ODS)
    assert sensitive is not None and sensitive.code == PDS_SENSITIVE
    deceased = verdict(OURS, pds(deceased_on="20240102"), ODS)
    assert deceased is not None and deceased.code == PDS_DECEASED
    assert "02/01/2024" in deceased.text
    elsewhere = verdict(OURS, pds(gp_ods_code="B86099"), ODS)
    assert elsewhere is not None and elsewhere.code == PDS_OTHER_PRACTICE
    assert "B86099" in elsewhere.text
    assert verdict(OURS, pds(gp_ods_code="a87016"), ODS) is None  # ODS codes ignore case
