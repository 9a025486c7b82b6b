"""Endoplan settings, read from the environment (see README.md, "Settings").

DEPLOYMENT=development (the default) is for a laptop: DEBUG on, a fixed insecure key, SQLite.
DEPLOYMENT=production refuses to start without SECRET_KEY and ALLOWED_HOSTS and turns on
HTTPS-only cookies, HSTS and the SSL redirect.
"""

import os
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dj_database_url
from csp.constants import NONCE

from clinic.env import ConfigurationError, env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

DEPLOYMENT = env_str("DEPLOYMENT", "development")
if DEPLOYMENT not in ("development", "production"):
    raise ConfigurationError(f"DEPLOYMENT must be development or production, not {DEPLOYMENT!r}")
PRODUCTION = DEPLOYMENT == "production"

# https://docs.djangoproject.com/en/5.2/ref/settings/#debug
DEBUG = env_bool("DEBUG", default=not PRODUCTION)
if PRODUCTION and DEBUG:
    raise ConfigurationError("DEBUG must be False when DEPLOYMENT=production")

# https://docs.djangoproject.com/en/5.2/ref/settings/#secret-key
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if PRODUCTION:
        raise ConfigurationError("SECRET_KEY (or SECRET_KEY_FILE) is required in production")
    SECRET_KEY = "development-only-insecure-key-never-use-in-production"  # noqa: S105

# https://docs.djangoproject.com/en/5.2/ref/settings/#allowed-hosts
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["localhost", "127.0.0.1"])
if PRODUCTION and (not ALLOWED_HOSTS or "*" in ALLOWED_HOSTS):
    raise ConfigurationError("ALLOWED_HOSTS must name the site's hosts in production")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# The public address used in links inside emails (no trailing slash).
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "scheduling.admin_site.SuperuserAdminConfig",  # django.contrib.admin, superusers only
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "csp",
    "scheduling",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "scheduling.security.ControlCharacterMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "scheduling.security.SessionTimeoutMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "scheduling.middleware.ClinicMiddleware",
    "scheduling.security.TwoFactorMiddleware",
    "scheduling.audit.AuditActorMiddleware",
    "scheduling.security.NoStoreMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a lockout into the locked-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "clinic.urls"
WSGI_APPLICATION = "clinic.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# https://github.com/jazzband/dj-database-url
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'endoplan.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)  # a fresh clone has no var/ yet
    # WAL lets the web server and the Celery worker read while the other writes; IMMEDIATE
    # takes the write lock at BEGIN so two writers queue instead of failing mid-transaction.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # A file, not :memory:, so that a Celery worker process in the tests sees the same data;
    # one per test run, so that runs side by side never share one.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "scheduling.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "today"
LOGOUT_REDIRECT_URL = "login"
# https://django-axes.readthedocs.io/en/latest/4_configuration.html
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# https://docs.djangoproject.com/en/5.2/topics/auth/passwords/#using-argon2-with-django
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
# Five wrong passwords for one username from one address lock that pair out for 30 minutes.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env_int("LOGIN_LOCKOUT_MINUTES", 30, minimum=1) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Counted from the lockout: more tries while locked do not extend it.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# Behind a reverse proxy every request comes from the proxy's address: with N trusted proxies
# that each append to X-Forwarded-For, the client is the N-th entry from the right (0: no
# proxy, REMOTE_ADDR is the client). The lockout and the audit log read the one answer,
# scheduling.security.client_address.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)
AXES_CLIENT_IP_CALLABLE = "scheduling.security.client_address"
# Sign-out after this long without a request, and this long after sign-in in any case
# (scheduling.security.SessionTimeoutMiddleware).
SESSION_IDLE_TIMEOUT_SECONDS = env_int("SESSION_IDLE_TIMEOUT_SECONDS", 30 * 60, minimum=60)
SESSION_ABSOLUTE_TIMEOUT_SECONDS = env_int(
    "SESSION_ABSOLUTE_TIMEOUT_SECONDS", 12 * 3600, minimum=60
)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT_SECONDS
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# https://django-otp-official.readthedocs.io/en/stable/overview.html#settings
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "Endoplan")
# Requests larger than this are refused with 400 before any view sees them.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 1024 * 1024, minimum=1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 500
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English")]
USE_I18N = True
USE_TZ = True
# Stored datetimes are UTC; pages are shown in the clinic's zone (ClinicMiddleware).
TIME_ZONE = "UTC"
CLINIC_DEFAULT_TIME_ZONE = env_str("TIME_ZONE", "Europe/London")
try:
    ZoneInfo(CLINIC_DEFAULT_TIME_ZONE)
except (ZoneInfoNotFoundError, ValueError):
    raise ConfigurationError(f"TIME_ZONE {CLINIC_DEFAULT_TIME_ZONE!r} is unknown") from None

