"""Inclusion results, computed once per version of the data and kept in the cache.

Why: on a real ICS (hundreds of practices, their patients by LSOA, 24 months of figures) a
dashboard or the evidence pack is seconds to minutes of pandas work, and its answer only
changes when new data arrives: an uptake file, a reference import, an accessibility audit, a
catalogue change. So a
result is computed by a Celery task (``tasks.inclusion``) that reports its progress in a
``TaskRun``, stored in the cache under the *data version*, and served from there until the
data moves on. With tasks in-process (no broker, the embedded default) the task runs inside
the request and the page shows the result at once.

The data version is read from the database, not kept as a counter, so that every web and
worker process agrees on it whichever process imported the data: the number and newest id of
uptake files, uptake sources, reference imports and accessibility audits, and the
catalogue's content version (bumped on every organisation, offer and page change;
``portal.cache``).
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Max
from django.utils import timezone

from portal.cache import content_version
from services_catalogue.models.audit import AccessibilityAudit
from services_catalogue.models.uptake import UptakeFile, UptakeSource
from tasks.models import Outcome, TaskRun

from .models import ReferenceImport

logger = logging.getLogger(__name__)

KINDS = ("dashboard", "evidence", "evidence_pdf")
TASK_NAME = "tasks.inclusion.compute_result"
RESULT_SECONDS = 7 * 24 * 3600  # the key changes with the data; this only bounds memory
# The shape of the results, part of every key: bump it whenever what ``compute`` returns for
# a kind changes, so that results cached by the previous code are never read (they expire
# by themselves).  2: "evidence" is (sections, sources, figures_by_key), no longer a pair.
# 3: dashboards carry ``denominator`` and the funnel's ``position`` labels; the evidence
# rates coverage on unrounded shares.  4: published figures to fixed decimals (disclosure),
# capability shares to one decimal, the accessibility section rated without audits.
RESULT_FORMAT = 4


def data_version() -> str:
    files = UptakeFile.objects.aggregate(n=Count("pk"), last=Max("pk"))
    sources = UptakeSource.objects.aggregate(n=Count("pk"), last=Max("pk"))
    refs = ReferenceImport.objects.aggregate(n=Count("pk"), last=Max("pk"))
    audits = AccessibilityAudit.objects.aggregate(n=Count("pk"), last=Max("pk"))
    return (f"f{files['n']}.{files['last']}-s{sources['n']}.{sources['last']}"
            f"-r{refs['n']}.{refs['last']}-a{audits['n']}.{audits['last']}"
            f"-c{content_version()}")


def _params_hash(kind: str, params: dict) -> str:
    if kind not in KINDS:
        raise ValueError(f"Unknown inclusion result {kind!r}.")
    text = json.dumps([kind, params], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def result_key(kind: str, params: dict, version: str | None = None) -> str:
    return (f"inclusion:result:v{RESULT_FORMAT}:{version or data_version()}:"
            f"{_params_hash(kind, params)}")


def _pending_key(result: str) -> str:
    return result.replace("inclusion:result:", "inclusion:pending:", 1)


def _stale_after() -> timedelta:
    """A run still 'running' after the task's hard time limit has died with its worker."""
    return timedelta(seconds=int(getattr(settings, "CELERY_TASK_TIME_LIMIT", 900)) + 60)


# ---------------------------------------------------------------------------------------
# computing (the plain functions the task wraps)


def compute(kind: str, params: dict, progress=None):
    """The result itself, without the cache: a ``dashboard.Dashboard``; for "evidence",
    ``(sections, sources, figures_by_key)`` (``evidence_figures.sections_and_figures``); for
    "evidence_pdf", the PDF's bytes.

    ``progress(done, total, step)`` is called as the work goes on."""
    from . import dashboard, evidence_figures

    if kind == "dashboard":
        return dashboard.build(params["service"], params["metric"], _date(params["period"]),
                               params["dimension"], progress=progress)
    if kind == "evidence":
        return evidence_figures.sections_and_figures(progress=progress)
    if kind == "evidence_pdf":
        from . import evidence_pdf

        return evidence_pdf.render_pdf(progress=progress)
    raise ValueError(f"Unknown inclusion result {kind!r}.")


def _date(value):
    import datetime

    if value in (None, ""):
        return None
    if isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value))


def board(service: str, metric: str, period, dimension: str, progress=None):
    """A dashboard, from the cache or computed now (and cached): for the evidence pack, which
    reads several dashboards and shares them with the dashboard pages."""
    params = dashboard_params(service, metric, period, dimension)
    key = result_key("dashboard", params)
    found = cache.get(key)
    if found is None:
        found = compute("dashboard", params, progress=progress)
        cache.set(key, found, RESULT_SECONDS)
    return found


