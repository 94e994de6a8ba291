"""Patient services: cases and their versions, self-check records, second opinions and their
files, callback requests, health packages and package bookings, follow-up visits and scores.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "health_packages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("price_minor_units", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_health_packages")),
        sa.UniqueConstraint("code", name=op.f("uq_health_packages_code")),
    )
    op.create_table(
        "callback_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("preferred_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("preferred_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("urgency", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("owner_user_id", sa.Integer(), nullable=True),
        sa.Column("patient_user_id", sa.Integer(), nullable=True),
        sa.Column("client_key", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_user_id"],
            ["users.id"],
            name=op.f("fk_callback_requests_owner_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["patient_user_id"],
            ["users.id"],
            name=op.f("fk_callback_requests_patient_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callback_requests")),
    )
    with op.batch_alter_table("callback_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_callback_requests_client_key"), ["client_key"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_callback_requests_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_callback_requests_due_at"), ["due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_callback_requests_phone"), ["phone"], unique=False)
        batch_op.create_index(batch_op.f("ix_callback_requests_status"), ["status"], unique=False)

    op.create_table(
        "clinical_cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("latest_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"],
            ["users.id"],
            name=op.f("fk_clinical_cases_created_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["users.id"],
            name=op.f("fk_clinical_cases_patient_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clinical_cases")),
    )
    with op.batch_alter_table("clinical_cases", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_clinical_cases_patient_id"), ["patient_id"], unique=False
        )

    op.create_table(
        "health_package_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("package_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("appointment_type_code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("min_gap_minutes", sa.Integer(), nullable=False),
        sa.Column("max_days_after_previous", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["package_id"],
            ["health_packages.id"],
            name=op.f("fk_health_package_items_package_id_health_packages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_health_package_items")),
        sa.UniqueConstraint("package_id", "position", name="uq_health_package_items_position"),
    )
    with op.batch_alter_table("health_package_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_health_package_items_package_id"), ["package_id"], unique=False
        )

    op.create_table(
        "package_bookings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("package_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("booked_by_user_id", sa.Integer(), nullable=True),
        sa.Column("price_minor_units", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["booked_by_user_id"],
            ["users.id"],
            name=op.f("fk_package_bookings_booked_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["package_id"],
            ["health_packages.id"],
            name=op.f("fk_package_bookings_package_id_health_packages"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["users.id"],
            name=op.f("fk_package_bookings_patient_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_package_bookings")),
    )
    with op.batch_alter_table("package_bookings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_package_bookings_package_id"), ["package_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_package_bookings_patient_id"), ["patient_id"], unique=False
        )

    op.create_table(
        "second_opinion_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reviewer_user_id", sa.Integer(), nullable=True),
        sa.Column("opinion", sa.Text(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["users.id"],
            name=op.f("fk_second_opinion_requests_patient_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_user_id"],
            ["users.id"],
            name=op.f("fk_second_opinion_requests_reviewer_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_second_opinion_requests")),
    )
    with op.batch_alter_table("second_opinion_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_second_opinion_requests_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_second_opinion_requests_patient_id"), ["patient_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_second_opinion_requests_status"), ["status"], unique=False
        )

    op.create_table(
        "triage_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("urgency", sa.String(length=20), nullable=False),
        sa.Column("specialty", sa.String(length=40), nullable=True),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("kb_version", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["users.id"],
            name=op.f("fk_triage_records_patient_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_triage_records")),
    )
    with op.batch_alter_table("triage_records", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_triage_records_patient_id"), ["patient_id"], unique=False
        )

    op.create_table(
        "case_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("case_data", sa.JSON(), nullable=False),
        sa.Column("assessment", sa.JSON(), nullable=False),
        sa.Column("kb_version", sa.String(length=80), nullable=False),
        sa.Column("leading_localization", sa.String(length=120), nullable=False),
        sa.Column("leading_cause", sa.String(length=120), nullable=False),
        sa.Column("urgency", sa.String(length=20), nullable=False),
        sa.Column("note_for_patient", sa.Text(), nullable=False),
        sa.Column("author_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_user_id"],
            ["users.id"],
            name=op.f("fk_case_versions_author_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["clinical_cases.id"],
            name=op.f("fk_case_versions_case_id_clinical_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_versions")),
        sa.UniqueConstraint("case_id", "number", name="uq_case_versions_case_number"),
    )
    with op.batch_alter_table("case_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_versions_case_id"), ["case_id"], unique=False)

    op.create_table(
        "followup_visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["clinical_cases.id"],
            name=op.f("fk_followup_visits_case_id_clinical_cases"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["users.id"],
            name=op.f("fk_followup_visits_patient_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_user_id"],
            ["users.id"],
            name=op.f("fk_followup_visits_recorded_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_followup_visits")),
    )
    with op.batch_alter_table("followup_visits", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_followup_visits_patient_id"), ["patient_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_followup_visits_seen_at"), ["seen_at"], unique=False)

    op.create_table(
        "second_opinion_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("stored_name", sa.String(length=64), nullable=False),
        sa.Column("original_name", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=60), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["second_opinion_requests.id"],
            name=op.f("fk_second_opinion_files_request_id_second_opinion_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_second_opinion_files")),
        sa.UniqueConstraint("stored_name", name=op.f("uq_second_opinion_files_stored_name")),
    )
    with op.batch_alter_table("second_opinion_files", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_second_opinion_files_request_id"), ["request_id"], unique=False
        )

    op.create_table(
        "outcome_scores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("scale_id", sa.String(length=80), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("item_grades", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["followup_visits.id"],
            name=op.f("fk_outcome_scores_visit_id_followup_visits"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcome_scores")),
        sa.UniqueConstraint("visit_id", "scale_id", name="uq_outcome_scores_scale"),
    )
    with op.batch_alter_table("outcome_scores", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outcome_scores_visit_id"), ["visit_id"], unique=False)

    op.create_table(
        "package_booking_appointments",
        sa.Column("package_booking_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointments.id"],
            name=op.f("fk_package_booking_appointments_appointment_id_appointments"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["package_booking_id"],
            ["package_bookings.id"],
            name=op.f("fk_package_booking_appointments_package_booking_id_package_bookings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "package_booking_id", "position", name=op.f("pk_package_booking_appointments")
        ),
        sa.UniqueConstraint(
            "appointment_id", name=op.f("uq_package_booking_appointments_appointment_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("package_booking_appointments")
    with op.batch_alter_table("outcome_scores", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outcome_scores_visit_id"))

    op.drop_table("outcome_scores")
    with op.batch_alter_table("second_opinion_files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_second_opinion_files_request_id"))

    op.drop_table("second_opinion_files")
    with op.batch_alter_table("followup_visits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_followup_visits_seen_at"))
        batch_op.drop_index(batch_op.f("ix_followup_visits_patient_id"))

    op.drop_table("followup_visits")
    with op.batch_alter_table("case_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_versions_case_id"))

    op.drop_table("case_versions")
    with op.batch_alter_table("triage_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_triage_records_patient_id"))

    op.drop_table("triage_records")
    with op.batch_alter_table("second_opinion_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_second_opinion_requests_status"))
        batch_op.drop_index(batch_op.f("ix_second_opinion_requests_patient_id"))
        batch_op.drop_index(batch_op.f("ix_second_opinion_requests_created_at"))

    op.drop_table("second_opinion_requests")
    with op.batch_alter_table("package_bookings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_package_bookings_patient_id"))
        batch_op.drop_index(batch_op.f("ix_package_bookings_package_id"))

    op.drop_table("package_bookings")
    with op.batch_alter_table("health_package_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_health_package_items_package_id"))

    op.drop_table("health_package_items")
    with op.batch_alter_table("clinical_cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clinical_cases_patient_id"))

    op.drop_table("clinical_cases")
    with op.batch_alter_table("callback_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_callback_requests_status"))
        batch_op.drop_index(batch_op.f("ix_callback_requests_phone"))
        batch_op.drop_index(batch_op.f("ix_callback_requests_due_at"))
        batch_op.drop_index(batch_op.f("ix_callback_requests_created_at"))
        batch_op.drop_index(batch_op.f("ix_callback_requests_client_key"))

    op.drop_table("callback_requests")
    op.drop_table("health_packages")
