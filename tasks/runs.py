"""Record background runs in `TaskRun`: started, progress while working, outcome, counts, error.

    with record_run("tasks.uptake.collect_source", target=source) as run:
        run.progress(0, total=rows, step="Reading")
        ...
        run.succeed({"inserted": 10})

A run is written (and committed, when no transaction is open) before any work starts, so
the admin sees it running. An exception inside the block marks it failed and propagates.
Progress reported from inside a long transaction is written through a second database
connection on PostgreSQL, so it is visible while the transaction is still open; on other
databases it is kept and written when the transaction ends.
"""

from __future__ import annotations

import logging
import time
from contextlib import contextmanager

from django.contrib.contenttypes.models import ContentType
from django.db import connection, connections
from django.utils import timezone

from .models import Outcome, TaskRun

logger = logging.getLogger(__name__)

PROGRESS_EVERY_SECONDS = 1.0
WORKER_LOST = (
    "The worker stopped before this run finished (killed or lost); the task was delivered "
    "again and a new run started."
)


def describe(error: BaseException) -> str:
    text = str(error).strip()
    name = type(error).__name__
    return f"{name}: {text}" if text else name


class RunRecorder:
    def __init__(self, run: TaskRun):
        self.run = run
        self._last_write = 0.0
        self._side_connection = None

    # -- progress --------------------------------------------------------------------
    def progress(self, done: int, total: int | None = None, step: str | None = None,
                 force: bool = False) -> None:
        run = self.run
        run.progress_done = int(done)
        if total is not None:
            run.progress_total = int(total)
        if step is not None:
            run.progress_step = step[:100]
        now = time.monotonic()
        finished_step = bool(run.progress_total) and run.progress_done >= run.progress_total
        if not (force or finished_step) and now - self._last_write < PROGRESS_EVERY_SECONDS:
            return
        self._last_write = now
        self._write_progress()

    def _write_progress(self) -> None:
        run = self.run
        values = {"progress_done": run.progress_done, "progress_total": run.progress_total,
                  "progress_step": run.progress_step}
        if not connection.in_atomic_block:
            TaskRun.objects.filter(pk=run.pk).update(**values)
            return
        if connection.vendor != "postgresql":
            return  # written when the run finishes
        try:
            if self._side_connection is None:
                self._side_connection = connections.create_connection(connection.alias)
            with self._side_connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {TaskRun._meta.db_table} SET progress_done = %s, "
                    "progress_total = %s, progress_step = %s WHERE id = %s",
                    [values["progress_done"], values["progress_total"], values["progress_step"],
                     run.pk],
                )
        except Exception:  # progress is a nicety: never let it break the run
            logger.warning("Could not record progress of task run %s", run.pk, exc_info=True)

    # -- outcome ---------------------------------------------------------------------
    def succeed(self, counts: dict | None = None) -> None:
        self._finish(Outcome.SUCCEEDED, counts=counts)

    def fail(self, error: str, counts: dict | None = None) -> None:
        self._finish(Outcome.FAILED, counts=counts, error=error)

    def _finish(self, outcome: str, counts: dict | None = None, error: str = "") -> None:
        run = self.run
        run.outcome = outcome
        run.finished_at = timezone.now()
        if counts is not None:
            run.counts = counts
        if error:
            run.error = error
        if outcome == Outcome.SUCCEEDED and run.progress_total:
            run.progress_done = run.progress_total
        run.save(update_fields=["outcome", "finished_at", "counts", "error", "progress_done",
                                "progress_total", "progress_step"])
        self.close()

    @property
    def finished(self) -> bool:
        return self.run.outcome != Outcome.RUNNING

    def close(self) -> None:
        if self._side_connection is not None:
            try:
                self._side_connection.close()
            except Exception:  # pragma: no cover - closing a broken connection
                pass
            self._side_connection = None


def start_run(task_name: str, *, target: object = "", celery_task_id: str = "",
              attempt: int = 1) -> RunRecorder:
    """Create the TaskRun (outcome running) and return its recorder."""
    label = str(target) if target else ""
    content_type, object_id = None, None
    if target is not None and hasattr(target, "_meta") and getattr(target, "pk", None):
        content_type = ContentType.objects.get_for_model(target)
        object_id = target.pk
    if celery_task_id:
        # A run of this very message still "running" means its worker died mid-way
        # (acks_late redelivered the message): say so instead of leaving it running forever.
        TaskRun.objects.filter(celery_task_id=celery_task_id, outcome=Outcome.RUNNING).update(
            outcome=Outcome.FAILED, finished_at=timezone.now(), error=WORKER_LOST
        )
    run = TaskRun.objects.create(
        task_name=task_name, target=label[:255], target_content_type=content_type,
        target_object_id=object_id, celery_task_id=celery_task_id or "", attempt=attempt,
    )
    return RunRecorder(run)


def resume_run(run_id: int, *, celery_task_id: str = "") -> RunRecorder | None:
    """The recorder of a run created before its task was queued (so the page that queued it
    can show its progress at once); None if that run no longer exists."""
    run = TaskRun.objects.filter(pk=run_id).first()
    if run is None:
        return None
    if celery_task_id and run.celery_task_id != celery_task_id:
        run.celery_task_id = celery_task_id
        run.save(update_fields=["celery_task_id"])
    return RunRecorder(run)


@contextmanager
def record_run(task_name: str, *, target: object = "", celery_task_id: str = "",
               attempt: int = 1):
    recorder = start_run(task_name, target=target, celery_task_id=celery_task_id,
                         attempt=attempt)
    try:
        yield recorder
    except BaseException as error:
        if not recorder.finished:
            try:
                recorder.fail(describe(error))
            except Exception:  # the database itself may be what failed
                logger.exception("Could not record the failure of task run %s", recorder.run.pk)
        raise
    else:
        if not recorder.finished:
            recorder.succeed()
    finally:
        recorder.close()
