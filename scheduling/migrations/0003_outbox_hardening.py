# Welcome and "your dates changed" rows: a database key without NULLs (issue 13, point 7).

from django.db import migrations, models


def number_existing_notices(apps, schema_editor):
    """Rows written before the key: each patient's notices of one kind numbered 0, 1, 2, … in
    the order written (a welcome keeps 0; a second copy already there is kept, as history)."""
    Reminder = apps.get_model("scheduling", "Reminder")
    notices = Reminder.objects.filter(
        appointment__isnull=True, expected_on__isnull=True, kind__in=["welcome", "plan-changed"]
    ).order_by("patient_id", "kind", "pk")
    counts = {}
    for row in notices.only("pk", "patient_id", "kind").iterator():
        key = (row.patient_id, row.kind)
        number = counts.get(key, 0 if row.kind == "welcome" else 1)
        counts[key] = number + 1
        Reminder.objects.filter(pk=row.pk).update(sequence=number)


class Migration(migrations.Migration):

    dependencies = [
        ('scheduling', '0003_plan_and_bookings'),
    ]

    operations = [
        migrations.RunPython(number_existing_notices, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='reminder',
            constraint=models.UniqueConstraint(condition=models.Q(('appointment__isnull', True), ('expected_on__isnull', True)), fields=('patient', 'kind', 'sequence'), name='reminder_once_per_patient_notice'),
        ),
    ]
