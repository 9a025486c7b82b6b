"""Double booking impossible in the database on PostgreSQL.

Exclusion constraints (btree_gist) over the time ranges of booked and confirmed visits: no two
share a room, a clinician or the patient. SQLite keeps the transactional check the services
make under the clinic's lock (services/appointments.py); there these statements do nothing.
"""

from django.db import migrations

CONSTRAINTS = {
    "appointment_no_room_overlap": "room_id",
    "appointment_no_clinician_overlap": "clinician_id",
    "appointment_no_patient_overlap": "patient_id",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    for name, column in CONSTRAINTS.items():
        schema_editor.execute(
            f"ALTER TABLE scheduling_appointment ADD CONSTRAINT {name} EXCLUDE USING gist "
            f"({column} WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&) "
            f"WHERE (status IN ('booked', 'confirmed') AND {column} IS NOT NULL)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in CONSTRAINTS:
        schema_editor.execute(f"ALTER TABLE scheduling_appointment DROP CONSTRAINT {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0003_outbox_hardening"),
    ]

    operations = [migrations.RunPython(create, drop)]
