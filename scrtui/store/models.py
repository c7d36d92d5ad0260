"""peewee models: the practice, its users, patients, groups and the upload's state."""

from __future__ import annotations

from collections.abc import Sequence

from peewee import (
    SQL,
    AutoField,
    BooleanField,
    CharField,
    DatabaseProxy,
    DateField,
    DateTimeField,
    FloatField,
    ForeignKeyField,
    IntegerField,
    Model,
    Node,
    TextField,
)

database = DatabaseProxy()
# Rows written before the uploads had kinds (and raw inserts that name none) are the Initial
# Upload's: the column default says so in SQL too, as the migration's does.
_INITIAL_DEFAULT: list[Node] = [SQL("DEFAULT 'initial'")]


def scalar_int(sql: str, params: Sequence[object] = ()) -> int:
    """The single integer a COUNT/MAX query returns (raw SQL: the hot paths avoid peewee)."""
    value = database.obj.execute_sql(sql, params).fetchone()[0]
    return int(value or 0)


class Base(Model):
    class Meta:
        database = database
        legacy_table_names = False


class SchemaInfo(Base):
    version = IntegerField()


class Practice(Base):
    ods_code = CharField()
    name = CharField()


class User(Base):
    sds_user_id = CharField(unique=True)
    name = CharField()


class UserRoleProfile(Base):
    id = AutoField()  # peewee adds it anyway; declared so the type checker knows it
    user = ForeignKeyField(User, backref="role_profiles", on_delete="CASCADE")
    role_profile_id = CharField(unique=True)
    job_role_code = CharField()
    job_role_name = CharField()
    activities = CharField()  # comma-separated B-codes


class Patient(Base):
    id = AutoField()  # peewee adds it anyway; declared so the type checker knows it
    nhs_number = CharField(index=True)
    forename = CharField()
    surname = CharField(index=True)
    date_of_birth = DateField()
    gender = CharField()
    postcode = CharField()
    registration_status = CharField()
    registration_date = DateField()
    fp69 = BooleanField(default=False)
    sensitive = BooleanField(default=False)
    consent_code = CharField(null=True)
    national_summary = BooleanField(default=False)
    national_summary_date = DateField(null=True)
    pds_linked = BooleanField(default=True)


class Medication(Base):
    patient = ForeignKeyField(Patient, backref="medications", on_delete="CASCADE", index=True)
    repeat = BooleanField()
    drug = CharField()
    dose = CharField()
    start = DateField()
    last_issue = DateField(null=True)
    review_date = DateField(null=True)
    discontinued = DateField(null=True)


class Allergy(Base):
    patient = ForeignKeyField(Patient, backref="allergies", on_delete="CASCADE", index=True)
    substance = CharField()
    reaction = CharField()
    kind = CharField(default="allergy")
    recorded = DateField()


class PatientGroup(Base):
    name = CharField(max_length=10, unique=True)
    description = CharField(max_length=56, default="")
    system = BooleanField(default=False)


class GroupMember(Base):
    group = ForeignKeyField(PatientGroup, backref="members", on_delete="CASCADE")
    patient = ForeignKeyField(Patient, on_delete="CASCADE")

    class Meta:
        indexes = ((("group", "patient"), True),)


class Upload(Base):
    id = AutoField()  # peewee adds it anyway; declared so the type checker knows it
    """One row per bulk upload (scrtui/domain/uploads.py): its status survives restarts."""

    kind = CharField(default="initial", unique=True, constraints=_INITIAL_DEFAULT)
    status = CharField(default="idle")
    status_reason = CharField(default="")
    pass_number = IntegerField(default=1)
    updated_at = DateTimeField(null=True)


