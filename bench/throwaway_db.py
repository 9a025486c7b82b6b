"""A benchmark's database: DATABASE_URL when set, else a throw-away SQLite file in var/.

Imported before ``django.setup()``; ``remove()`` deletes the file (and its WAL) afterwards.
"""

import os
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


class ThrowawayDatabase:
    def __init__(self, name: str) -> None:
        self.own = "DATABASE_URL" not in os.environ
        self.file = BASE_DIR / "var" / f"bench-{name}-{os.getpid()}.sqlite3"
        if self.own:
            self.file.parent.mkdir(exist_ok=True)
            os.environ["DATABASE_URL"] = f"sqlite:///{self.file}"
        sys.path.insert(0, str(BASE_DIR))
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")
        os.environ["DEBUG"] = "False"

    def remove(self) -> None:
        if self.own:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.file}{suffix}").unlink(missing_ok=True)
