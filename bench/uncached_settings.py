"""The project's settings with a dummy cache: every request reads and computes its page
(bench_outcomes.py measures the outcomes report without its cache)."""

from clinic.settings import *  # noqa: F403

CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
