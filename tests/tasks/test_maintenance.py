"""History pruning: old audits and finished runs go; the latest audit and running runs stay."""

import datetime

import pytest
from django.utils import timezone

from services_catalogue.models import AccessibilityAudit
from tasks.maintenance import PRUNE_TASK, prune_history
from tasks.models import Outcome, TaskRun

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def audit(service, days_ago, kind="start_page"):
    return AccessibilityAudit.objects.create(
        service=service, url="https://example.org/", kind=kind,
        checked_at=NOW - datetime.timedelta(days=days_ago))


def test_old_audits_go_but_each_services_latest_stays(demo, settings):
    settings.AUDIT_HISTORY_DAYS = 30
    app, login = demo["services"]["nhs-app"], demo["services"]["nhs-login"]
    recent, old = audit(app, 1), audit(app, 40)
    only_old = audit(login, 400)  # nothing newer: it is still the latest
    old_statement = audit(login, 400, kind="statement")
    counts = prune_history(now=NOW)
    left = set(AccessibilityAudit.objects.values_list("pk", flat=True))
    assert left == {recent.pk, only_old.pk, old_statement.pk}
    assert old.pk not in left
    assert counts["audits"] == 1


def test_old_finished_runs_go_but_running_ones_stay(demo, settings):
    settings.TASK_RUN_HISTORY_DAYS = 10
    long_ago = NOW - datetime.timedelta(days=11)
    finished = TaskRun.objects.create(task_name="x", started_at=long_ago,
                                      outcome=Outcome.SUCCEEDED)
    stuck = TaskRun.objects.create(task_name="x", started_at=long_ago)
    fresh = TaskRun.objects.create(task_name="x", outcome=Outcome.FAILED)
    counts = prune_history(now=NOW)
    assert not TaskRun.objects.filter(pk=finished.pk).exists()
    assert TaskRun.objects.filter(pk__in=[stuck.pk, fresh.pk]).count() == 2
    assert counts["task_runs"] == 1
    assert TaskRun.objects.get(task_name=PRUNE_TASK).counts == counts


def test_pruning_is_scheduled_daily(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["prune-history"]
    assert entry["task"] == PRUNE_TASK and entry["schedule"] == 86400
    assert "tasks.maintenance" in settings.CELERY_IMPORTS
