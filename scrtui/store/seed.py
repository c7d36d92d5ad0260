"""A deterministic synthetic practice for demos, tests and benchmarks.

Every patient gets at most one "trait" (a reason to be Not Required, or a feature such as a
recent registration), drawn from fixed shares, so the counts per reason are predictable and
every reason of scrtui.domain.eligibility appears. The same --seed on the same day gives the
same practice; dates are relative to `today` so the demo always looks current.

Rows are written with raw executemany in one transaction: peewee builds each statement in
about 55 µs (docs/performance-baseline.md §3), far too slow for hundreds of thousands of rows.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from scrtui.domain import eligibility
from scrtui.domain.nhs_number import check_digit
from scrtui.settings import Settings
from scrtui.store.bulk import (
    AllergyRow,
    MedicationRow,
    PatientBatch,
    PatientRow,
    RoleProfileRow,
    insert_group,
    insert_user,
    write_practice_row,
)
from scrtui.store.models import database, scalar_int

MAX_PATIENTS = 1_000_000  # `scrtui bench --patients 1000000` (issue 23)
TEST_RANGE_PREFIX = "999"
# The 999 range holds ~909,000 valid numbers; a larger practice (a scale benchmark) also draws
# from 998. Live NHS numbers are issued from other ranges (4xx, 6xx-7xx in England; NHS test
# data uses 9xx), so no seeded number is a real patient's.
SECOND_RANGE_PREFIX = "998"


class SeedError(RuntimeError):
    """Seeding cannot go ahead; the message says why and what to do."""


# --- Reference data -------------------------------------------------------------------------

# fmt: off
FEMALE_NAMES = (
    "Olivia", "Amelia", "Isla", "Ava", "Mia", "Grace", "Sophie", "Emily", "Jessica", "Ruby",
    "Charlotte", "Lily", "Hannah", "Ellie", "Chloe", "Sarah", "Margaret", "Susan", "Patricia",
    "Jean", "Helen", "Deborah", "Fatima", "Aisha", "Priya", "Niamh", "Aoife", "Zoë", "Siân",
    "Chloë", "Eilidh", "Bethan", "Rhiannon", "Anna-Marie", "Mary-Jane", "Agnieszka", "Zofia",
)
MALE_NAMES = (
    "Oliver", "George", "Harry", "Noah", "Jack", "Leo", "Arthur", "Muhammad", "Oscar", "Charlie",
    "Thomas", "James", "William", "David", "John", "Michael", "Peter", "Robert", "Stephen",
    "Mohammed", "Arjun", "Ravi", "Kwame", "Tomasz", "Piotr", "Seán", "Ruairí", "Dafydd",
    "Rhys", "Gethin", "Jean-Paul", "Jan-Erik", "Callum", "Euan", "Hamish", "Iain",
)
SURNAMES = (
    "Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas",
    "Johnson", "Roberts", "Robinson", "Thompson", "Wright", "Walker", "White", "Edwards",
    "Hughes", "Green", "Hall", "Lewis", "Harris", "Clarke", "Patel", "Jackson", "Wood",
    "Turner", "Martin", "Cooper", "Hill", "Ward", "Morris", "Moore", "Clark", "Lee", "King",
    "Baker", "Harrison", "Morgan", "Allen", "James", "Scott", "Phillips", "Watson", "Davis",
    "Parker", "Price", "Bennett", "Young", "Griffiths", "Mitchell", "Kelly", "Cook", "Carter",
    "Richardson", "Bailey", "Collins", "Bell", "Shaw", "Murphy", "Miller", "Cox", "Richards",
    "Khan", "Ali", "Ahmed", "Hussain", "Begum", "Singh", "Kaur", "Sharma", "Nowak", "Kowalski",
    "Okafor", "Mensah", "Nguyen", "Chen", "Wang", "O'Brien", "O'Connor", "O'Neill", "D'Souza",
    "O'Sullivan", "Smith-Jones", "Taylor-Wood", "Lloyd-Webber", "Ap Rhys", "Müller", "Gómez",
    "Brontë", "Łukasiewicz", "MacDonald", "McKenzie", "Van der Berg", "De'Ath",
)
# Outward codes near one practice, plus a few from elsewhere (temporary residents).
LOCAL_OUTWARD = ("LS6", "LS7", "LS8", "LS16", "LS17", "LS2", "LS4", "LS5", "LS11", "LS12")
OTHER_OUTWARD = ("M14", "SW1A", "B15", "EH3", "CF10", "BS8", "NE1", "BT7")
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # letters used in the inward code of a UK postcode
# fmt: on

# (drug, dose)
REPEAT_DRUGS = (
    ("Amlodipine 5mg tablets", "One tablet once a day"),
    ("Atorvastatin 20mg tablets", "One tablet at night"),
    ("Ramipril 5mg capsules", "One capsule once a day"),
    ("Metformin 500mg tablets", "One tablet twice a day with food"),
    ("Levothyroxine sodium 50microgram tablets", "One tablet each morning"),
    ("Omeprazole 20mg gastro-resistant capsules", "One capsule once a day"),
    ("Lansoprazole 30mg gastro-resistant capsules", "One capsule once a day"),
    ("Salbutamol 100micrograms/dose inhaler", "Two puffs when required"),
    ("Clenil Modulite 100micrograms/dose inhaler", "Two puffs twice a day"),
    ("Sertraline 50mg tablets", "One tablet once a day"),
    ("Citalopram 20mg tablets", "One tablet once a day"),
    ("Bisoprolol fumarate 2.5mg tablets", "One tablet once a day"),
    ("Furosemide 40mg tablets", "One tablet each morning"),
    ("Simvastatin 40mg tablets", "One tablet at night"),
    ("Lisinopril 10mg tablets", "One tablet once a day"),
    ("Apixaban 5mg tablets", "One tablet twice a day"),
    ("Gabapentin 300mg capsules", "One capsule three times a day"),
    ("Mirtazapine 15mg tablets", "One tablet at night"),
    ("Tamsulosin 400microgram modified-release capsules", "One capsule once a day"),
    ("Losartan 50mg tablets", "One tablet once a day"),
    ("Co-codamol 30mg/500mg tablets", "One or two tablets four times a day when required"),
    ("Levetiracetam 500mg tablets", "One tablet twice a day"),
)
ACUTE_DRUGS = (
    ("Amoxicillin 500mg capsules", "One capsule three times a day for 5 days"),
    ("Flucloxacillin 500mg capsules", "One capsule four times a day for 7 days"),
    ("Nitrofurantoin 100mg modified-release capsules", "One capsule twice a day for 3 days"),
    ("Trimethoprim 200mg tablets", "One tablet twice a day for 3 days"),
    ("Doxycycline 100mg capsules", "Two capsules on day 1 then one daily"),
    ("Clarithromycin 500mg tablets", "One tablet twice a day for 5 days"),
    ("Prednisolone 5mg tablets", "Six tablets each morning for 5 days"),
    ("Naproxen 500mg tablets", "One tablet twice a day with food"),
    ("Hydrocortisone 1% cream", "Apply thinly twice a day"),
    ("Clotrimazole 1% cream", "Apply two or three times a day"),
    ("Chloramphenicol 0.5% eye drops", "One drop every two hours"),
    ("Phenoxymethylpenicillin 250mg tablets", "Two tablets four times a day"),
    ("Diazepam 2mg tablets", "One tablet three times a day when required"),
)
# fmt: off
ALLERGENS = (
    "Penicillin", "Amoxicillin", "Peanut", "Latex", "Aspirin", "Ibuprofen", "Codeine",
    "Trimethoprim", "Sulfonamide", "Elastoplast", "Shellfish", "Egg", "Clarithromycin",
)
REACTIONS = ("Rash", "Anaphylaxis", "Urticaria", "Nausea", "Angioedema", "Wheeze", "Vomiting")
# fmt: on

# Practice users, as in the demo smartcards. (sds id, name, role profiles)
DEMO_USERS: tuple[tuple[str, str, tuple[RoleProfileRow, ...]], ...] = (
    (
        "555000000001",
        "Demo Administrator",
        (RoleProfileRow("555000000011", "R0001", "System Administrator", "B0062,B0370"),),
    ),
    (
        "555000000002",
        "Dr Demo Clinician",
        (RoleProfileRow("555000000021", "R8000", "Clinical Practitioner", "B0370"),),
    ),
    (
        "555000000003",
        "Demo Two-Role User",
        (
            RoleProfileRow("555000000031", "R0001", "System Administrator", "B0062,B0370"),
            RoleProfileRow("555000000032", "R8000", "Clinical Practitioner", "B0370"),
        ),
    ),
)

# --- Traits: one per patient, with their shares -----------------------------------------------

# Each trait names the Not Required reason it leads to (None: eligible). Shares are fractions.
TRAITS: dict[str, tuple[float, eligibility.Reason | None]] = {
    "applied": (0.020, eligibility.NOT_PERMANENT),
    "temporary": (0.015, eligibility.NOT_PERMANENT),
    "deregistered": (0.005, eligibility.NOT_PERMANENT),
    "bad_check_digit": (0.015, eligibility.INVALID_NHS_NUMBER),
    "check_result_10": (0.003, eligibility.INVALID_NHS_NUMBER),
    "old_style": (0.004, eligibility.INVALID_NHS_NUMBER),
    "summary_recent": (0.010, eligibility.HAS_NATIONAL_SUMMARY),
    "summary_old": (0.020, None),  # has a summary, registered long ago: it is overwritten
    "fp69": (0.015, eligibility.FP69),
    "sensitive": (0.010, eligibility.SENSITIVE),
    "dissent": (0.020, eligibility.DISSENT),
    "unlinked": (0.015, eligibility.PDS_UNLINKED),
    "new_registration": (0.005, None),
}
NORMAL = "normal"
NEWREG_DAYS = 60  # the NEWREG group: registered in the last 60 days
FIXABLE_TRAITS = ("applied", "fp69", "unlinked")  # the CORRECTED group is drawn from these

# Consent for patients who have not dissented: (code, share); the rest have none recorded.
CONSENT_SHARES = (("9Ndl", 0.20), ("9Ndm", 0.05), ("9Ndn", 0.03))

# (lowest age, highest age, weight): roughly a UK practice list.
AGE_BANDS = ((0, 4, 6), (5, 17, 15), (18, 39, 30), (40, 64, 32), (65, 84, 14), (85, 101, 3))


@dataclass
class SeedResult:
    patients: int
    medications: int
    allergies: int
    users: int
    groups: dict[str, int]
    not_required: Counter[str] = field(default_factory=Counter)  # reason code -> patients
    seconds: float = 0.0

    def line(self, where: str) -> str:
        nr = sum(self.not_required.values())
        return (
            f"Seeded {self.patients:,} patients ({self.medications:,} medications, "
            f"{self.allergies:,} allergies), {len(self.groups)} groups and {self.users} users "
            f"into {where} in {self.seconds:.1f} s; {nr:,} will be Not Required."
        )


# --- Generation --------------------------------------------------------------------------------


class _Dates:
    """ISO strings for days before `today`, cached: the same few thousand days recur a lot."""

    def __init__(self, today: date) -> None:
        self.today = today
        self._cache: dict[int, str] = {}

    def ago(self, days: int) -> str:
        text = self._cache.get(days)
        if text is None:
            text = (self.today - timedelta(days=days)).isoformat()
            self._cache[days] = text
        return text


def _nhs_number_pools(rng: random.Random, wanted: int) -> tuple[list[str], list[str]]:
    """Distinct 9-digit prefixes in the test range: those with a check digit, and check-10s."""
    span = 1_000_000
    k = wanted + wanted // 8 + 500
    # One range while it is enough: the same seed then gives the same practice as before.
    ranges = 1 if k <= span else 2
    valid: list[str] = []
    result_10: list[str] = []
    for middle in rng.sample(range(span * ranges), min(span * ranges, k)):
        first = TEST_RANGE_PREFIX if middle < span else SECOND_RANGE_PREFIX
        prefix = f"{first}{middle % span:06d}"
        (valid if check_digit(prefix) is not None else result_10).append(prefix)
    if len(valid) < wanted:
        raise SeedError(f"cannot make {wanted:,} distinct test-range NHS numbers")
    return valid, result_10


def _postcode(rng: random.Random, local: bool) -> str:
    outward = rng.choice(LOCAL_OUTWARD if local else OTHER_OUTWARD)
    return f"{outward} {rng.randint(1, 9)}{rng.choice(INWARD_LETTERS)}{rng.choice(INWARD_LETTERS)}"


def _age_days(rng: random.Random) -> int:
    low, high, _ = rng.choices(AGE_BANDS, weights=[b[2] for b in AGE_BANDS])[0]
    return rng.randint(low * 365, high * 365 + 364)


class _Builder:
    """Turns a seed into rows. One instance per seeding; holds the running ids."""

    def __init__(self, rng: random.Random, today: date, settings: Settings, first_id: int):
        self.rng = rng
        self.dates = _Dates(today)
        self.recent_days = settings.update_existing_after_days
        self.next_id = first_id
        self.rows = PatientBatch()
        self.by_trait: dict[str, list[int]] = {}
        self.registered_days: dict[int, int] = {}

    def nhs_number(self, trait: str, valid: list[str], result_10: list[str]) -> str:
        rng = self.rng
        if trait == "old_style":
            letters = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(3))
            return f"{letters}{rng.randint(0, 9999):04d}"
        if trait == "check_result_10" and result_10:
            return result_10.pop() + str(rng.randint(0, 9))
        prefix = valid.pop()
        right = check_digit(prefix)
        if right is None:
            raise AssertionError(f"{prefix} came from the pool of valid prefixes")
        if trait in ("bad_check_digit", "check_result_10"):
            return prefix + str((right + rng.randint(1, 9)) % 10)
        return prefix + str(right)

    def registration(self, trait: str, age_days: int) -> tuple[str, int]:
        """(registration status, days since registration) for a trait."""
        rng = self.rng
        status = trait if trait in ("applied", "temporary", "deregistered") else "permanent"
        if trait == "summary_recent":
            return status, rng.randint(0, min(self.recent_days, age_days))
        if trait == "new_registration" or trait == "temporary":
            return status, rng.randint(0, min(NEWREG_DAYS, age_days))
        if trait == "applied":
            return status, rng.randint(0, min(30, age_days))
        # Everyone else joined before the NEWREG window, but after they were born.
        earliest = NEWREG_DAYS + 1
        if age_days <= earliest:
            return status, age_days
        return status, rng.randint(earliest, min(age_days, 30 * 365))

    def patient(self, trait: str, valid: list[str], result_10: list[str]) -> int:
        rng = self.rng
        pid = self.next_id
        self.next_id += 1
        gender = rng.choices(("female", "male", "other", "unknown"), (505, 490, 3, 2))[0]
        names = {"female": FEMALE_NAMES, "male": MALE_NAMES}.get(gender, FEMALE_NAMES + MALE_NAMES)
        age_days = _age_days(rng)
        status, registered = self.registration(trait, age_days)
        consent = None
        if trait == "dissent":
            consent = "9Ndo"
        else:
            roll = rng.random()
            for code, share in CONSENT_SHARES:
                if roll < share:
                    consent = code
                    break
                roll -= share
        has_summary = trait in ("summary_recent", "summary_old")
        self.rows.patients.append(
            PatientRow(
                pid,
                self.nhs_number(trait, valid, result_10),
                rng.choice(names),
                rng.choice(SURNAMES),
                self.dates.ago(age_days),
                gender,
                _postcode(rng, local=trait != "temporary"),
                status,
                self.dates.ago(registered),
                trait == "fp69",
                trait == "sensitive",
                consent,
                has_summary,
                self.dates.ago(registered) if has_summary else None,
                trait != "unlinked",
            )
        )
        self.by_trait.setdefault(trait, []).append(pid)
        self.registered_days[pid] = registered
        self.add_medications(pid, age_days)
        self.add_allergies(pid, age_days)
        return pid

    def add_medications(self, pid: int, age_days: int) -> None:
        rng = self.rng
        years = age_days // 365
        if years < 18:
            count = rng.choices((0, 1, 2), (70, 25, 5))[0]
        elif years < 40:
            count = rng.randint(0, 3)
        elif years < 65:
            count = rng.randint(1, 5)
        else:
            count = rng.randint(2, 9)
        span = min(730, age_days)  # the last two years, or since birth
        for _ in range(count):
            start = rng.randint(0, span)
            if rng.random() < 0.6:
                self.rows.medications.append(self.repeat(pid, start))
            else:
                drug, dose = rng.choice(ACUTE_DRUGS)
                day = self.dates.ago(start)
                self.rows.medications.append(
                    MedicationRow(pid, False, drug, dose, day, day, None, None)
                )

    def repeat(self, pid: int, start: int) -> MedicationRow:
        """A repeat started `start` days ago: current, overdue for review, or discontinued."""
        rng = self.rng
        drug, dose = rng.choice(REPEAT_DRUGS)
        review = start - rng.randint(90, 365)  # days ago; negative means still to come
        stopped: int | None = None
        if rng.random() < 0.15:
            stopped = rng.randint(0, start)
            issued = rng.randint(stopped, start)  # the last issue came before it was stopped
        else:
            issued = rng.randint(0, min(56, start))  # issued every month or two
        ago = self.dates.ago
        return MedicationRow(
            pid, True, drug, dose, ago(start), ago(issued), ago(review),
            None if stopped is None else ago(stopped),
        )  # fmt: skip

    def add_allergies(self, pid: int, age_days: int) -> None:
        rng = self.rng
        if rng.random() >= 0.25:
            return
        for _ in range(rng.choices((1, 2, 3), (75, 20, 5))[0]):
            kind = "allergy" if rng.random() < 0.8 else "adverse reaction"
            self.rows.allergies.append(
                AllergyRow(
                    pid,
                    rng.choice(ALLERGENS),
                    rng.choice(REACTIONS),
                    kind,
                    self.dates.ago(rng.randint(0, age_days)),
                )
            )


def _draw_traits(rng: random.Random, n: int) -> list[str]:
    """Exact counts per trait (rounded shares), shuffled, so small practices still get each."""
    traits: list[str] = []
    for name, (share, _reason) in TRAITS.items():
        count = round(n * share)
        if n >= 100:
            count = max(1, count)
        traits.extend([name] * count)
    traits = traits[:n]
    traits.extend([NORMAL] * (n - len(traits)))
    rng.shuffle(traits)
    return traits


# --- Writing -----------------------------------------------------------------------------------


# Tables emptied by --replace, children first so no foreign key is ever left dangling.
_PRACTICE_TABLES = (
    "attempt",
    "patient_upload",
    "run",
    "group_member",
    "patient_group",
    "medication",
    "allergy",
    "patient",
    "user_role_profile",
    "user",
    "practice",
)


def patient_count() -> int:
    return scalar_int("SELECT COUNT(*) FROM patient")


def clear_practice() -> None:
    """Delete every patient, user, group, run and upload outcome; reset the upload state."""
    db = database.obj
    for table in _PRACTICE_TABLES:
        db.execute_sql(f'DELETE FROM "{table}"')
    db.execute_sql(
        "UPDATE upload SET status = 'idle', status_reason = '', pass_number = 1, updated_at = NULL"
    )


def _write_users() -> int:
    """The demo users. A user already present (say, imported) is left exactly as it is: no
    demo role profile is ever added to someone else's account. Returns users added."""
    return sum(
        insert_user(sds_id, name, profiles, keep_existing=True)
        for sds_id, name, profiles in DEMO_USERS
    )


