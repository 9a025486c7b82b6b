"""Fill the decided response of the courses planned before it was stored (0009)."""

from django.db import migrations


def fill(apps, schema_editor):
    from scheduling.services.course_responses import course_responses_fill

    course_responses_fill(apps=apps)


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0009_course_response")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
