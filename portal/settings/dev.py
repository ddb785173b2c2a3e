"""The embedded default: SQLite, in-process tasks, debug pages."""

from .base import *  # noqa: F401,F403
from .base import env_bool

DEBUG = env_bool("DJANGO_DEBUG", True)
# The demo fetches nothing from the internet (audits, link checks, uptake sources say so);
# FETCH_OFFLINE=false lets a developer audit real sites.
FETCH_OFFLINE = env_bool("FETCH_OFFLINE", True)
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
