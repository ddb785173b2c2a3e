"""Keeping history bounded: old accessibility audits and finished task runs are deleted.

Why: an audit is two rows a service a day with their findings, and every task writes a run;
unpruned, both tables grow for ever and the admin lists slow down. History is kept long
enough for its use: audits for AUDIT_HISTORY_DAYS (default two years, for the trend on a
service's page), with each service's latest start-page and statement audit kept whatever
its age; finished task runs for TASK_RUN_HISTORY_DAYS (default 90). Running runs are never
touched. Daily on beat.
"""

from __future__ import annotations

import datetime

from celery import shared_task
from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from services_catalogue.models import AccessibilityAudit

from .models import Outcome, TaskRun
from .runs import record_run

PRUNE_TASK = "tasks.maintenance.prune_history"


def prune_history(*, now: datetime.datetime | None = None) -> dict:
    now = now or timezone.now()
    audit_days = int(getattr(settings, "AUDIT_HISTORY_DAYS", 730))
    run_days = int(getattr(settings, "TASK_RUN_HISTORY_DAYS", 90))
    with record_run(PRUNE_TASK, target="audit and task-run history") as run:
        latest = (AccessibilityAudit.objects.values("service", "kind")
                  .annotate(last=Max("checked_at")))
        keep = set()
        for row in latest:
            pk = AccessibilityAudit.objects.filter(
                service=row["service"], kind=row["kind"], checked_at=row["last"]
            ).values_list("pk", flat=True).order_by("-pk").first()
            keep.add(pk)
        old_audits = AccessibilityAudit.objects.filter(
            checked_at__lt=now - datetime.timedelta(days=audit_days)).exclude(pk__in=keep)
        audits, _ = old_audits.delete()
        old_runs = TaskRun.objects.filter(
            started_at__lt=now - datetime.timedelta(days=run_days)).exclude(
            outcome=Outcome.RUNNING).exclude(pk=run.run.pk)
        runs, _ = old_runs.delete()
        counts = {"audits": audits, "task_runs": runs}
        run.succeed(counts)
    return counts


@shared_task(name=PRUNE_TASK, ignore_result=True, acks_late=True)
def prune_history_task() -> dict:
    return prune_history()
