"""Plumbline settings: one module, every deployment difference read from the environment.

Embedded default (nothing set): SQLite file and a filesystem Celery broker under ``var/``.
Production: set ``DATABASE_URL`` (PostgreSQL), ``REDIS_URL``, ``SECRET_KEY``, ``ALLOWED_HOSTS``.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
import plotly
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


BASE_DIR = Path(__file__).resolve().parent.parent
# Runtime state of the embedded default (SQLite file, broker queue, media) lives here, outside git.
VAR_DIR = Path(os.environ.get("PLUMBLINE_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        # Sessions, CSRF tokens and password-reset links are signed with it: a published default is no secret.
        raise ImproperlyConfigured(
            "SECRET_KEY is not set and DEBUG is off. Set SECRET_KEY to a long random value, e.g. "
            "SECRET_KEY=$(python -c 'import secrets; print(secrets.token_urlsafe(50))'), "
            "or DEBUG=true for a local development run (make run does)."
        )
    # Local development only (DEBUG on); `check --deploy` flags it.
    SECRET_KEY = "django-insecure-plumbline-local-development-key"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

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
    "knox",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "mozilla_django_oidc",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_celery_results",
    "axes",
    "csp",
    "crispy_forms",
    "crispy_bootstrap5",
    # request.htmx, for the pages' small dynamic parts (htmx is vendored under governance/static/vendor/htmx/).
    "django_htmx",
    "governance",
    "maturity",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "governance.core.middleware.RequestIdMiddleware",
    "governance.core.middleware.RequestBodyLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): did this session give its second factor?
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "governance.core.middleware.CurrentOrganisationMiddleware",
    # A password sign-in with an enrolled (or required) second factor reaches only the two-factor pages first.
    "governance.accounts.two_factor.TwoFactorMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "governance.core.context_processors.organisation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
# The web process and the Celery worker share an SQLite file: wait for locks instead of failing, and take
# the write lock up front so two writers never deadlock mid-transaction.
SQLITE_OPTIONS = {
    "timeout": 30,
    "transaction_mode": "IMMEDIATE",
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
}
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        # An sqlite:/// URL (the test suite hands one to its worker subprocesses) shares a file too.
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        DATABASES["default"]["OPTIONS"] = {**SQLITE_OPTIONS, **DATABASES["default"].get("OPTIONS", {})}
    elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # An OLTP app: PostgreSQL's JIT compiler costs more than it saves on our queries (measured: 0.6-1.1 s of
        # compiling on the dashboard and deep inventory pages at 10,000 models; one inventory query took
        # 1,100 ms with jit=on and 100 ms with jit=off). PG_JIT=on gives it back (e.g. for a reporting replica).
        DATABASES["default"]["OPTIONS"] = {
            "options": f"-c jit={'on' if env_bool('PG_JIT', False) else 'off'}",
            **DATABASES["default"].get("OPTIONS", {}),
        }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "plumbline.sqlite3",
            "OPTIONS": SQLITE_OPTIONS,
            # A file (not :memory:) so that Celery worker subprocesses in tests see the test data.
            "TEST": {"NAME": str(VAR_DIR / "test-plumbline.sqlite3")},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Not a check: how Django tells us a password changed, on every path. It revokes that person's API tokens.
    {"NAME": "governance.services.accounts.RevokeApiTokensOnPasswordChange"},
]
# Sign-in throttling (django-axes): after AXES_FAILURE_LIMIT failures for one account, or from one client address,
# sign-in is refused (429) for AXES_COOLOFF_MINUTES, on the login page, the admin and the API's token endpoint.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username"], ["ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "governance.core.throttling.lockout_response"
AXES_VERBOSE = False

# API tokens (django-rest-knox, model governance.ApiToken): stored as SHA-512 digests, shown once, always
# expiring. A person chooses the lifetime up to API_TOKEN_MAX_DAYS; the token endpoint's default is
# API_TOKEN_DEFAULT_DAYS. last_used_at is written at most once per API_TOKEN_LAST_USED_SECONDS per token.
KNOX_TOKEN_MODEL = "governance.ApiToken"
# knox's own migrations create its default token table even when the model is swapped for ours (a table with a
# foreign key to users that nothing uses, and that PostgreSQL then refuses to leave out of a flush): skip them.
MIGRATION_MODULES = {"knox": None}
API_TOKEN_DEFAULT_DAYS = int(os.environ.get("API_TOKEN_DEFAULT_DAYS", "30"))
API_TOKEN_MAX_DAYS = int(os.environ.get("API_TOKEN_MAX_DAYS", "365"))
API_TOKEN_LAST_USED_SECONDS = 60
REST_KNOX = {"TOKEN_TTL": timedelta(days=API_TOKEN_DEFAULT_DAYS), "AUTH_HEADER_PREFIX": "Token"}
# Second factor (django-otp, TOTP): codes from an authenticator app; failed codes slow down exponentially.
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "Plumbline")

# --- Audit trail integrity ---------------------------------------------------------------------------
# The Ed25519 key that signs audit checkpoints (PEM text or a PEM file's path); generated under var/ when unset.
AUDIT_SIGNING_KEY = os.environ.get("AUDIT_SIGNING_KEY", "")
# Public keys (PEM files) of rotated-out signing keys: their checkpoints still verify.
AUDIT_PREVIOUS_PUBLIC_KEYS = env_list("AUDIT_PREVIOUS_PUBLIC_KEYS")
# How often beat signs a checkpoint of every organisation's trail that grew.
AUDIT_CHECKPOINT_MINUTES = int(os.environ.get("AUDIT_CHECKPOINT_MINUTES", "60"))
# How often beat verifies every trail in full (chain and checkpoints) for the audit log page's integrity status.
AUDIT_VERIFY_MINUTES = int(os.environ.get("AUDIT_VERIFY_MINUTES", "60"))
# Optional external anchoring (governance/core/timestamping.py): the URL of an RFC 3161 time-stamping authority
# that timestamps each checkpoint's hash, so even the holder of the signing key cannot backdate one. Empty: no
# timestamps. A TSA that is down or answers badly costs the checkpoint its token (and a warning), never the
# checkpoint; AUDIT_TIMESTAMP_TIMEOUT (seconds) bounds the wait.
AUDIT_TIMESTAMP_URL = os.environ.get("AUDIT_TIMESTAMP_URL", "")
AUDIT_TIMESTAMP_TIMEOUT = int(os.environ.get("AUDIT_TIMESTAMP_TIMEOUT", "10"))
# A PEM file with the TSA's root certificate (and any intermediates): with it, verification also checks each
# token's signature and certificate chain; without it, only that the token covers its checkpoint's hash.
AUDIT_TIMESTAMP_CA_FILE = os.environ.get("AUDIT_TIMESTAMP_CA_FILE", "")

# --- Single sign-on (OpenID Connect; governance/accounts/oidc.py) -------------------------------------
# On when OIDC_ISSUER and OIDC_RP_CLIENT_ID are set: the login page offers "Sign in with …". Endpoints and keys
# come from the issuer's discovery document. People are created at their first sign-in; OIDC_GROUP_ROLES maps
# the groups claim to roles ("group=organisation-slug:role, …") in the organisations it names, at every sign-in.
OIDC_ISSUER = os.environ.get("OIDC_ISSUER", "")
OIDC_RP_CLIENT_ID = os.environ.get("OIDC_RP_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = os.environ.get("OIDC_RP_CLIENT_SECRET", "")
OIDC_RP_SIGN_ALGO = os.environ.get("OIDC_RP_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = os.environ.get("OIDC_RP_SCOPES", "openid email profile")
OIDC_GROUPS_CLAIM = os.environ.get("OIDC_GROUPS_CLAIM", "groups")
OIDC_GROUP_ROLES = os.environ.get("OIDC_GROUP_ROLES", "")
OIDC_PROVIDER_NAME = os.environ.get("OIDC_PROVIDER_NAME", "your organisation's account")
OIDC_TIMEOUT = int(os.environ.get("OIDC_TIMEOUT", "10"))
OIDC_CLOCK_SKEW_SECONDS = 60
OIDC_USE_PKCE = True
OIDC_PKCE_CODE_CHALLENGE_METHOD = "S256"
OIDC_USE_NONCE = True
OIDC_AUTHENTICATE_CLASS = "governance.accounts.oidc.SignInView"
OIDC_CALLBACK_CLASS = "governance.accounts.oidc.CallbackView"
AUTHENTICATION_BACKENDS.append("governance.accounts.oidc.PlumblineOIDCBackend")

# Every form renders through django-crispy-forms' Bootstrap 5 pack (project overrides in templates/bootstrap5/).
# A filter left empty selects everything: its empty choice says so (django-filter's default is "---------").
FILTERS_EMPTY_CHOICE_LABEL = "Any"
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- I18N -----------------------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True
# ISO 8601 dates on every page (config/formats/en/formats.py; the locale's own formats would win over settings).
FORMAT_MODULE_PATH = ["config.formats"]
DATE_FORMAT = SHORT_DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = SHORT_DATETIME_FORMAT = "Y-m-d H:i"

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# plotly.js ships inside the plotly package: serve that copy, never a CDN.
STATICFILES_DIRS = [("vendor/plotly", Path(plotly.__file__).parent / "package_data")]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve straight from the finders too, so a checkout works without collectstatic.
WHITENOISE_USE_FINDERS = True
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# Largest compliance evidence file accepted (bytes); types are fixed in governance/services/compliance.py.
COMPLIANCE_EVIDENCE_MAX_BYTES = int(os.environ.get("COMPLIANCE_EVIDENCE_MAX_BYTES", str(10 * 1024 * 1024)))
# Largest request body of any kind (bytes): room for the largest evidence upload and its form fields.
REQUEST_BODY_MAX_BYTES = int(
    os.environ.get("REQUEST_BODY_MAX_BYTES", str(COMPLIANCE_EVIDENCE_MAX_BYTES + 1024 * 1024))
)

# --- Security (secure by default outside DEBUG; `check --deploy` passes) ----------------------
# Content-Security-Policy: scripts only from our own static files (no inline script or handler anywhere; the API
# docs use drf-spectacular's split Swagger view for the same reason). Styles allow inline: Plotly and the
# progress bars set element styles. Nothing is loaded from another origin.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Health probes come over plain HTTP from the orchestrator.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

# --- Email ----------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Plumbline <plumbline@localhost>")
# Where the file-based email backend writes (tests read mail sent by worker processes from here).
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")
# Scheduled report emails attach PDFs up to this size and link larger ones (mail servers reject big messages).
REPORT_EMAIL_MAX_ATTACHMENT_BYTES = int(os.environ.get("REPORT_EMAIL_MAX_ATTACHMENT_BYTES", str(10 << 20)))
# Report PDFs are laid out in chunks of about this many characters of HTML (about a dozen pages), one at a time,
# and joined: a render's memory stays bounded whatever the report's length (governance/reports/pdf.py). Measured
# on the 200-model compliance report: 50,000 -> 88 MiB of layout, 100,000 -> 121 MiB, 300,000 -> 232 MiB, at the
# same speed; smaller chunks repeat the fonts in the file (715, 647, 598 KiB).
REPORT_CHUNK_SIZE = int(os.environ.get("REPORT_CHUNK_SIZE", "100000"))

# --- Webhooks (governance.services.webhooks) ---------------------------------------------------
# Endpoints must use https. Plain http to this host (localhost, 127.0.0.1, ::1) is accepted only here or in DEBUG:
# a local receiver during development, and the tests' own server.
WEBHOOK_ALLOW_HTTP_LOCALHOST = env_bool("WEBHOOK_ALLOW_HTTP_LOCALHOST", False)
# Receivers on private networks (10/8, 172.16/12, 192.168/16, fc00::/7) are refused unless this is on: otherwise an
# administrator's URL could probe the servers behind the firewall. Link-local addresses (cloud metadata) never.
WEBHOOK_ALLOW_PRIVATE_NETWORKS = env_bool("WEBHOOK_ALLOW_PRIVATE_NETWORKS", False)
# An endpoint whose deliveries failed this many times in a row (each after all its retries) is disabled.
WEBHOOK_DISABLE_AFTER_FAILURES = int(os.environ.get("WEBHOOK_DISABLE_AFTER_FAILURES", "10"))
# Seconds to wait for a receiver's answer (connecting has its own 5 seconds).
WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", "10"))

# --- Celery and the cache --------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
# The cache holds rate-limit counters (password resets): Redis when there is one, shared by every process on
# every host; otherwise a folder under var/, shared by the processes of the one host `make run` uses.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "plumbline",
    }
    if REDIS_URL
    else {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(VAR_DIR / "cache"),
    }
}
# Password-reset requests: at most this many per client address, and per email address, an hour.
PASSWORD_RESET_RATE = os.environ.get("PASSWORD_RESET_RATE", "5/h")
# Public report verifications (no account needed) per client address.
PUBLIC_VERIFY_RATE = os.environ.get("PUBLIC_VERIFY_RATE", "60/h")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # A task a killed worker never acknowledged becomes visible again after this many seconds.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "3600"))
    }
else:
    # Embedded default: a broker that is a folder, so `make run` needs no server.
    CELERY_QUEUE_DIR = VAR_DIR / "celery" / "queue"
    CELERY_PROCESSED_DIR = VAR_DIR / "celery" / "processed"
    CELERY_CONTROL_DIR = VAR_DIR / "celery" / "control"
    for folder in (CELERY_QUEUE_DIR, CELERY_PROCESSED_DIR, CELERY_CONTROL_DIR):
        folder.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_QUEUE_DIR),
        "data_folder_out": str(CELERY_QUEUE_DIR),
        "processed_folder": str(CELERY_PROCESSED_DIR),
        "store_processed": False,
        # Broadcast/control messages too, else kombu writes ./control in whatever directory a worker starts.
        "control_folder": str(CELERY_CONTROL_DIR),
    }
CELERY_RESULT_BACKEND = "django-db"
CELERY_RESULT_EXTENDED = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A pool process that grew past this after a task (a long report) is replaced by a fresh one, which gives the
# memory back to the system (Python keeps what it freed for itself). In MiB; Celery counts KiB.
CELERY_WORKER_MAX_MEMORY_PER_CHILD = int(os.environ.get("CELERY_WORKER_MAX_MEMORY_MIB", "300")) * 1024
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
# How often beat synchronises every active MLflow registry connection ("Sync now" runs one at once).
REGISTRY_SYNC_MINUTES = int(os.environ.get("REGISTRY_SYNC_MINUTES", "15"))
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Installed into django-celery-beat's database by the scheduler at start-up.
CELERY_BEAT_SCHEDULE = {
    # The outbox: jobs recorded while the broker was down go out within seconds of its return.
    "dispatch-pending-jobs": {
        "task": "governance.tasks.dispatch_pending_jobs",
        "schedule": float(os.environ.get("JOB_DISPATCH_SECONDS", "10")),
        "options": {"expires": 60},
    },
    # A signed checkpoint of every audit trail that grew (governance.core.audit.write_checkpoint).
    "checkpoint-audit-trails": {
        "task": "governance.tasks.checkpoint_audit_trails",
        "schedule": AUDIT_CHECKPOINT_MINUTES * 60.0,
    },
    # The integrity status on each audit log page (governance.core.audit.record_verification).
    "verify-audit-trails": {
        "task": "governance.tasks.verify_audit_trails",
        "schedule": AUDIT_VERIFY_MINUTES * 60.0,
    },
    # Evidence bundles whose worker died or whose message was lost (governance.services.audit_bundles).
    "requeue-stalled-audit-bundles": {
        "task": "governance.tasks.requeue_stalled_audit_bundles",
        "schedule": 60.0,
    },
    # Webhook deliveries whose retry is due (and any whose message was lost) go to a worker.
    "retry-webhook-deliveries": {"task": "governance.tasks.retry_webhook_deliveries", "schedule": 60.0},
    # Reports whose worker died (no heartbeat for a minute) go to another worker.
    "requeue-stalled-reports": {"task": "governance.tasks.requeue_stalled_reports", "schedule": 60.0},
    # One digest per person per day: reviews and risks due within 14 days, KPI breaches, pending approvals.
    "send-reminder-digests": {
        "task": "governance.tasks.send_reminder_digests",
        "schedule": crontab(minute="0", hour="7"),
    },
    # KPIs whose expected cadence just passed (kpi.stale) or that turned degrading (kpi.degrading), announced to
    # webhooks once per episode (governance.services.kpi_freshness).
    "check-kpi-freshness": {
        "task": "governance.tasks.check_kpi_freshness",
        "schedule": float(os.environ.get("KPI_FRESHNESS_CHECK_SECONDS", "600")),
        "options": {"expires": 600},
    },
    # MLflow registries imported into the inventory, champion aliases watched (governance.services.registry_sync).
    "sync-all-registries": {
        "task": "governance.tasks.sync_all_registries",
        "schedule": REGISTRY_SYNC_MINUTES * 60.0,
        "options": {"expires": REGISTRY_SYNC_MINUTES * 60},
    },
}

# --- REST framework -------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: a request without credentials (or with a bad token) answers 401 with
    # "WWW-Authenticate: Token", the challenge a pipeline expects, not 403. Browsers still use their session.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "governance.core.api.tokens.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # A read-only token may read, whatever view it reaches (tests/governance/test_api_tokens.py checks every one).
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "governance.core.api.tokens.TokenScopePermission",
    ],
    # DRF's defaults, with a JSON parser that answers 400 (not 500) to NUL characters, numbers no float holds
    # and over-deep nesting.
    "DEFAULT_PARSER_CLASSES": [
        "governance.core.api.parsers.StorableJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "governance.core.api.schema.ProblemAutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["governance.core.api.filters.QueryFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "governance.core.api.pagination.PageSizePagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "governance.core.api.exceptions.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Plumbline API",
    "DESCRIPTION": "MLOps maturity assessment and ML model governance.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "RiskTierEnum": "governance.models.inventory.RiskTier",
        "LifecycleStageEnum": "governance.models.inventory.LifecycleStage",
        "KPIKindEnum": "governance.models.monitoring.KPIKind",
        "ReportKindEnum": "governance.core.registry.report_kind_choices",
        "ApprovalKindEnum": "governance.models.inventory.ApprovalKind",
        "ReassessmentFrequencyEnum": "maturity.models.ScheduleFrequency",
        "ReportScheduleFrequencyEnum": "governance.models.reports.ScheduleFrequency",
        "DeploymentStatusEnum": "governance.models.release.DeploymentStatus",
        "FindingStatusEnum": "governance.models.release.FindingStatus",
        "CheckStatusEnum": ["pass", "fail", "not_required"],
        "ScheduleRunStatusEnum": "governance.core.scheduling.RunStatus",
        "ReportStatusEnum": "governance.models.reports.ReportStatus",
        "AssessmentStatusEnum": "maturity.models.AssessmentStatus",
    },
}

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
