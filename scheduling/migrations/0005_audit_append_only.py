"""The audit trail is append-only in the database on PostgreSQL.

A trigger refuses every UPDATE and DELETE of scheduling_auditevent, whoever sends it (raw SQL, a
database console, another application). One update is let through: setting `actor_id` to NULL
and nothing else, which is how Django keeps an event when the staff account it names is
deleted (`on_delete=SET_NULL`; `actor_label` still says who it was). TRUNCATE is left alone:
the test runner empties tables with it between transactional tests.

The application refuses both as well, on any database (models/audit.py). On SQLite these
statements do nothing.
"""

from django.db import migrations

FUNCTION = "scheduling_auditevent_append_only"
TRIGGER = "scheduling_auditevent_append_only"

CREATE = f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.actor_id IS NOT NULL AND NEW.actor_id IS NULL
       AND to_jsonb(NEW) - 'actor_id' = to_jsonb(OLD) - 'actor_id' THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit events are append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER {TRIGGER} BEFORE UPDATE OR DELETE ON scheduling_auditevent
    FOR EACH ROW EXECUTE FUNCTION {FUNCTION}();
"""

DROP = f"""
DROP TRIGGER IF EXISTS {TRIGGER} ON scheduling_auditevent;
DROP FUNCTION IF EXISTS {FUNCTION}();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(CREATE, params=None)  # no parameters: its % is plpgsql's


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0004_booking_exclusion"),
    ]

    operations = [migrations.RunPython(create, drop)]
