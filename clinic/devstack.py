"""`make run`: the whole app on one machine — web server, Celery worker and beat.

Starts an embedded Redis when REDIS_URL is unset (and stops it on exit); SQLite is the
default database. Ctrl-C stops every child process.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from clinic.embedded_redis import EmbeddedRedis

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))
PYTHON = sys.executable
DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - demo logins, printed on purpose


def site_url(env: dict, host: str, port: str) -> str:
    """SITE_URL when set, else the address the web server is started on."""
    if env.get("SITE_URL"):
        return env["SITE_URL"].rstrip("/")
    if host in ("0.0.0.0", "::", ""):  # noqa: S104 - listening everywhere: name this machine
        host = "127.0.0.1"
    return f"http://{host}:{port}"


def manage(*args: str, env: dict) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=BASE_DIR, env=env, check=True)  # noqa: S603


def start(name: str, command: list[str], env: dict) -> subprocess.Popen:
    print(f"starting {name}: {' '.join(command)}", flush=True)
    # Own process group, so that a Ctrl-C reaches only us and we stop children in order.
    return subprocess.Popen(command, cwd=BASE_DIR, env=env, start_new_session=True)  # noqa: S603


def stop_all(children: dict[str, subprocess.Popen]) -> None:
    for process in children.values():
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    for name, process in children.items():
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            print(f"{name} did not stop in time; killing it", flush=True)
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def main() -> int:
    env = dict(os.environ)
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    embedded = None
    if not env.get("REDIS_URL"):
        embedded = EmbeddedRedis(workdir=VAR_DIR).start()
        env["REDIS_URL"] = embedded.url
        print(f"REDIS_URL not set: started an embedded Redis at {embedded.url}", flush=True)

    host = env.get("HOST", "127.0.0.1")
    port = env.get("PORT", "8000")
    # Links in emails (rendered by the Celery worker) and the sign-in address printed below
    # name the address the web server listens on, unless SITE_URL says otherwise.
    env["SITE_URL"] = site_url(env, host, port)
    children: dict[str, subprocess.Popen] = {}
    stopping = False

    def request_stop(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        manage("migrate", "--noinput", env=env)
        manage("collectstatic", "--noinput", "--verbosity", "0", env=env)
        manage("load_demo", "--password", DEMO_PASSWORD, env=env)
        bin_dir = Path(PYTHON).parent
        children["web"] = start(
            "web",
            [str(bin_dir / "gunicorn"), "clinic.wsgi", "--bind", f"{host}:{port}",
             "--workers", "2", "--access-logfile", "-"],
            env,
        )  # fmt: skip
        children["worker"] = start(
            "worker",
            [str(bin_dir / "celery"), "-A", "clinic", "worker", "--loglevel", "INFO",
             "--concurrency", "2", "--hostname", "worker@%h"],
            env,
        )  # fmt: skip
        children["beat"] = start(
            "beat",
            [str(bin_dir / "celery"), "-A", "clinic", "beat", "--loglevel", "INFO",
             "--schedule", str(VAR_DIR / "celerybeat-schedule")],
            env,
        )  # fmt: skip
        print(
            f"\nEndoplan is running at {env['SITE_URL']}/\n"
            f"Sign in at {env['SITE_URL']}/login/ (clinic: Demo Fertility Clinic)\n"
            f"Demo logins (password {DEMO_PASSWORD}):\n"
            "  coordinator  — coordinator: calendar, bookings, today's work\n"
            "  physician    — physician: procedure lists, thickness results\n"
            "  physician2   — a second physician\n"
            "  lab          — lab staff: cell batches\n"
            "  clinicadmin  — clinic admin: rooms, staff, opening days, protocol\n"
            "Press Ctrl-C to stop everything.\n",
            flush=True,
        )
        while not stopping:
            for name, process in children.items():
                if process.poll() is not None:
                    print(f"{name} exited with status {process.returncode}; stopping", flush=True)
                    stopping = True
            time.sleep(0.5)
    finally:
        stop_all(children)
        if embedded:
            embedded.stop()
        print("stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