# Static files: our own, plus front-end packages installed by npm (never committed).
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
# Uploaded documents (signed consent forms): outside the web root, served only by a view that
# asks the policy module (scheduling.storage).
PRIVATE_MEDIA_ROOT = Path(env_str("PRIVATE_MEDIA_ROOT", str(VAR_DIR / "private")))
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/fullcalendar", NODE_MODULES / "fullcalendar"),
    ("vendor/fullcalendar-locales", NODE_MODULES / "@fullcalendar" / "core" / "locales"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/chartjs", NODE_MODULES / "chart.js" / "dist"),
    ("vendor/chartjs-adapter-date-fns", NODE_MODULES / "chartjs-adapter-date-fns" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Redis: Celery's broker and the health check.
REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")

# https://docs.celeryq.dev/en/stable/userguide/configuration.html
CELERY_BROKER_URL = REDIS_URL
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A task is killed well before Redis would hand its message to another worker.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TIMEZONE = "UTC"
# Deployments (and test runs) that share one Redis keep their tasks apart by queue name.
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "endoplan")
CELERY_BEAT_SCHEDULE = {
    "purge-email-log": {"task": "scheduling.tasks.purge_email_log", "schedule": 24 * 3600},
    # The reminder outbox (DESIGN.md §4): a plain interval, never ETA tasks.
    "dispatch-reminders": {
        "task": "scheduling.tasks.dispatch_reminders",
        "schedule": float(env_int("REMINDER_DISPATCH_INTERVAL_SECONDS", 60, minimum=1)),
    },
    # Re-plans asked for and never run (services/replans.py).
    "sweep-replans": {"task": "scheduling.tasks.sweep_replans", "schedule": 60.0},
}

# https://docs.djangoproject.com/en/5.2/topics/email/
EMAIL_HOST = env_str("EMAIL_HOST", "")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1)
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
if PRODUCTION and not EMAIL_HOST:
    raise ConfigurationError("EMAIL_HOST is required in production: reminders must be sent")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Endoplan <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Logged patient emails are deleted after this many days.
EMAIL_LOG_RETENTION_DAYS = env_int("EMAIL_LOG_RETENTION_DAYS", 400, minimum=1)
# Reminder outbox (scheduling/services/outbox.py): a claimed row returns to the queue when its
# lease runs out; the send tasks of a claim renew it whenever half of it has gone by, so it only
# has to outlast a task's longest pause between two renewals, one SMTP conversation (checked
# below with the task time limits); a temporary SMTP error waits RETRY_BACKOFF * 2**(attempts-1)
# seconds, capped at an hour; a row still unsent this long after it was due (or once the visit
# has begun) is "missed" and shown to coordinators.
REMINDER_LEASE_SECONDS = env_int("REMINDER_LEASE_SECONDS", 600, minimum=1)
REMINDER_RETRY_BACKOFF_SECONDS = env_int("REMINDER_RETRY_BACKOFF_SECONDS", 60, minimum=1)
REMINDER_MISSED_AFTER_HOURS = env_int("REMINDER_MISSED_AFTER_HOURS", 12, minimum=1)
# How many rows one dispatcher tick claims, and how many ids one send task gets.
REMINDER_DISPATCH_LIMIT = env_int("REMINDER_DISPATCH_LIMIT", 5000, minimum=1)
REMINDER_BATCH_SIZE = env_int("REMINDER_BATCH_SIZE", 50, minimum=1)
# Patients' local hour for reminders, and how many daily "has your period started?" emails.
# Never at night: within the day the reminders code keeps to (DAY_STARTS to DAY_ENDS in
# scheduling/services/reminders.py, 08:00 to 21:00, so the last whole hour is 20).
REMINDER_DAY_HOURS = range(8, 21)
REMINDER_LOCAL_HOUR = env_int("REMINDER_LOCAL_HOUR", 9, minimum=REMINDER_DAY_HOURS[0])
if REMINDER_LOCAL_HOUR not in REMINDER_DAY_HOURS:
    raise ConfigurationError(
        f"REMINDER_LOCAL_HOUR must be an hour from {REMINDER_DAY_HOURS[0]} to "
        f"{REMINDER_DAY_HOURS[-1]} (reminders are never sent at night), not {REMINDER_LOCAL_HOUR}"
    )
CD1_REQUEST_MAX = env_int("CD1_REQUEST_MAX", 5, minimum=1)


def reminder_timing_errors() -> list[str]:
    """Combinations of the reminder and Celery timings under which a reminder could be sent
    twice; start-up stops on any of them."""
    errors = []
    visibility = CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    if not CELERY_TASK_SOFT_TIME_LIMIT < CELERY_TASK_TIME_LIMIT < visibility:
        # A task still running when Redis hands its message to a second worker: both hold the
        # claim's token, and both could send a row.
        errors.append(
            f"the Celery soft time limit ({CELERY_TASK_SOFT_TIME_LIMIT} s) must be below the "
            f"hard one ({CELERY_TASK_TIME_LIMIT} s), and that below Redis' visibility timeout "
            f"({visibility} s)"
        )
    if REMINDER_LEASE_SECONDS < 2 * EMAIL_TIMEOUT:
        # Renewed every half lease, between two rows: half a lease must cover one SMTP
        # conversation, or the sweeper could hand a row being sent to another worker.
        errors.append(
            f"REMINDER_LEASE_SECONDS ({REMINDER_LEASE_SECONDS}) must be at least twice "
            f"EMAIL_TIMEOUT ({EMAIL_TIMEOUT})"
        )
    if CELERY_TASK_SOFT_TIME_LIMIT <= 3 * EMAIL_TIMEOUT:
        # A task stopped by its time limit in every SMTP conversation would never send.
        errors.append(
            f"the Celery soft time limit ({CELERY_TASK_SOFT_TIME_LIMIT} s) must exceed three "
            f"times EMAIL_TIMEOUT ({EMAIL_TIMEOUT} s), one slow SMTP conversation"
        )
    return errors


if reminder_timing_errors():
    raise ConfigurationError("; ".join(reminder_timing_errors()))

# HTTPS and cookies (https://docs.djangoproject.com/en/5.2/howto/deployment/checklist/)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_SSL_REDIRECT = PRODUCTION and env_bool("SECURE_SSL_REDIRECT", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if PRODUCTION else None
SECURE_HSTS_SECONDS = 31536000 if PRODUCTION else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# https://django-csp.readthedocs.io/en/latest/configuration.html — no inline script at all;
# the only inline style allowed is FullCalendar's, through the nonce on the empty
# <style data-fullcalendar> in templates/base.html.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", NONCE],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
