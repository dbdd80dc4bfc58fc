"""Settings for the community portal, read from the environment.

Every value a deployment may change comes from an environment variable; the
defaults give the embedded setup of `make run` (SQLite and a filesystem broker
under var/). README.md lists every variable.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("PORTAL_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()

# --- Core ------------------------------------------------------------------

DEBUG = env.bool("DEBUG", default=False)


def _secret_key() -> str:
    """SECRET_KEY, else the key file `make run` generates; never a built-in default."""
    if key := env.str("SECRET_KEY", default=""):
        return key
    key_file = Path(env.str("SECRET_KEY_FILE", default=str(VAR_DIR / "secret_key")))
    if key_file.is_file():
        return key_file.read_text().strip()
    raise ImproperlyConfigured(
        "SECRET_KEY is not set. Set SECRET_KEY (or SECRET_KEY_FILE), or use `make run`, "
        "which generates var/secret_key on first start."
    )


SECRET_KEY = _secret_key()
# Encrypts ID card numbers at rest and keys their duplicate-finding hash. Set it once
# in production and never change it (by default it is SECRET_KEY).
PERSONAL_DATA_KEY = env.str("PERSONAL_DATA_KEY", default=SECRET_KEY)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "bootstrap",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "treebeard",
    "simple_history",
    "axes",
    "django_ratelimit",
    # sessions and headers: added here
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "portal",
    "housing",
    "disputes",
    "elevators",
    "eldercare",
    "stations",
    "civility",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # audit: every 403/404 answered to a logged-in user is logged (RefusedAccess).
    "portal.middleware_audit.RefusedAccessMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "portal.middleware.PasswordChangeRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After messages (an ended session says why) and the password lock (changed first).
    "portal.security.SessionLimitsMiddleware",
    "portal.security.SecondFactorMiddleware",
    "portal.security.NoStoreMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes requires.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.shell",
                "portal.security.login_context",
            ],
        },
    },
]

# --- Database --------------------------------------------------------------
# SQLite by default; DATABASE_URL (postgres://user:pass@host:5432/name) in production.

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and immediate transactions let the web server, worker and beat share one file.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;"
        ),
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Prepared statements (docs/performance.md): PostgreSQL plans a query a page repeats
    # once per connection instead of on every request, and planning the joins of a
    # scoped query costs more than running it. Turn them off behind a pooler in
    # transaction mode (PgBouncer), which cannot keep them between transactions.
    if env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
        DATABASES["default"]["OPTIONS"] = {
            **DATABASES["default"].get("OPTIONS", {}),
            "server_side_binding": True,
            "prepare_threshold": 2,
        }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts --------------------------------------------------------------

AUTH_USER_MODEL = "portal.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 60 * 60)
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Login throttling (django-axes): keyed on username *and* address, because riders and
# whole offices share one address. Generous: 10 failures, then 15 minutes' pause.
# Unknown and known usernames get the same answers.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "portal.net.client_ip"
AXES_VERBOSE = False
# audit: logins (with logout times) and failed logins are kept as network logs, at least
# six months (AUDIT_RETENTION_DAYS); no per-user cap, so a flood cannot erase a trail.
AXES_DISABLE_ACCESS_LOG = False
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_ACCESS_FAILURE_LOG_PER_USER_LIMIT = env.int("LOGIN_FAILURE_LOG_PER_USER", default=100_000)
# Audit rows (reveals, exports, logins, refused accesses) are deleted after this many
# days by `portal.tasks.scan_audit_expiry`; the law asks for at least 183 (a system check).
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=400)
# How many reverse proxies in front of the portal append to X-Forwarded-For (0: none,
# trust REMOTE_ADDR). Used by every throttle through portal.net.client_ip.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# --- Language and time -----------------------------------------------------

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static files and uploads ----------------------------------------------
# Static assets come from Python packages and are served by whitenoise: no CDN.

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# `make backup` writes its archives here (they hold personal data: keep copies off-site).
BACKUP_DIR = Path(env.str("BACKUP_DIR", default=str(VAR_DIR / "backups")))

AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    # Any S3-compatible store (MinIO, OSS, COS); credentials from AWS_* variables.
    _media_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default=None),
            "region_name": env.str("AWS_S3_REGION_NAME", default=None),
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
else:
    _media_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _media_storage,
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_BACKEND",
            default="whitenoise.storage.CompressedManifestStaticFilesStorage",
        )
    },
}

# --- Cache -----------------------------------------------------------------

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# django-ratelimit's list of supported caches predates Django's own RedisCache, whose
# incr() is Redis INCR and so atomic, as the library needs.
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]
if not REDIS_URL:
    # Without Redis, form throttles count per process: good enough for one machine;
    # production sets REDIS_URL and counts across all web nodes.
    SILENCED_SYSTEM_CHECKS.append("django_ratelimit.E003")

# Dashboard figures are kept this long (seconds) before they are computed again; the
# page says when they were computed. 0 computes them on every request.
DASHBOARD_CACHE_SECONDS = env.int("DASHBOARD_CACHE_SECONDS", default=300)

# --- E-mail ----------------------------------------------------------------
# EMAIL_URL, e.g. smtp+tls://user:password@smtp.example.org:587; console by default.

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
# The portal's address as users reach it, for links in e-mails (no trailing slash).
PORTAL_BASE_URL = env.str("PORTAL_BASE_URL", default="").rstrip("/")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="portal@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Celery ----------------------------------------------------------------
# Embedded default: kombu's filesystem transport under var/celery.

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "celery" / "queue"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
# Reminders never wait behind a large export: each has its own queue.
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "*.tasks.remind_*": {"queue": "reminders"},
    "*.tasks.scan_*": {"queue": "reminders"},
    "*.tasks.export_*": {"queue": "exports"},
}
CELERY_BEAT_SCHEDULE = {
    "due-follow-ups": {"task": "portal.tasks.scan_due_follow_ups", "schedule": 60.0},
    "overdue-cases": {"task": "portal.tasks.scan_overdue_cases", "schedule": 300.0},
    "outbox": {"task": "portal.tasks.scan_outbox", "schedule": 300.0},
    "expired-exports": {"task": "portal.tasks.scan_expired_exports", "schedule": 3600.0},
    "retention": {"task": "portal.tasks.scan_retention", "schedule": 24 * 3600.0},
    "audit-expiry": {"task": "portal.tasks.scan_audit_expiry", "schedule": 24 * 3600.0},
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celery" / "beat-schedule")

# --- Security --------------------------------------------------------------
# HTTPS=true behind TLS (production); plain HTTP is allowed for `make run` and intranets
# without certificates, and `check --deploy` says what that gives up.

HTTPS = env.bool("HTTPS", default=False)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=HTTPS)
if env.bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Two-factor login, sessions and headers --------------------------------
# Roles that may reveal or export personal data must confirm a one-time code from an
# authenticator app after the password. On unless switched off: only the embedded demo
# (`make run`, scripts/run-embedded.sh) sets TWO_FACTOR_REQUIRED=false, and its login
# page says so.
TWO_FACTOR_REQUIRED = env.bool("TWO_FACTOR_REQUIRED", default=True)
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Community portal")
# The admin lists devices but never shows a secret key or its QR code.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Staff sessions end after 30 idle minutes or 12 hours in all; residents', who see
# only their own requests, after a week idle or 30 days.
STAFF_SESSION_IDLE = timedelta(minutes=env.int("STAFF_SESSION_IDLE_MINUTES", default=30))
STAFF_SESSION_LIFETIME = timedelta(hours=env.int("STAFF_SESSION_LIFETIME_HOURS", default=12))
RESIDENT_SESSION_IDLE = timedelta(days=env.int("RESIDENT_SESSION_IDLE_DAYS", default=7))
RESIDENT_SESSION_LIFETIME = timedelta(days=env.int("RESIDENT_SESSION_LIFETIME_DAYS", default=30))
# No inline script anywhere; JavaScript comes from static/js and the packages' files.
# Inline `style` attributes are gone from the templates too, so styles need no
# 'unsafe-inline' either. Charts are inline SVG, whose presentation attributes
# (fill, stroke) are not styles.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

ADMINS = [("Portal operator", a) for a in env.list("ADMIN_EMAILS", default=[])]

# --- Forms and logging -----------------------------------------------------

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}
