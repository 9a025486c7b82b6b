"""The workspace's clinic, rooms, staff and planned course (tests/workspace/conftest.py)."""

from tests.workspace.conftest import (  # noqa: F401 (fixtures)
    clinic,
    coordinator,
    physician,
    planned_course,
    rooms,
)
