"""Settings for the test suite: fast hashing, in-memory cache, in-process tasks.

DATABASE_URL still chooses the database (CI points it at PostgreSQL).
"""

from .base import *  # noqa: F401,F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = ""
ALLOWED_HOSTS = ["*"]
