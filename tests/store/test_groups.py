"""Patient groups: Vision's name and description limits, system groups, all-or-nothing writes."""

from __future__ import annotations

from datetime import date

import pytest

from scrtui.domain.nhs_number import format_334, is_valid
from scrtui.paths import Home
from scrtui.settings import Settings
from scrtui.store import groups as g
from scrtui.store.models import database
from scrtui.store.seed import seed_practice


@pytest.fixture
def numbers(db_home: Home) -> list[str]:
    """NHS numbers of a small seeded practice (valid ones only), in id order."""
    seed_practice(Settings(), 300, seed=4, today=date(2026, 11, 25))
    return [
        n
        for (n,) in database.obj.execute_sql("SELECT nhs_number FROM patient ORDER BY id")
        if is_valid(n)
    ]


def group_rows() -> int:
    return database.obj.execute_sql("SELECT COUNT(*) FROM group_member").fetchone()[0]


def test_create_list_members_delete(numbers: list[str]) -> None:
    made = g.create_group(" FIXED ", " After the first run ", [format_334(numbers[0]), numbers[1]])
    assert made == g.GroupSummary("FIXED", "After the first run", 2, False)
    assert ("FIXED", "After the first run", 2, False) in g.list_groups()
    assert g.list_groups()[0].system  # system groups first
    assert sorted(g.group_members("FIXED")) == sorted(numbers[:2])
    assert len(g.group_member_ids("fixed")) == 2  # names match without case
    g.delete_group("FIXED")
    assert "FIXED" not in {row.name for row in g.list_groups()}
    with pytest.raises(g.GroupError, match='There is no group called "FIXED"'):
        g.group_members("FIXED")


def test_duplicate_numbers_count_once(numbers: list[str]) -> None:
    assert g.create_group("TWICE", "", [numbers[0], numbers[0]]).members == 1


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("ELEVENCHARS", "has 11 characters: use at most 10"),
        ("   ", "The group name is empty"),
        ("$ABC", "system group name"),
        ("A\tB", "control characters"),
    ],
)
def test_bad_names(numbers: list[str], name: str, message: str) -> None:
    with pytest.raises(g.GroupError, match=message):
        g.create_group(name, "", numbers[:1])


def test_description_limit(numbers: list[str]) -> None:
    assert g.create_group("OK", "x" * 56, numbers[:1]).description == "x" * 56
    with pytest.raises(g.GroupError, match="57 characters: use at most 56"):
        g.create_group("LONG", "x" * 57, numbers[:1])


def test_a_name_in_use_is_refused_unless_replace(numbers: list[str]) -> None:
    g.create_group("FIXED", "first", numbers[:3])
    with pytest.raises(g.GroupError) as caught:
        g.create_group("fixed", "second", numbers[3:4])
    assert str(caught.value).startswith("The group name you have chosen is already in use.")
    assert "--replace" in str(caught.value)
    assert g.group_member_ids("FIXED") and len(g.group_members("FIXED")) == 3
    replaced = g.create_group("fixed", "second", numbers[3:4], replace=True)
    assert replaced.members == 1
    names = [row.name for row in g.list_groups()]
    assert "fixed" in names and "FIXED" not in names


def test_system_groups_cannot_be_changed(numbers: list[str]) -> None:
    with pytest.raises(g.GroupError, match="system group"):
        g.create_group("$PAT", "", numbers[:1], replace=True)
    with pytest.raises(g.GroupError, match="cannot be deleted"):
        g.delete_group("$PAT")
    assert g.group_member_ids("$PAT")  # still there, and readable


def test_bad_numbers_are_listed_by_line_and_nothing_is_written(numbers: list[str]) -> None:
    text = (
        f"# fixed after the first run\n{numbers[0]}\n\n12345\n"
        f"{numbers[1]}  # Mrs Smith\n9434765919\n999 000 00\n"
    )
    lines = g.parse_number_lines(text)
    assert [line.line for line in lines] == [2, 4, 5, 6, 7]
    before = group_rows()
    with pytest.raises(g.GroupError) as caught:
        g.create_group("FIXED", "", lines)
    message = str(caught.value)
    assert message.startswith("Nothing was saved: 3 NHS number(s) cannot be used.")
    assert 'line 4: "12345" is not a valid NHS number' in message
    assert "line 6: 943 476 5919 is not a patient of this practice" in message
    assert 'line 7: "999 000 00" is not a valid NHS number' in message
    assert len(caught.value.problems) == 3
    assert group_rows() == before
    assert "FIXED" not in {row.name for row in g.list_groups()}


def test_replace_with_bad_numbers_keeps_the_old_group(numbers: list[str]) -> None:
    g.create_group("KEEP", "old", numbers[:2])
    with pytest.raises(g.GroupError):
        g.create_group("KEEP", "new", ["123"], replace=True)
    assert ("KEEP", "old", 2, False) in g.list_groups()


def test_more_than_20_problems(numbers: list[str]) -> None:
    with pytest.raises(g.GroupError) as caught:
        g.create_group("MANY", "", [str(i) for i in range(25)])
    assert str(caught.value).rstrip().endswith("and 5 more")
    assert len(caught.value.problems) == 25


def test_no_numbers(numbers: list[str]) -> None:
    with pytest.raises(g.GroupError, match="There are no NHS numbers"):
        g.create_group("EMPTY", "", g.parse_number_lines("# nothing\n\n"))


def test_reading_a_file(numbers: list[str], tmp_path) -> None:
    path = tmp_path / "g.txt"
    path.write_text("\ufeff" + numbers[0] + "\n", encoding="utf-8")
    assert g.read_number_file(path) == [g.NumberLine(1, numbers[0])]
    with pytest.raises(g.GroupError, match="no such file"):
        g.read_number_file(tmp_path / "absent.txt")
    path.write_bytes(b"\xff\xfe9\x00")
    with pytest.raises(g.GroupError, match="not a UTF-8 text file"):
        g.read_number_file(path)
