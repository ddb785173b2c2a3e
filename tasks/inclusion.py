"""Inclusion results on Celery: the dashboard's and the evidence pack's computations.

A thin wrapper round ``inclusion.results.compute_and_store``; the page that asked created
the run first, so it can show its progress while the task waits for and runs on a worker.
Safe to run twice (acks_late): computing is pure and storing the result overwrites the
same cache key with the same answer.
"""

from __future__ import annotations

from celery import shared_task

from inclusion.results import TASK_NAME, compute_and_store


@shared_task(bind=True, name=TASK_NAME, acks_late=True, reject_on_worker_lost=True,
             ignore_result=True)
def compute_result_task(self, kind: str, params: dict, run_id: int | None = None) -> dict:
    return compute_and_store(kind, params, run_id, celery_task_id=self.request.id or "")