def evidence_result(progress=None):
    """The "evidence" result (sections, sources, figures by section), from the cache or
    computed now (and cached): for the PDF, which prints what the page shows."""
    key = result_key("evidence", {})
    found = cache.get(key)
    if found is None:
        found = compute("evidence", {}, progress=progress)
        cache.set(key, found, RESULT_SECONDS)
    return found


def dashboard_params(service: str, metric: str, period, dimension: str) -> dict:
    return {"service": service, "metric": metric,
            "period": period.isoformat() if period else None, "dimension": dimension}


def compute_and_store(kind: str, params: dict, run_id: int | None = None,
                      celery_task_id: str = "") -> dict:
    """Compute a result, cache it under the data version read *before* computing (so a file
    that lands meanwhile makes the next request compute again), and finish its run."""
    from tasks.runs import describe, resume_run, start_run

    version = data_version()
    key = result_key(kind, params, version)
    recorder = resume_run(run_id, celery_task_id=celery_task_id) if run_id else None
    if recorder is None:
        recorder = start_run(TASK_NAME, target=describe_params(kind, params),
                             celery_task_id=celery_task_id)
    if recorder.finished and cache.get(key) is not None:
        return {"outcome": recorder.run.outcome, "run": recorder.run.pk}  # delivered twice
    try:
        result = compute(kind, params, progress=lambda done, total, step: recorder.progress(
            done, total=total, step=step))
        cache.set(key, result, RESULT_SECONDS)
    except Exception as error:
        recorder.fail(describe(error))  # the page shows it and offers to try again
        logger.exception("Inclusion result %s failed", kind)
        raise
    recorder.succeed({"result": kind})
    return {"outcome": "succeeded", "run": recorder.run.pk}


def describe_params(kind: str, params: dict) -> str:
    if kind == "evidence":
        return "Empower citizens evidence"
    if kind == "evidence_pdf":
        return "Empower citizens evidence (PDF)"
    period = params.get("period") or "latest month"
    return f"{params['service']} {params['metric']}, {period}, by {params['dimension']}"


# ---------------------------------------------------------------------------------------
# asking for a result (what the views call)


@dataclass
class Status:
    """A result, or the run computing it (running or failed)."""

    result: object = None
    run: TaskRun | None = None

    @property
    def ready(self) -> bool:
        return self.result is not None

    @property
    def failed(self) -> bool:
        return self.run is not None and self.run.outcome == Outcome.FAILED


def request(kind: str, params: dict, *, retry: bool = False) -> Status:
    """The cached result; else the run already computing it; else start one.

    Only one run per result and data version: the first request claims it in the cache
    (an atomic ``add``); the others show that run's progress."""
    key = result_key(kind, params)
    found = cache.get(key)
    if found is not None:
        return Status(result=found)
    pending = _pending_key(key)
    run_id = cache.get(pending)
    if run_id:
        run = TaskRun.objects.filter(pk=run_id).first()
        if run is not None and run.outcome == Outcome.RUNNING \
                and run.started_at > timezone.now() - _stale_after():
            return Status(run=run)
        if run is not None and run.outcome == Outcome.FAILED and not retry:
            return Status(run=run)
        cache.delete(pending)  # finished but evicted, failed and retried, or died
    return _start(kind, params, key, pending)


def _start(kind: str, params: dict, key: str, pending: str) -> Status:
    from tasks.inclusion import compute_result_task
    from tasks.runs import start_run

    recorder = start_run(TASK_NAME, target=describe_params(kind, params))
    if not cache.add(pending, recorder.run.pk, int(_stale_after().total_seconds())):
        # another request claimed it between our look and now: show that one's run
        recorder.run.delete()
        other = TaskRun.objects.filter(pk=cache.get(pending)).first()
        return Status(result=cache.get(key), run=other)
    recorder.progress(0, step="Waiting for a worker", force=True)
    try:
        compute_result_task.delay(kind, params, recorder.run.pk)
    except Exception as error:
        # in-process: the computation itself failed (recorded by compute_and_store);
        # with a broker: the message could not be sent
        recorder.run.refresh_from_db()
        if recorder.run.outcome == Outcome.RUNNING:
            from tasks.runs import describe

            recorder.fail(describe(error))
        return Status(run=recorder.run)
    found = cache.get(key)
    recorder.run.refresh_from_db()
    return Status(result=found, run=recorder.run)
