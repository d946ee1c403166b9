"""Settings for the smart-vehicle ecosystem catalog.

Every setting that differs between machines comes from an environment variable; the
README lists them. Nothing secret is committed: outside DEBUG the service refuses to
start without DJANGO_SECRET_KEY.
"""

import datetime
import os
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default=False):
    """Read a yes/no environment variable (1/true/yes/on, case-insensitive)."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    """Read a comma-separated environment variable into a list of non-empty items."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG")

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Set it to a long random string "
            "(python -c 'import secrets; print(secrets.token_urlsafe(50))'), "
            "or set DJANGO_DEBUG=1 for local development."
        )
    SECRET_KEY = "insecure-development-key-never-used-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "catalog.apps.CatalogAdminConfig",  # django.contrib.admin, with the catalog's site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_countries",
    "simple_history",
    "csp",
    "axes",
    "import_export",
    "catalog",
    "partners",
    "vehicles",
    "insights",
    "explorer",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "catalog.middleware.Utf8QueryMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language of each answer: the language cookie (the admin's switch), else
    # Accept-Language, else English (below). Django's, not looking in the path for a
    # language where no URL pattern is prefixed with one (catalog.middleware).
    "catalog.middleware.LocaleMiddleware",
    # Django's, a write to a URL missing its slash redirected with 308 (catalog.middleware).
    "catalog.middleware.CommonMiddleware",
    # ETags for every GET and 304 answers to If-None-Match (Django's, hashed faster).
    "catalog.middleware.ConditionalGetMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Django's, the message storage made only when used (catalog.middleware).
    "catalog.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Content-Security-Policy on every answer (below): django-csp's, the header built
    # once (catalog.middleware).
    "catalog.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last: answers a locked-out sign-in with the lockout page (catalog.lockout).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "catalog.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # catalog's templates first, so that its admin/base_site.html (the language switch)
        # is found before the admin app's own, which it extends.
        "DIRS": [BASE_DIR / "catalog" / "templates"],
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

WSGI_APPLICATION = "catalog.wsgi.application"

# The embedded default is an SQLite file in the working directory; production points
# DATABASE_URL at PostgreSQL (postgres://user:password@host:5432/name).
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several writers at once (2 gunicorn workers, threads) on the embedded default:
    # write-ahead logging lets readers go on while one writes; a write transaction takes
    # the lock when it begins (IMMEDIATE), so it waits its turn (up to `timeout` seconds)
    # instead of failing with "database is locked" when it upgrades a read lock.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": int(os.environ.get("SQLITE_BUSY_TIMEOUT", "20")),
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis, when configured, is shared by every worker for the cache and the throttle
# counters; without it each process keeps its own in memory. The throttle counters have
# their own alias (catalog.throttling) so they can live on another Redis database
# (THROTTLE_REDIS_URL) and are not reset by clearing the cache.
REDIS_URL = os.environ.get("REDIS_URL", "")
THROTTLE_REDIS_URL = os.environ.get("THROTTLE_REDIS_URL", REDIS_URL)


def cache_config(redis_url, key_prefix):
    """Redis at redis_url when given, else this process's memory."""
    if not redis_url:
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": key_prefix}
    return {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": redis_url,
        "KEY_PREFIX": key_prefix,
        # A Redis that stops answering costs a request at most this long.
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }


CACHES = {
    "default": cache_config(REDIS_URL, "catalog"),
    "throttle": cache_config(THROTTLE_REDIS_URL, "catalog-throttle"),
}

# GET answers kept in each worker's memory until a write to these apps' tables changes
# the database's stamp (catalog.answers); at most this many bytes a worker, 0 for none.
ANSWER_CACHE_APPS = ["catalog", "partners", "vehicles"]
ANSWER_CACHE_BYTES = int(os.environ.get("ANSWER_CACHE_BYTES", str(32 * 1024 * 1024)))

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Failed admin sign-ins: after AXES_FAILURE_LIMIT tries for one user name from one
# address, that pair is refused for AXES_COOLOFF_TIME (catalog.lockout).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("ADMIN_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = datetime.timedelta(
    minutes=int(os.environ.get("ADMIN_LOGIN_LOCKOUT_MINUTES", "15"))
)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "catalog.throttling.client_address"
AXES_USERNAME_CALLABLE = "catalog.lockout.username"
AXES_HANDLER = "catalog.lockout.LockoutHandler"
AXES_LOCKOUT_CALLABLE = "catalog.lockout.locked_out"
AXES_HTTP_RESPONSE_CODE = 429
AXES_DISABLE_ACCESS_LOG = True

# Spreadsheet imports in the admin (catalog.resources): a file is one transaction; the
# change log (catalog.history) records every row, so Django's admin log is not written.
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = True
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "add"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"