def _write_group(name: str, description: str, system: bool, patient_ids: list[int]) -> int:
    # Seeding happens only without patients, so a group of this name is empty: replace it.
    database.obj.execute_sql("DELETE FROM patient_group WHERE name = ? COLLATE NOCASE", (name,))
    return insert_group(name, description, system, patient_ids)


def _groups(builder: _Builder, rng: random.Random) -> dict[str, tuple[str, bool, list[int]]]:
    patients = builder.rows.patients
    everyone = [row.id for row in patients]
    # New permanent registrations only: applied and temporary patients are not on the list yet.
    recent = [
        row.id
        for row in patients
        if row.registration_status == "permanent" and builder.registered_days[row.id] <= NEWREG_DAYS
    ]
    fixable = [pid for trait in FIXABLE_TRAITS for pid in builder.by_trait.get(trait, [])]
    return {
        "$PAT": (
            "Patients selected in Patient Details",
            True,
            rng.sample(everyone, min(25, len(everyone))),
        ),
        "NEWREG": (f"Permanently registered in the last {NEWREG_DAYS} days", False, recent),
        "CORRECTED": (
            "Ineligible records corrected: rerun these",
            False,
            rng.sample(fixable, min(300, len(fixable))),
        ),
    }


def seed_practice(
    settings: Settings,
    patients: int,
    seed: int = 1,
    today: date | None = None,
    replace: bool = False,
    clock: Callable[[], float] = time.perf_counter,
) -> SeedResult:
    """Fill the open database with a synthetic practice of `patients` patients.

    Refuses (SeedError) when the database already holds patients, unless `replace`, which
    first deletes all practice data (patients, users, groups, runs) and the upload's state.
    Without patients, users already there are kept and the demo users added beside them.
    """
    if not 1 <= patients <= MAX_PATIENTS:
        raise SeedError(f"--patients {patients}: expected a number from 1 to {MAX_PATIENTS:,}")
    started = clock()
    today = today or date.today()
    db = database.obj
    rng = random.Random(seed)
    with db.atomic():
        existing = patient_count()
        if existing and not replace:
            raise SeedError(
                f"the database already has {existing:,} patients; add --replace to delete "
                "them (with all users, groups and upload results) and seed again, or use "
                "another --home"
            )
        if replace:
            clear_practice()
        builder = _Builder(rng, today, settings, first_id=1)
        valid, result_10 = _nhs_number_pools(rng, patients)
        for trait in _draw_traits(rng, patients):
            builder.patient(trait, valid, result_10)
        write_practice_row(settings, replace=True)
        medications, allergies = len(builder.rows.medications), len(builder.rows.allergies)
        groups_drawn = _groups(builder, rng)
        builder.rows.flush()
        users = _write_users()
        groups = {
            name: _write_group(name, description, system, members)
            for name, (description, system, members) in groups_drawn.items()
        }
    not_required: Counter[str] = Counter()
    for trait, pids in builder.by_trait.items():
        reason = TRAITS.get(trait, (0.0, None))[1]
        if reason is not None:
            not_required[reason.code] += len(pids)
    return SeedResult(
        patients=patients,
        medications=medications,
        allergies=allergies,
        users=users,
        groups=groups,
        not_required=not_required,
        seconds=clock() - started,
    )
