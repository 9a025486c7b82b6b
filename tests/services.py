"""Real processes for tests: Redis, a Celery worker, an SMTP server on loopback.

In CI (CI=true) a service that cannot be reached fails the test run; it never skips.
"""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import redis
from aiosmtpd.controller import Controller
from django.db import connection

from clinic.embedded_redis import EmbeddedRedis, free_port

__all__ = ["free_port"]

BASE_DIR = Path(__file__).resolve().parent.parent


def redis_is_up(url: str) -> bool:
    client = redis.Redis.from_url(url, socket_connect_timeout=1)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


def test_database_url() -> str:
    """The URL of the database pytest-django created, for processes outside this one."""
    config = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{config['NAME']}"
    user = config.get("USER") or ""
    password = f":{config['PASSWORD']}" if config.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    port = f":{config['PORT']}" if config.get("PORT") else ""
    return f"postgres://{auth}{config.get('HOST') or '127.0.0.1'}{port}/{config['NAME']}"


def child_env(*, redis_url: str, queue: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=test_database_url(),
        REDIS_URL=redis_url,
        CELERY_QUEUE=queue,
        DJANGO_SETTINGS_MODULE="clinic.settings",
        **extra,
    )
    return env


class CeleryProcess:
    """A `celery -A clinic …` command as a separate OS process in its own session, logging to
    a file under var/; `start()` returns once the log shows it is ready."""

    name = "celery"
    ready_marker = b""

    def __init__(self, *, redis_url: str, queue: str, **extra_env: str):
        self.env = child_env(redis_url=redis_url, queue=queue, **extra_env)
        self.queue = queue
        self.process: subprocess.Popen | None = None
        self.log_path = BASE_DIR / "var" / f"{self.name}-{queue}-{free_port()}.log"

    def arguments(self) -> list[str]:
        raise NotImplementedError

    def start(self, timeout: float = 30):
        self.log_path.parent.mkdir(exist_ok=True)
        self.log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "clinic", *self.arguments()],
            cwd=BASE_DIR, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while self.ready_marker not in self.log_path.read_bytes():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"Celery {self.name} did not start:\n{self.output()}")
            time.sleep(0.1)
        return self

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL the main process and its pool children (it has its own session)."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if hasattr(self, "log"):
            self.log.close()


class CeleryWorker(CeleryProcess):
    """`celery -A clinic worker`, like production."""

    name = "worker"
    ready_marker = b"ready."

    def __init__(self, *, redis_url: str, queue: str, concurrency: int = 1, **extra_env: str):
        super().__init__(redis_url=redis_url, queue=queue, **extra_env)
        self.concurrency = concurrency

    def arguments(self) -> list[str]:
        hostname = f"test-{self.queue}-{os.getpid()}-{time.monotonic_ns()}@localhost"
        return [
            "worker", "--loglevel", "INFO", "--concurrency", str(self.concurrency),
            "--pool", "prefork", "--hostname", hostname, "--without-gossip", "--without-mingle",
        ]  # fmt: skip


class CeleryBeat(CeleryProcess):
    """`celery -A clinic beat`, with its own schedule file."""

    name = "beat"
    ready_marker = b"beat: Starting"

    def __init__(self, *, redis_url: str, queue: str, **extra_env: str):
        super().__init__(redis_url=redis_url, queue=queue, **extra_env)
        self.schedule_path = self.log_path.with_suffix(".schedule")

    def arguments(self) -> list[str]:
        return [
            "beat", "--loglevel", "INFO", "--schedule", str(self.schedule_path),
            "--max-interval", "1", "--pidfile=",
        ]  # fmt: skip

    def stop(self) -> None:
        super().stop()
        for path in self.schedule_path.parent.glob(self.schedule_path.name + "*"):
            path.unlink(missing_ok=True)


class RecordingHandler:
    def __init__(self):
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server() -> Iterator[tuple[Controller, RecordingHandler]]:
    """A real SMTP server on loopback that keeps what it receives, parsed."""
    handler = RecordingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, handler
    finally:
        controller.stop()


def production_env(**overrides: str) -> dict[str, str]:
    """The environment of the Makefile's check-deploy target, and nothing of this test run's
    own (the browser fixture sets DJANGO_ALLOW_ASYNC_UNSAFE, which check --deploy rejects)."""
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
    env.update(
        DEPLOYMENT="production",
        SECRET_KEY="check-deploy-1732480000-a-long-random-enough-secret-value",
        ALLOWED_HOSTS="clinic.example.org",
        EMAIL_HOST="smtp.example.org",
        DJANGO_SETTINGS_MODULE="clinic.settings",
        **overrides,
    )
    return env


def wait_until(condition, *, timeout: float = 20, interval: float = 0.1, message=""):
    """`condition()` once it is true; else fail with `message` (a callable is called then, so
    that it shows the state at the failure, not when the wait began)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError((message() if callable(message) else message) or "condition not met")


def start_test_redis() -> EmbeddedRedis:
    return EmbeddedRedis(workdir=BASE_DIR / "var").start()
