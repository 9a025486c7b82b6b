"""`manage.py check --deploy` is clean with production settings: any warning fails (as in CI)."""

import os
import subprocess
import sys
from pathlib import Path

from tests.services import production_env

ROOT = Path(__file__).resolve().parents[2]


def test_check_deploy_has_no_warning_with_production_settings():
    env = production_env()
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
    env.update(DEPLOYMENT="production", ALLOWED_HOSTS="clinic.example.org", EMAIL_HOST="x")
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