# English, or Simplified Chinese for a staff member who switches the admin (the choice
# is kept in a cookie) and for an API client that asks with Accept-Language (zh-Hans,
# zh-CN and zh all mean it). The project's strings are translated in locale/; Django and
# DRF ship their own. The OpenAPI document is always written in English.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Caps on what one request may send: a hostile body is refused before it is parsed.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("DJANGO_MAX_BODY_BYTES", 1_048_576))
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "catalog.authentication.BearerTokenAuthentication",
        "catalog.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["catalog.permissions.ReadOnlyOrModelPermissions"],
    "DEFAULT_PAGINATION_CLASS": "catalog.pagination.CatalogPagination",
    "DEFAULT_FILTER_BACKENDS": [
        "catalog.filters.StrictFilterBackend",
        "catalog.filters.StrictOrderingFilter",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "catalog.renderers.CatalogJSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
        "catalog.renderers.CatalogCSVRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["catalog.parsers.LimitedJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "catalog.openapi.CatalogAutoSchema",
    # An unknown or empty ?format= is a 400 listing the formats, on every API view.
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "catalog.negotiation.CatalogContentNegotiation",
    # Over the rate: 429 with Retry-After. Counters live in the shared "throttle" cache.
    "DEFAULT_THROTTLE_CLASSES": [
        "catalog.throttling.AnonRateThrottle",
        "catalog.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("THROTTLE_ANON_RATE", "600/minute"),
        "user": os.environ.get("THROTTLE_USER_RATE", "3000/minute"),
    },
    # Anonymous clients are told apart by address. With 0 that is REMOTE_ADDR and a
    # client's own X-Forwarded-For is ignored (DRF's default, None, trusts it, so anyone
    # could dodge the limit). Behind N trusted proxies set THROTTLE_NUM_PROXIES=N.
    "NUM_PROXIES": int(os.environ.get("THROTTLE_NUM_PROXIES", "0")),
    "EXCEPTION_HANDLER": "catalog.exceptions.exception_handler",
    "ORDERING_PARAM": "ordering",
    "SEARCH_PARAM": "q",
    "URL_FIELD_NAME": "url",
    "COERCE_DECIMAL_TO_STRING": False,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "China smart-vehicle ecosystem catalog",
    "DESCRIPTION": (
        "Chinese car brands and their groups, the cockpit operating systems and "
        "driver-assist stacks they run, their chip and telecom partners, the alliances "
        "they belong to and the monthly deliveries they report. Every fact cites its "
        "sources. Reading is open; writing needs a token (`Authorization: Bearer <token>`) "
        "and the matching model permission."
    ),
    "VERSION": "1.0.0",
    "DEFAULT_GENERATOR_CLASS": "catalog.openapi.EnglishSchemaGenerator",
    # 3.1 states nullability exactly (oneOf [$ref, null]); 3.0's allOf+nullable is ambiguous.
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SORT_OPERATION_PARAMETERS": False,
    # Stable names for enums that share a field name across resources.
    "ENUM_NAME_OVERRIDES": {
        "AllianceKindEnum": "partners.models.AllianceKind",
        "PartnershipKindEnum": "vehicles.models.PartnershipKind",
        "CompanyRoleEnum": "partners.models.Role",
        "ChipRoleEnum": "vehicles.models.ChipRole",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "catalog.openapi.csv_is_text",
        "catalog.openapi.trim_country_lists",
        "catalog.openapi.dates_have_patterns",
        "catalog.openapi.link_created_resources",
        "catalog.openapi.conditional_requests",
        "catalog.openapi.tidy_document",
    ],
}

# Production hardening: on whenever DEBUG is off. Behind a TLS-terminating proxy set
# DJANGO_SECURE_PROXY_SSL_HEADER=1 so Django trusts X-Forwarded-Proto.
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_SECURE_HSTS_SECONDS", 31_536_000))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
    SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
    X_FRAME_OPTIONS = "DENY"
    if env_bool("DJANGO_SECURE_PROXY_SSL_HEADER"):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy: pages load scripts, styles, fonts, images and data from this
# service's own origin only (no CDN, no other host). Inline scripts run only with the
# request's nonce; ReDoc and Swagger UI inject their own styles, hence inline styles.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "worker-src": [SELF, "blob:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"client_mistake": {"()": "catalog.logfilters.ClientMistakeFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        "security": {"class": "logging.StreamHandler", "filters": ["client_mistake"]},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        # A wrong Host or too many fields is the client's mistake: one line, no traceback.
        "django.security": {"handlers": ["security"], "level": "INFO", "propagate": False},
    },
}

# A past version in the admin's history is shown, not restored (catalog.admin.HistoryAdmin
# refuses the restore's POST): this hides django-simple-history's "Revert" button.
SIMPLE_HISTORY_REVERT_DISABLED = True
