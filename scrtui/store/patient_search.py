"""The SCR Reporter's search from an index (issue 23: a search at 1,000,000 patients read the
whole join, 3-12 s; README, performance).

A search word matches anywhere in the NHS number (spaces ignored), the surname or the
forename (store/report.py). A B-tree cannot find a substring; SQLite's FTS5 trigram index
can: every three-character run of the three columns, kept in a contentless table (the
index alone, no copy of the text) whose rowid is the patient's id. Triggers keep it in step
with the patient table, whoever writes to it (import, seed, a restore's upgrade).
A word of fewer than three characters has no trigram: report.py matches it with LIKE over
the rows, as before. Matching is case-insensitive for every letter (LIKE's is for ASCII only).
"""

from __future__ import annotations

from peewee import SqliteDatabase

from scrtui.domain import nhs_number

MIN_WORD = 3  # the trigram's length: a shorter word cannot use the index

_NHS = "REPLACE({}.nhs_number, ' ', '')"
SCHEMA = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS patient_search "
    "USING fts5(nhs, surname, forename, content='', tokenize='trigram')",
    "CREATE TRIGGER IF NOT EXISTS patient_search_insert AFTER INSERT ON patient BEGIN "
    "INSERT INTO patient_search (rowid, nhs, surname, forename) "
    f"VALUES (new.id, {_NHS.format('new')}, new.surname, new.forename); END",
    "CREATE TRIGGER IF NOT EXISTS patient_search_delete AFTER DELETE ON patient BEGIN "
    "INSERT INTO patient_search (patient_search, rowid, nhs, surname, forename) "
    f"VALUES ('delete', old.id, {_NHS.format('old')}, old.surname, old.forename); END",
    "CREATE TRIGGER IF NOT EXISTS patient_search_update "
    "AFTER UPDATE OF id, nhs_number, surname, forename ON patient BEGIN "
    "INSERT INTO patient_search (patient_search, rowid, nhs, surname, forename) "
    f"VALUES ('delete', old.id, {_NHS.format('old')}, old.surname, old.forename); "
    "INSERT INTO patient_search (rowid, nhs, surname, forename) "
    f"VALUES (new.id, {_NHS.format('new')}, new.surname, new.forename); END",
)


def create(db: SqliteDatabase) -> None:
    """The index and its triggers, filled from the patients already there (a new database
    has none; an upgraded one: 1,000,000 patients in about 20 s on a busy machine). Made
    afresh, so a second run never indexes a patient twice."""
    db.execute_sql("DROP TABLE IF EXISTS patient_search")
    for statement in SCHEMA:
        db.execute_sql(statement)
    db.execute_sql(
        "INSERT INTO patient_search (rowid, nhs, surname, forename) "
        f"SELECT id, {_NHS.format('patient')}, surname, forename FROM patient"
    )


def indexed(word: str) -> bool:
    """True when the index can find this word (it and its NHS number form have a trigram)."""
    return len(word) >= MIN_WORD and len(nhs_number.normalise(word)) >= MIN_WORD


def match(words: list[str]) -> str:
    """The FTS5 query for words that must all match (each `indexed`): each word a phrase
    (a run of its trigrams, so a substring), in the NHS number column as typed without
    spaces and dashes, or in a name column as typed."""
    parts = []
    for word in words:
        number = _phrase(nhs_number.normalise(word))
        parts.append(f"(nhs : {number} OR {{surname forename}} : {_phrase(word)})")
    return " AND ".join(parts)


def _phrase(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'
