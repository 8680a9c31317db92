"""Settings for smarketing, read from the environment (see ``.env.example``).

Defaults make a fresh checkout run with nothing installed but Python: an
SQLite file and kombu's ``filesystem://`` broker under ``var/``. Set
``DATABASE_URL`` and ``REDIS_URL`` for PostgreSQL and Redis.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import dj_database_url
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

from smarketing.env import env_bool, env_int, env_list, env_path, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = env_path("SMARKETING_VAR_DIR", BASE_DIR / "var")
# Tests only: a pytest-xdist worker process (PYTEST_XDIST_WORKER=gw0, gw1, ...) gets its
# own folder under VAR_DIR (SQLite test file, broker folders, media) and its own Redis
# database (REDIS_URL's number + the worker's), so parallel workers share nothing.
# pytest-django loads these settings before any conftest runs, so it is done here.
_TEST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if _TEST_WORKER:
    VAR_DIR = VAR_DIR / _TEST_WORKER


def _redis_for_test_worker(url: str) -> str:
    if not (_TEST_WORKER and url.startswith(("redis://", "rediss://"))):
        return url
    parts = urlsplit(url)
    db = int(parts.path.strip("/") or 0) + int(_TEST_WORKER.removeprefix("gw"))
    return urlunsplit(parts._replace(path=f"/{db}"))


DEBUG = env_bool("DEBUG", default=True)
_DEV_SECRET = "django-insecure-dev-only-key-change-me-in-production"
SECRET_KEY = env_str("SECRET_KEY", default=_DEV_SECRET if DEBUG else None)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "smarketing.apps.SmarketingConfig",
    "leads",
    "sla",
    "funnel",
]

MIDDLEWARE = [
    # First: a request that failed because PostgreSQL or Redis is down answers 503 with
    # Retry-After, JSON on the API and a page elsewhere (smarketing/degrade.py).
    "smarketing.degrade.DependencyDownMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "smarketing.urls"
WSGI_APPLICATION = "smarketing.wsgi.application"
ASGI_APPLICATION = "smarketing.asgi.application"

# Project-wide templates (base, errors, login), then each capability package's own
# folder (leads/<package>/templates; template names are unchanged: "work/queue.html").
LEADS_PACKAGES = ("people", "audit", "intake", "scoring", "queue", "pipeline", "web", "console")
# The sla app's capability packages with a templates/ folder of their own.
SLA_PACKAGES = ("calendars", "policies", "notify", "clocks", "compliance")
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [
            BASE_DIR / "templates",
            *(BASE_DIR / "leads" / p / "templates" for p in LEADS_PACKAGES),
            *(BASE_DIR / "sla" / p / "templates" for p in SLA_PACKAGES),
        ],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "leads.web.context_processors.navigation",
                "sla.notify.context_processors.bell",
            ],
            # ``|unlocalize`` and ``{% localize off %}`` in every template, unloaded: an id
            # in an attribute or a URL must never be grouped (USE_THOUSAND_SEPARATOR).
            "builtins": ["django.templatetags.l10n"],
            # Template tag libraries live in their capability's package.
            "libraries": {
                "people": "leads.people.templatetags",
                "scoring": "leads.scoring.templatetags",
                "work": "leads.queue.templatetags",
                "words": "leads.word_tags",
            },
        },
    },
]

# --- Database -------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'smarketing.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # A file, not memory, so a Celery worker process started by the tests sees it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
else:
    # PostgreSQL. The ORM binds parameters on the client and never prepares statements
    # (Django's default). Server-binding cursors — only the SDR claim's
    # (leads.queue.claim.CLAIM_SQL, run all morning by every SDR) — are prepared on a
    # connection after 5 runs (psycopg's default), then skip parsing and planning.
    # DATABASE_PREPARED_STATEMENTS=false turns that off, for a pooler that cannot keep
    # prepared statements (PgBouncer before 1.21 in transaction mode).
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = (
        5 if env_bool("DATABASE_PREPARED_STATEMENTS", default=True) else None
    )
    # A bounded pool of connections per process (Django's psycopg pool): the web server
    # (runserver's thread per request, gunicorn) holds at most DATABASE_POOL_MAX_SIZE
    # connections and keeps one open when idle; a request that waits more than
    # DATABASE_POOL_TIMEOUT seconds for one answers 503 with Retry-After
    # (smarketing.degrade). 0 turns the pool off and keeps a persistent connection per
    # thread instead: the Celery worker and beat run so (their launchers set it; Celery's
    # Django fixup closes the connection, or in prefork the whole pool, around every
    # task, so a pool buys a worker nothing), and so do the benchmarks' threads.
    DATABASE_POOL_MAX_SIZE = env_int("DATABASE_POOL_MAX_SIZE", 10)
    if DATABASE_POOL_MAX_SIZE > 0:
        DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps the connections
        # The pool checks a connection before handing it out (one empty round trip), so
        # connections a restarted or failed-over PostgreSQL closed fail no request.
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
        DATABASES["default"]["OPTIONS"]["pool"] = {
            "min_size": 1,
            "max_size": DATABASE_POOL_MAX_SIZE,
            "timeout": env_int("DATABASE_POOL_TIMEOUT", 5),
            "max_idle": 300,  # seconds an idle connection above min_size is kept
        }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, broker ----------------------------------------------------------
REDIS_URL = _redis_for_test_worker(env_str("REDIS_URL", default=""))
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # A dead or silent Redis fails in half a second, not the OS's minutes: the
            # API's throttles then count in memory (smarketing.throttling), anything
            # else that needs the cache answers 503 (smarketing.degrade).
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = _redis_for_test_worker(env_str("CELERY_BROKER_URL", default="")) or (
    REDIS_URL or "filesystem://"
)
CELERY_BROKER_FOLDER = env_path("SMARKETING_BROKER_DIR", VAR_DIR / "broker")
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {
        "data_folder_in": str(CELERY_BROKER_FOLDER),
        "data_folder_out": str(CELERY_BROKER_FOLDER),
        "processed_folder": str(CELERY_BROKER_FOLDER.parent / "broker-processed"),
        "store_processed": False,
    }
    if CELERY_BROKER_URL.startswith("filesystem://")
    else {}
)
for _folder in CELERY_BROKER_TRANSPORT_OPTIONS.values():
    if isinstance(_folder, str):
        Path(_folder).mkdir(parents=True, exist_ok=True)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = env_str("TIME_ZONE", default="Asia/Shanghai")
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# One beat schedules at a time (smarketing/beat.py): a Redis key with this time to live
# on a Redis broker, else a file lock; a standby beat takes over within the TTL.
CELERY_BEAT_SCHEDULER = "smarketing.beat:LockedScheduler"
BEAT_LOCK_TTL = env_int("BEAT_LOCK_TTL", 60)
BEAT_LOCK_FILE = env_path("BEAT_LOCK_FILE", VAR_DIR / "celerybeat.lock")
# The heartbeat's period: it is sent that often and runs at most once per period.
HEARTBEAT_SECONDS = env_int("HEARTBEAT_SECONDS", 300)
# Every entry is idempotent per period (leads.periods): a second send in the same
# period — a second beat, a retry, a person — finds the first run and does nothing.
CELERY_BEAT_SCHEDULE: dict = {
    "heartbeat": {
        "task": "leads.tasks.heartbeat",
        "schedule": float(HEARTBEAT_SECONDS),
        "options": {"expires": HEARTBEAT_SECONDS * 0.8},
    },
    "rescore-open-leads-nightly": {
        "task": "leads.tasks.rescore_open_leads_nightly",
        "schedule": crontab(hour=2, minute=15),
        "options": {"expires": 6 * 3600},
    },
    "predictive-refresh-nightly": {
        "task": "leads.tasks.predictive_refresh",
        "schedule": crontab(hour=2, minute=30),
        "options": {"expires": 6 * 3600},
    },
    "jobs-sweep": {"task": "leads.tasks.jobs_sweep", "schedule": 30.0, "options": {"expires": 25}},
    # The SLA's warnings, breaches and escalations, minute-precise (sla.notify.sweep).
    "sla-sweep": {"task": "sla.tasks.sweep", "schedule": 60.0, "options": {"expires": 55}},
    "sla-catch-up": {"task": "sla.tasks.catch_up", "schedule": 60.0, "options": {"expires": 50}},
    # The monthly compliance reports: every closed month not yet frozen. Daily, at an
    # hour of CELERY_TIMEZONE (crontab follows it, not the calendar's zone): a month
    # closes at midnight in the default calendar's zone and is frozen by the next run;
    # a missed run freezes it the day after (sla.compliance.reports).
    "sla-freeze-reports": {
        "task": "sla.tasks.freeze_reports",
        "schedule": crontab(hour=3, minute=5),
        "options": {"expires": 20 * 3600},
    },
}
# Tests only: every entry is sent every N seconds (the periods stay what they are).
if _BEAT_EVERY := env_int("BEAT_EVERY_SECONDS", 0):
    for _entry in CELERY_BEAT_SCHEDULE.values():
        _entry["schedule"] = float(_BEAT_EVERY)

# --- Auth -----------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- i18n -----------------------------------------------------------------
LANGUAGE_CODE = env_str("LANGUAGE_CODE", default="en")
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True
# Numbers as people read them: 1,140 and 300,000.00 in both languages (the zh_Hans
# separators are ours: smarketing/formats/). An id in a URL, an attribute or a form
# value must not be grouped: ``|unlocalize`` or ``{% url %}`` (tests/test_numbers_shown.py).
USE_THOUSAND_SEPARATOR = True
FORMAT_MODULE_PATH = ["smarketing.formats"]

# --- Static ---------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_AUTOREFRESH = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "media/"
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 50 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Email ----------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", default="smarketing <noreply@localhost>")

# --- Security (production: DEBUG=false) -----------------------------------
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- REST API -------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [
        # DRF's, counting in memory while Redis is down (smarketing/throttling.py)
        "smarketing.throttling.UserThrottle",
        "smarketing.throttling.AnonThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": env_str("API_THROTTLE_USER", default="6000/min"),
        "anon": env_str("API_THROTTLE_ANON", default="60/min"),
    },
    "EXCEPTION_HANDLER": "leads.web.api_errors.exception_handler",
    # JSON only, bounded in size and depth (leads/web/api_parsing.py).
    "DEFAULT_PARSER_CLASSES": ["leads.web.api_parsing.JSONParser"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "smarketing API",
    "DESCRIPTION": "Leads, activities, jobs: the marketing–sales SLA.",
    "VERSION": "1.0.0",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_INCLUDE_SCHEMA": False,
    # the schema is an API endpoint like the others: signed-in users and tokens only
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # choice sets that share a field name elsewhere ("reason")
    "ENUM_NAME_OVERRIDES": {
        "ReasonEnum": "leads.models.LeadReturn.Reason",
        "ReportReasonEnum": "sla.models.ComplianceReport.Reason",
    },
    # Every status an endpoint can answer is declared (leads/web/api_schema.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "leads.web.api_schema.add_common_errors",
    ],
}

# --- The product ----------------------------------------------------------
INTAKE_MAX_BATCH = env_int("INTAKE_MAX_BATCH", 5000)
# Rows per import chunk; files with more rows than this run as a Celery task.
IMPORT_INLINE_MAX_ROWS = env_int("IMPORT_INLINE_MAX_ROWS", 500)
# Predictive score: a (field, value) seen on fewer closed leads is ignored (Odoo: 50;
# see leads.scoring.predictive_services for why 20).
PREDICTIVE_MIN_COUNT = env_int("PREDICTIVE_MIN_COUNT", 20)
# Shrinkage: each value's win rate is pulled toward the average as if this many more
# leads had been seen at the average (leads/scoring/predictive.py); 0 = Odoo's factors.
PREDICTIVE_PRIOR_WEIGHT = env_int("PREDICTIVE_PRIOR_WEIGHT", 5)
# SLA notifications (sla.notify): the site's address for links in email and webhooks;
# team webhooks' timeout, attempts, first retry delay (doubled each time) and the lease
# a sending worker holds on a delivery.
SLA_SITE_URL = env_str("SLA_SITE_URL", default="http://localhost:8000")
SLA_WEBHOOK_TIMEOUT_SECONDS = env_int("SLA_WEBHOOK_TIMEOUT_SECONDS", 5)
SLA_WEBHOOK_MAX_ATTEMPTS = env_int("SLA_WEBHOOK_MAX_ATTEMPTS", 8)
SLA_WEBHOOK_BACKOFF_SECONDS = env_int("SLA_WEBHOOK_BACKOFF_SECONDS", 60)
SLA_WEBHOOK_LEASE_SECONDS = env_int("SLA_WEBHOOK_LEASE_SECONDS", 60)
# Tests only: the sweep waits mid-transaction on this Redis key (sla.notify.sweep).
SLA_SWEEP_PAUSE_KEY = env_str("SLA_SWEEP_PAUSE_KEY", default="")
# SLA clocks (sla/): the default calendar's public holidays (ISO codes, comma-separated)
# and how far back the catch-up pass reads events again (a transaction that committed
# late is seen if it ran shorter than this).
SLA_DEFAULT_COUNTRIES = [
    code.strip().upper()
    for code in env_str("SLA_DEFAULT_COUNTRIES", "CN").split(",")
    if code.strip()
]
SLA_CATCHUP_MARGIN_SECONDS = env_int("SLA_CATCHUP_MARGIN_SECONDS", 300)
# A write of more leads' events than this (intake, a re-score) has its clocks computed
# by a worker after the commit, not in its transaction.
SLA_INLINE_MAX_LEADS = env_int("SLA_INLINE_MAX_LEADS", 200)
# Long jobs (leads.jobs): a worker's claim lasts this long unless renewed (it renews
# with every chunk and on a timer); a job claimed this many times whose worker died
# each time fails; a queued job whose task was sent this long ago is sent again.
JOB_LEASE_SECONDS = env_int("JOB_LEASE_SECONDS", 60)
JOB_MAX_ATTEMPTS = env_int("JOB_MAX_ATTEMPTS", 3)
JOB_RESEND_AFTER_SECONDS = env_int("JOB_RESEND_AFTER_SECONDS", 300)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"client_errors_on_one_line": {"()": "smarketing.logs.ClientErrorsOnOneLine"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", default="INFO")},
    # A 403 or 404 is one line, without the traceback Django attaches (smarketing/logs.py).
    "loggers": {
        "django.request": {"filters": ["client_errors_on_one_line"]},
        # fpdf2 subsets the PDF's font with fontTools, which logs every table at INFO
        "fontTools": {"level": "WARNING"},
    },
}
