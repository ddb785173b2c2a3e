"""Worker fixtures shared by the worker tests (a real Celery worker on a scratch Redis)."""

from tests.tasks.test_uptake_worker import broker, workers  # noqa: F401 - fixtures
