"""Bulk INSERT statements shared by the seed and the import (raw executemany: peewee's
per-row query building would dominate at 50,000 patients)."""

PATIENT_INSERT = (
    "INSERT INTO patient (id, nhs_number, forename, surname, date_of_birth, gender, postcode, "
    "registration_status, registration_date, fp69, sensitive, consent_code, national_summary, "
    "national_summary_date, pds_linked) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
)
MEDICATION_INSERT = (
    "INSERT INTO medication (patient_id, repeat, drug, dose, start, last_issue, review_date, "
    "discontinued) VALUES (?,?,?,?,?,?,?,?)"
)
ALLERGY_INSERT = (
    "INSERT INTO allergy (patient_id, substance, reaction, kind, recorded) VALUES (?,?,?,?,?)"
)
