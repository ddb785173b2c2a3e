"""Accessibility audits and link checks on Celery.

`audit_all_accessibility` (beat, daily) enqueues one `audit_service` task per live,
non-retired service, so a slow or failing site never holds up the others. `audit_service`
retries network errors and 5xx answers from the start page with exponential backoff and
jitter; on its last attempt (or at once when tasks run in-process, where nothing can be
retried later) it stores the failure as that day's audit. `check_links` (beat,
daily) checks every external link in published content. Every run is a `TaskRun`.

The plain functions (`audit_service_by_id`, `enqueue_all_audits`, `check_all_links`) know
nothing of Celery; the logic they call is in :mod:`services_catalogue.audit`.
"""

from __future__ import annotations

import logging

import httpx
from celery import shared_task
from django.conf import settings

from services_catalogue.audit.links import LINK_CHECK_MAX_BYTES, check_links
from services_catalogue.audit.runner import (
    START_PAGE,
    TransientAuditError,
    audit_service,
    services_to_audit,
)
from services_catalogue.models import AccessibilityAudit, DigitalService

from .fetch import fetcher_from_settings
from .runs import describe, record_run

logger = logging.getLogger(__name__)

AUDIT_SERVICE_TASK = "tasks.audits.audit_service"
AUDIT_ALL_TASK = "tasks.audits.audit_all_accessibility"
CHECK_LINKS_TASK = "tasks.audits.check_links"
MAX_RETRIES = int(getattr(settings, "ACCESSIBILITY_AUDIT_MAX_RETRIES", 3))
# Errors escaping the fetcher (which turns network trouble into results) are retried too.
NETWORK_ERRORS = (OSError, httpx.TransportError)


def audit_service_by_id(service_id: int, engine: str | None = None, *, final_attempt: bool = True,
                        celery_task_id: str = "", attempt: int = 1, fetcher=None) -> dict:
    """Audit one service and record the run. Returns the run's counts.

    Before the final attempt, a network error or 5xx on the start page raises
    TransientAuditError (after recording the failed attempt) so the task can retry. On the
    final attempt the failure is stored as the service's audit; any other error is stored as
    well, so one service never stops the others."""
    service = DigitalService.objects.live().filter(pk=service_id).first()
    if service is None:
        with record_run(AUDIT_SERVICE_TASK, target=f"service {service_id}",
                        celery_task_id=celery_task_id, attempt=attempt) as run:
            run.fail("The service no longer exists or is not live.")
        return {"outcome": "failed", "error": "The service no longer exists or is not live."}
    own_fetcher = fetcher is None
    fetcher = fetcher or fetcher_from_settings()
    try:
        with record_run(AUDIT_SERVICE_TASK, target=service, celery_task_id=celery_task_id,
                        attempt=attempt) as run:
            try:
                audits = audit_service(service, fetcher, engine=engine,
                                       retry_transient=not final_attempt)
            except TransientAuditError as error:
                run.fail(f"{error} (attempt {attempt}; retried with backoff)")
                raise
            except Exception as error:  # noqa: BLE001 - stored; the run is marked failed
                logger.exception("Auditing %s failed", service.service_url)
                message = f"The audit failed: {describe(error)}"
                AccessibilityAudit.objects.create(
                    service=service, url=service.service_url[:2000], kind=START_PAGE,
                    error=message,
                )
                run.fail(message)
                return {"outcome": "failed", "error": message}
            start = audits[0]
            counts = {
                "urls": len(audits), "failed": start.failed_count,
                "cantTell": start.cant_tell_count, "passed": start.passed_count,
                # a start page that could not be fetched says nothing about the statement
                "statement": ("not checked" if start.error
                              else "found" if start.statement_found else "not found"),
            }
            if start.error:
                run.fail(start.error, counts=counts)
            else:
                run.succeed(counts)
            return counts
    finally:
        if own_fetcher:
            fetcher.close()


def enqueue_all_audits(engine: str | None = None, *, enqueue=None) -> dict:
    """Enqueue an audit of each live, non-retired service. With tasks in-process, a service
    whose audit raises is recorded and the others still run."""
    if enqueue is None:
        def enqueue(pk):
            return audit_service_task.delay(pk, engine)
    ids = list(services_to_audit().values_list("pk", flat=True))
    with record_run(AUDIT_ALL_TASK, target=f"{len(ids)} service(s)") as run:
        enqueued, failed = 0, []
        for done, pk in enumerate(ids):
            try:
                enqueue(pk)
                enqueued += 1
            except Exception as error:  # noqa: BLE001 - in-process mode
                logger.warning("Auditing service %s failed: %s", pk, error)
                failed.append({"service": pk, "error": describe(error)})
            run.progress(done + 1, total=len(ids), step="Enqueuing")
        counts = {"services": len(ids), "enqueued": enqueued, "failed": len(failed)}
        if failed:
            counts["failures"] = failed
        run.succeed(counts)
    return counts


def check_all_links(fetcher=None) -> dict:
    own_fetcher = fetcher is None
    fetcher = fetcher or fetcher_from_settings(max_bytes=LINK_CHECK_MAX_BYTES)
    try:
        with record_run(CHECK_LINKS_TASK, target="links in published content") as run:
            result = check_links(fetcher)
            counts = {"links": result.links, "urls": result.urls, "broken": result.broken,
                      "removed": result.removed}
            run.succeed(counts)
            return counts
    finally:
        if own_fetcher:
            fetcher.close()


RETRY_OPTIONS = dict(
    retry_backoff=60,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=MAX_RETRIES,
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
)


@shared_task(bind=True, name=AUDIT_SERVICE_TASK,
             autoretry_for=(TransientAuditError, *NETWORK_ERRORS), **RETRY_OPTIONS)
def audit_service_task(self, service_id: int, engine: str | None = None) -> dict:
    # In-process (no broker) a retry cannot be scheduled: store the failure at once.
    final = bool(self.request.is_eager) or self.request.retries >= self.max_retries
    return audit_service_by_id(
        service_id, engine, final_attempt=final,
        celery_task_id=self.request.id or "", attempt=self.request.retries + 1,
    )


@shared_task(bind=True, name=AUDIT_ALL_TASK, **RETRY_OPTIONS)
def audit_all_task(self, engine: str | None = None) -> dict:
    return enqueue_all_audits(engine)


@shared_task(bind=True, name=CHECK_LINKS_TASK, autoretry_for=NETWORK_ERRORS, **RETRY_OPTIONS)
def check_links_task(self) -> dict:
    return check_all_links()

