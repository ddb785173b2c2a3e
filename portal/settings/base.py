"""Settings shared by every environment.

Every value that differs between a laptop and production is read from an
environment variable with a safe default, so the embedded default (SQLite,
in-process tasks) needs no configuration at all.
"""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "dev-only-insecure-key-do-not-use-in-production")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "portal",
    "services_catalogue",
    "inclusion",
    "tasks",
    "wagtailnhsukfrontend",
    "wagtailnhsukfrontend.settings",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.routable_page",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "portal.cache.AnonymousPageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "portal.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    },
]

WSGI_APPLICATION = "portal.wsgi.application"

# DATABASE_URL, when set, chooses the database in every settings module.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")),
    )
}

# wagtail-nhsuk-frontend's settings app declares no default; keep AutoField so
# `makemigrations --check` stays clean for it.
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "static_collected"))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", BASE_DIR / "media"))
# Uploaded files that are never served (uptake files): outside MEDIA_ROOT, with no URL.
PRIVATE_FILES_ROOT = Path(os.environ.get("DJANGO_PRIVATE_FILES_ROOT", BASE_DIR / "private"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "digital-front-door",
    }
}
# Seconds an anonymous page stays cached; publishing anything invalidates sooner.
PAGE_CACHE_SECONDS = int(os.environ.get("PAGE_CACHE_SECONDS", "600"))

# bench/catalogue.py only: serve /_bench/baseline/, a tiny plain-text view through the full
# middleware stack that the benchmark compares pages with. Off unless the env var says so.
BENCHMARK_BASELINE_VIEW = env_bool("BENCHMARK_BASELINE_VIEW", False)

WAGTAIL_SITE_NAME = "Digital Front Door"
WAGTAILADMIN_BASE_URL = os.environ.get("WAGTAILADMIN_BASE_URL", "http://127.0.0.1:8000")
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAIL_I18N_ENABLED = False
WAGTAILDOCS_EXTENSIONS = ["csv", "pdf", "xlsx", "txt"]

# A service record not reviewed for this many days is shown to editors as overdue.
SERVICE_REVIEW_INTERVAL_DAYS = int(os.environ.get("SERVICE_REVIEW_INTERVAL_DAYS", "183"))

# The largest offers CSV `import_offers` and the admin upload accept, in bytes.
OFFER_IMPORT_MAX_BYTES = int(os.environ.get("OFFER_IMPORT_MAX_BYTES", str(5 * 1024 * 1024)))

# Celery: with no broker configured, tasks run in-process (the embedded default). Celery still takes a producer from its pool for an eager
# task; kombu's in-memory transport gives it one without any connection ("localhost" is only
# a label there; an empty URL meant amqp on localhost, and a warning on every task).
CELERY_TASK_ALWAYS_EAGER = not os.environ.get("CELERY_BROKER_URL")
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or "memory://localhost/"
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or None
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = int(os.environ.get("CELERY_TASK_SOFT_TIME_LIMIT", "600"))
CELERY_TASK_TIME_LIMIT = int(os.environ.get("CELERY_TASK_TIME_LIMIT", "900"))
CELERY_IMPORTS = ["tasks.publishing", "tasks.uptake", "tasks.audits", "tasks.inclusion",
                  "tasks.maintenance"]
# Redis redelivers a message not acknowledged within visibility_timeout (acks_late: a
# task whose worker died). It must exceed the longest task plus its retry countdown.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "7200")),
    "unacked_restore_interval": int(os.environ.get("CELERY_UNACKED_RESTORE_INTERVAL", "10")),
    "unacked_restore_throttle": int(os.environ.get("CELERY_UNACKED_RESTORE_THROTTLE", "10")),
}
CELERY_BEAT_SCHEDULE = {
    "publish-scheduled-pages": {
        "task": "tasks.publishing.publish_scheduled_pages",
        "schedule": float(os.environ.get("PUBLISH_SCHEDULED_EVERY_SECONDS", "60")),
    },
    # Each uptake source has its own schedule; this only decides how often to look.
    "dispatch-uptake-sources": {
        "task": "tasks.uptake.dispatch_due_sources",
        "schedule": 60.0 * float(os.environ.get("UPTAKE_DISPATCH_EVERY_MINUTES", "15")),
    },
    # Accessibility audits (one task per service) and the link checker: daily.
    "audit-accessibility": {
        "task": "tasks.audits.audit_all_accessibility",
        "schedule": 3600.0 * float(os.environ.get("ACCESSIBILITY_AUDIT_EVERY_HOURS", "24")),
    },
    "check-links": {
        "task": "tasks.audits.check_links",
        "schedule": 3600.0 * float(os.environ.get("LINK_CHECK_EVERY_HOURS", "24")),
    },
    # Old audits and finished task runs (tasks.maintenance): daily.
    "prune-history": {
        "task": "tasks.maintenance.prune_history",
        "schedule": 3600.0 * 24,
    },
}
AUDIT_HISTORY_DAYS = int(os.environ.get("AUDIT_HISTORY_DAYS", "730"))
TASK_RUN_HISTORY_DAYS = int(os.environ.get("TASK_RUN_HISTORY_DAYS", "90"))

# Uptake collection (services_catalogue.uptake, tasks.uptake).
UPTAKE_MAX_BYTES = int(os.environ.get("UPTAKE_MAX_BYTES", str(200 * 1024 * 1024)))
UPTAKE_FETCH_TIMEOUT_SECONDS = float(os.environ.get("UPTAKE_FETCH_TIMEOUT_SECONDS", "60"))
UPTAKE_TASK_MAX_RETRIES = int(os.environ.get("UPTAKE_TASK_MAX_RETRIES", "5"))
UPTAKE_TASK_SOFT_TIME_LIMIT = int(os.environ.get("UPTAKE_TASK_SOFT_TIME_LIMIT", "1800"))
UPTAKE_TASK_TIME_LIMIT = int(os.environ.get("UPTAKE_TASK_TIME_LIMIT", "2100"))
# Test-only hooks in the uptake import (see services_catalogue.uptake.pipeline); test.py sets it.
UPTAKE_TEST_HOOKS = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# The fetcher's SSRF guard refuses non-public addresses except these networks (tests
# allow-list their fixture server on 127.0.0.1). Comma-separated CIDRs.
FETCH_ALLOWED_NETWORKS = env_list("FETCH_ALLOWED_NETWORKS")
# Fetch from this machine only (audits, link checks, uptake sources): on in the demo and
# development (settings.dev), so nothing there can reach the internet by mistake.
FETCH_OFFLINE = env_bool("FETCH_OFFLINE", False)
FETCH_MAX_BYTES = int(os.environ.get("FETCH_MAX_BYTES", str(5 * 1024 * 1024)))
FETCH_TIMEOUT_SECONDS = float(os.environ.get("FETCH_TIMEOUT_SECONDS", "10"))
