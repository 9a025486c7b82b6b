"""The workspace's clinic, rooms, physician and planned course (tests/workspace/conftest.py)."""

from tests.workspace.conftest import (  # noqa: F401 (fixtures)
    clinic,
    physician,
    planned_course,
    rooms,
)
