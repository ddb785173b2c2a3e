"""The evidence pack worked out on a real Celery worker while the page shows its progress.

The test process and the worker share a scratch Redis cache (db 12) as production's web and
worker processes share theirs; the broker is the worker tests' scratch Redis db 13.
PostgreSQL only (see test_uptake_worker).
"""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Group
from django.test import override_settings

from inclusion import results
from tasks import celery_app
from tasks.models import Outcome, TaskRun
from tests.tasks.test_uptake_worker import (  # noqa: F401 - an autouse fixture
    _sequences_follow_the_restored_rows,
    wait_for,
)

CACHE_URL = "redis://127.0.0.1:6379/12"

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def shared_cache(broker):
    import redis

    client = redis.Redis.from_url(CACHE_URL, socket_connect_timeout=2, socket_timeout=5)
    client.flushdb()
    caches = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": CACHE_URL}}
    try:
        with override_settings(CACHES=caches):
            yield
    finally:
        client.flushdb()
        client.close()


@pytest.fixture
def queued(broker):
    """Tasks go to the broker instead of running in the test process."""
    conf = celery_app.conf
    saved = (conf.task_always_eager, conf.broker_url)

    def fresh_pools():
        # Eager tasks earlier in the session made producer pools for the default broker;
        # drop them so that messages go to this test's broker.
        if celery_app._pool is not None:
            celery_app._pool.force_close_all()
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    conf.task_always_eager, conf.broker_url = False, broker
    fresh_pools()
    try:
        yield
    finally:
        conf.task_always_eager, conf.broker_url = saved
        fresh_pools()


def test_the_evidence_pack_is_worked_out_on_the_worker_and_then_served_from_the_cache(
        client, django_user_model, shared_cache, queued, workers):
    from portal.demo.loader import load_demo

    load_demo()
    user = django_user_model.objects.create_user("lead", password="pw")
    user.groups.add(Group.objects.get(name="Inclusion leads"))
    client.force_login(user)
    worker = workers(DFD_TEST_CACHE_URL=CACHE_URL)

    first = client.get("/admin/inclusion/evidence/")
    assert first.status_code == 202
    page = BeautifulSoup(first.content.decode(), "html.parser")
    assert page.select_one("progress#calculating-progress") is not None
    run = TaskRun.objects.get(task_name=results.TASK_NAME)

    wait_for(lambda: TaskRun.objects.filter(pk=run.pk, outcome=Outcome.SUCCEEDED).exists(),
             120, "the evidence run", worker)
    run.refresh_from_db()
    assert run.celery_task_id and run.progress_done == run.progress_total > 1

    second = client.get("/admin/inclusion/evidence/")
    assert second.status_code == 200
    page = BeautifulSoup(second.content.decode(), "html.parser")
    for key in ("coverage", "use", "self_service", "records", "support", "gaps"):
        assert page.select_one(f"section#{key}") is not None, key
    assert TaskRun.objects.filter(task_name=results.TASK_NAME).count() == 1
