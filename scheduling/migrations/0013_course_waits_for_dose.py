"""Course.waits_for_dose: written by every re-plan from the plan itself.

The umbilical-cord courses planned before it existed are marked for a re-plan, which the beat's
sweeper (services/replans.py) finishes within minutes; until then they are listed as the old
query listed them (fewer doses used than infusions planned, none reserved).
"""

from django.db import migrations, models
from django.db.models import Count, Exists, F, OuterRef, Q
from django.utils import timezone

OPEN = ("planning", "active")


def mark(apps, schema_editor):
    Course = apps.get_model("scheduling", "Course")
    DoseAllocation = apps.get_model("scheduling", "DoseAllocation")
    uc = Course.objects.filter(source="umbilical-cord", status__in=OPEN)
    reserved = DoseAllocation.objects.filter(course=OuterRef("pk"), status="reserved")
    waiting = (
        uc.annotate(used=Count("dose_allocations", filter=Q(dose_allocations__status="used")))
        .filter(used__lt=F("planned_infusions"))
        .exclude(Exists(reserved))
        .values("pk")
    )
    Course.objects.filter(pk__in=waiting).update(waits_for_dose=True)
    uc.filter(replan_requested_at=None).update(replan_requested_at=timezone.now())


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0012_reminder_no_claim_token_index")]

    operations = [
        migrations.AddField(
            model_name="course",
            name="waits_for_dose",
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(mark, migrations.RunPython.noop),
    ]
