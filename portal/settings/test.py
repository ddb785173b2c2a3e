"""Settings for the test suite: fast hashing, in-memory cache, in-process tasks.

DATABASE_URL still chooses the database (CI points it at PostgreSQL).
"""

import os
import tempfile
from pathlib import Path

from .base import *  # noqa: F401,F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tasks run in-process in tests, except in the Celery worker a worker test starts: it is
# given CELERY_TEST_BROKER_URL (a scratch Redis database) and the test database's URL.
CELERY_TASK_ALWAYS_EAGER = not os.environ.get("CELERY_TEST_BROKER_URL")
CELERY_BROKER_URL = os.environ.get("CELERY_TEST_BROKER_URL") or "memory://localhost/"
UPTAKE_TEST_HOOKS = True
if os.environ.get("DFD_TEST_LOOPBACK_ONLY"):
    # Worker subprocesses of tests: every fetch goes through a transport that refuses
    # anything outside 127.0.0.0/8, whatever the guard decides.
    FETCH_TRANSPORT = "tests.tasks.loopback.LoopbackOnlyTransport"
if os.environ.get("DFD_TEST_CACHE_URL"):
    # Worker subprocesses of tests that share results through the cache with the test.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": os.environ["DFD_TEST_CACHE_URL"]}}
ALLOWED_HOSTS = ["*"]
# Private uploads (uptake files) go to a scratch folder, shared with worker subprocesses
# through the environment they inherit.
os.environ.setdefault("DJANGO_PRIVATE_FILES_ROOT", tempfile.mkdtemp(prefix="dfd-private-"))
PRIVATE_FILES_ROOT = Path(os.environ["DJANGO_PRIVATE_FILES_ROOT"])
