"""Uptake collection on Celery: a beat-driven dispatcher and one task per source.

`dispatch_due_sources` (beat, every UPTAKE_DISPATCH_EVERY_MINUTES) enqueues each active
source whose own schedule says it is due, each as its own `collect_source` task, so a
failing source never holds up the others. `collect_source` retries network errors and
5xx answers with exponential backoff and jitter; a bad file or a 4xx is recorded and not
retried. Every run is a `TaskRun`.

Safe to run twice: the import is one transaction that locks its source row, and storing
the same file again changes nothing, so a message delivered twice (acks_late after a
worker was lost) gives the result of one clean run.

The plain functions (`collect_source_by_id`, `dispatch_due_sources`) know nothing of
Celery; the tasks are thin wrappers.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from services_catalogue.models import UptakeSchedule, UptakeSource
from services_catalogue.uptake import UptakeImportError
from services_catalogue.uptake.collect import CollectError, TransientCollectError, collect_source

from .runs import describe, record_run

logger = logging.getLogger(__name__)

COLLECT_TASK = "tasks.uptake.collect_source"
DISPATCH_TASK = "tasks.uptake.dispatch_due_sources"


def collect_source_by_id(source_id: int, *, celery_task_id: str = "", attempt: int = 1,
                         fetcher=None, today=None) -> dict:
    """Collect one source and record the run. Returns the run's counts.

    Raises TransientCollectError (after recording the failed attempt) so the task can
    retry; every other failure is recorded and returned, not raised."""
    source = UptakeSource.objects.filter(pk=source_id).first()
    if source is None:
        with record_run(COLLECT_TASK, target=f"uptake source {source_id}",
                        celery_task_id=celery_task_id, attempt=attempt) as run:
            run.fail("The source no longer exists.")
        return {"outcome": "failed", "error": "The source no longer exists."}
    with record_run(COLLECT_TASK, target=source, celery_task_id=celery_task_id,
                    attempt=attempt) as run:
        try:
            result = collect_source(source, fetcher=fetcher, progress=run.progress, today=today)
        except UptakeImportError as error:
            message = (f"The file was refused ({error.total:,} problem"
                       f"{'s' if error.total != 1 else ''}); nothing changed.\n{error}")
            UptakeSource.objects.filter(pk=source.pk).update(
                last_checked_at=timezone.now(), last_error=message[:2000])
            run.fail(message, counts={"problems": error.total})
            return {"outcome": "failed", "problems": error.total}
        except TransientCollectError as error:
            run.fail(f"{error} (attempt {attempt}; retried with backoff)")
            raise
        except CollectError as error:
            run.fail(str(error))
            return {"outcome": "failed", "error": str(error)}
        counts = result.counts()
        run.succeed(counts)
        return counts


def dispatch_due_sources(*, now=None, enqueue=None) -> dict:
    """Enqueue a collection of each active source whose schedule says it is due.

    Each source is claimed first (its `last_dispatched_at` moved on in one conditional
    UPDATE), so two dispatchers running at once never enqueue the same source twice.
    With tasks in-process, a source that fails is recorded and the others still run."""
    now = now or timezone.now()
    if enqueue is None:
        def enqueue(pk):
            return collect_source_task.delay(pk)
    sources = UptakeSource.objects.filter(active=True).exclude(schedule=UptakeSchedule.MANUAL)
    due = [source for source in sources.order_by("pk") if source.is_due(now)]
    with record_run(DISPATCH_TASK, target=f"{len(due)} due uptake source(s)") as run:
        enqueued, failed = [], []
        for source in due:
            claimed = UptakeSource.objects.filter(
                pk=source.pk, last_dispatched_at=source.last_dispatched_at
            ).update(last_dispatched_at=now)
            if not claimed:
                continue  # another dispatcher got there first
            try:
                enqueue(source.pk)
                enqueued.append(source.name)
            except Exception as error:  # in-process mode: one source never stops the others
                logger.warning("Collecting uptake source %s failed: %s", source.name, error)
                failed.append({"source": source.name, "error": describe(error)})
        counts = {"due": len(due), "enqueued": len(enqueued), "failed": len(failed)}
        if failed:
            counts["failures"] = failed
        run.succeed(counts)
    return counts


@shared_task(
    bind=True,
    name=COLLECT_TASK,
    autoretry_for=(TransientCollectError,),
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=int(getattr(settings, "UPTAKE_TASK_MAX_RETRIES", 5)),
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=int(getattr(settings, "UPTAKE_TASK_SOFT_TIME_LIMIT", 1800)),
    time_limit=int(getattr(settings, "UPTAKE_TASK_TIME_LIMIT", 2100)),
    ignore_result=True,
)
def collect_source_task(self, source_id: int) -> dict:
    return collect_source_by_id(
        source_id, celery_task_id=self.request.id or "", attempt=self.request.retries + 1
    )


@shared_task(name=DISPATCH_TASK, ignore_result=True, acks_late=True)
def dispatch_due_sources_task() -> dict:
    return dispatch_due_sources()