class Run(Base):
    id = AutoField()  # peewee adds it anyway; declared so the type checker knows it
    started_by = CharField()  # SDS user id
    user_name = CharField()
    role_profile_id = CharField()
    job_role = CharField()
    mode = CharField()
    group_name = CharField(null=True)
    start_at = DateTimeField(null=True)
    stop_at = CharField(null=True)  # hh:mm
    resume_at = CharField(null=True)  # hh:mm
    correlation_id = CharField()
    created_at = DateTimeField()
    started_at = DateTimeField(null=True)
    ended_at = DateTimeField(null=True)
    outcome = CharField(null=True)
    outcome_reason = CharField(null=True)
    upload = CharField(
        default="initial", constraints=_INITIAL_DEFAULT
    )  # which bulk upload (scrtui/domain/uploads.py)
    upload_date = DateField(null=True)  # the date entered in the upload window, if it asks


class PatientUpload(Base):
    """One row per patient and bulk upload: the patient's current bucket in that upload."""

    upload = CharField(default="initial", constraints=_INITIAL_DEFAULT)
    patient = ForeignKeyField(Patient, on_delete="CASCADE")
    bucket = CharField(index=True, default="unprocessed")
    reason_code = CharField(null=True)
    reason_text = CharField(null=True)
    message_id = CharField(null=True)
    sent_message_id = CharField(null=True)  # the last accepted summary, for replacementOf
    pass_number = IntegerField(default=0)  # the pass in which this patient was last decided
    attempts = IntegerField(default=0)
    last_error = TextField(null=True)
    last_attempt_at = DateTimeField(null=True)
    sent_at = DateTimeField(null=True)
    run = ForeignKeyField(Run, null=True, on_delete="SET NULL")

    class Meta:
        # The engine streams a run's work in patient order: without this index every batch
        # sorted the whole run (2.8 ms a batch at 20,000 patients).
        indexes = ((("upload", "patient"), True), (("run", "patient"), False))


class Attempt(Base):
    patient = ForeignKeyField(Patient, on_delete="CASCADE", index=True)
    run = ForeignKeyField(Run, null=True, on_delete="SET NULL")
    message_id = CharField()
    at = DateTimeField()
    http_status = IntegerField(null=True)
    ack_code = CharField(null=True)
    latency_ms = FloatField(null=True)
    error = TextField(null=True)


class ConsentChange(Base):
    """Consent Migration's audit: one row per local consent code it changed."""

    patient = ForeignKeyField(Patient, on_delete="CASCADE", index=True)
    run = ForeignKeyField(Run, null=True, on_delete="SET NULL")
    before = CharField(null=True)
    after = CharField()
    user_id = CharField()  # SDS user id
    user_name = CharField()
    role_profile_id = CharField()
    at = DateTimeField()


class AwaitingAck(Base):
    """Asynchronous mode: a message the MHS adaptor took (202) whose acknowledgement is to come
    from its inbound queue. Kept after the answer, so a redelivered answer is known as ours."""

    message_id = CharField(primary_key=True)
    patient = ForeignKeyField(Patient, on_delete="CASCADE", index=True)
    sent_at = DateTimeField()


class RunEvent(Base):
    """What the completion report needs of a run beyond its row: each status it went through
    (when it paused, and why) and samples of its progress (the sending rate over the run)."""

    id = AutoField()  # peewee adds it anyway; declared so the type checker knows it
    run = ForeignKeyField(Run, on_delete="CASCADE", index=True)
    at = DateTimeField()
    kind = CharField()  # "status" or "sample"
    status = CharField(default="")
    reason = CharField(default="")
    checked = IntegerField(default=0)  # patients decided so far in this run
    messages = IntegerField(default=0)  # messages handed to the MHS so far in this run


ALL_MODELS: tuple[type[Base], ...] = (
    SchemaInfo,
    Practice,
    User,
    UserRoleProfile,
    Patient,
    Medication,
    Allergy,
    PatientGroup,
    GroupMember,
    Upload,
    Run,
    PatientUpload,
    Attempt,
    ConsentChange,
    AwaitingAck,
    RunEvent,
)
