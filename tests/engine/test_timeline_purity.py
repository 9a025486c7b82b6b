"""The clinical rules stay pure Python: importing and using them loads no Django."""

import subprocess
import sys

PROBE = """
import datetime, sys
from scheduling import timeline
course = timeline.CourseInput(
    source=timeline.Source.ADIPOSE, route=timeline.Route.INTRAUTERINE, planned_infusions=1,
    not_before=datetime.date(2026, 1, 5), period_starts=(datetime.date(2026, 1, 1),),
)
assert timeline.plan(course).steps
print(sorted(name for name in sys.modules if name.split(".")[0] == "django"))
"""


def test_timeline_imports_no_django():
    result = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
