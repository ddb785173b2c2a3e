"""Uptake collection on a real Celery worker, on Redis, into the test database.

Each test starts `celery -A tasks worker --pool=solo` as a subprocess with the test
settings, a scratch Redis database (redis://127.0.0.1:6379/13, flushed before and after)
and DATABASE_URL pointing at this test's database, so the worker sees what the test
committed: the tests are transactional (`serialized_rollback` restores what migrations
created after the flush; the demo ICS is loaded by each test). Workers fetch only from
the fixture server on 127.0.0.1, through a loopback-only transport. Every subprocess is
killed in `finally`, and every wait is bounded.

PostgreSQL only: pytest-django's SQLite test database lives in memory, where another
process cannot open it (CI runs these on PostgreSQL through DATABASE_URL).
"""

from __future__ import annotations

import datetime
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from services_catalogue.models import UptakeFile, UptakeObservation, UptakeSource
from tasks.models import Outcome, TaskRun
from tasks.runs import WORKER_LOST
from tasks.uptake import COLLECT_TASK, DISPATCH_TASK
from tests.services_catalogue.uptake.helpers import figures
from tests.tasks.uptake_server import UptakeServer

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("DFD_TEST_WORKER_REDIS_URL", "redis://127.0.0.1:6379/13")
VISIBILITY_TIMEOUT = 5

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(autouse=True)
def _sequences_follow_the_restored_rows(transactional_db):
    """serialized_rollback re-inserts the demo with its primary keys but leaves PostgreSQL's
    sequences where the flush put them, so the next insert would reuse id 1: move them on."""
    from django.apps import apps
    from django.core.management.color import no_style

    if connection.vendor != "postgresql":
        return
    statements = connection.ops.sequence_reset_sql(no_style(), apps.get_models())
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def redis_client():
    import redis

    return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=5)


@pytest.fixture
def broker():
    if connection.vendor != "postgresql":
        pytest.skip("Worker tests need PostgreSQL: the SQLite test database is in memory, "
                    "out of a worker process's reach. Run with DATABASE_URL=postgres://... "
                    "(CI does).")
    client = redis_client()
    try:
        client.ping()
    except Exception as error:  # noqa: BLE001 - any failure means no broker to test with
        pytest.skip(f"No Redis at {REDIS_URL} ({error}); CI starts one (.ci/run).")
    client.flushdb()
    try:
        yield REDIS_URL
    finally:
        client.flushdb()
        client.close()


def database_url() -> str:
    s = connection.settings_dict
    auth = quote(s["USER"] or "", safe="")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"], safe="")
    host = s.get("HOST") or "127.0.0.1"
    port = s.get("PORT") or "5432"
    return f"postgres://{auth}@{host}:{port}/{quote(s['NAME'], safe='')}"


class Worker:
    """One `celery worker` subprocess (its own session, so a kill takes all of it)."""

    def __init__(self, broker_url: str, log_dir: Path, **env):
        self.name = f"dfdtest-{uuid.uuid4().hex[:8]}@%h"
        self.log_path = log_dir / f"worker-{uuid.uuid4().hex[:6]}.log"
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "portal.settings.test",
            "DATABASE_URL": database_url(),
            "CELERY_TEST_BROKER_URL": broker_url,
            "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
            "CELERY_UNACKED_RESTORE_INTERVAL": "1",
            "CELERY_UNACKED_RESTORE_THROTTLE": "1",
            "FETCH_ALLOWED_NETWORKS": "127.0.0.1/32",
            "DFD_TEST_LOOPBACK_ONLY": "1",
            "UPTAKE_TASK_MAX_RETRIES": "1",
            "PYTHONUNBUFFERED": "1",
            **env,
        }
        self.log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "tasks", "worker", "--pool=solo",
             "--concurrency=1", "--without-gossip", "--without-mingle", "--without-heartbeat",
             "--loglevel=INFO", "-n", self.name],
            cwd=ROOT, env=environment, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if " ready." in self.output():
                return
            if self.process.poll() is not None:
                raise AssertionError(f"the worker exited early:\n{self.output()[-3000:]}")
            time.sleep(0.2)
        raise AssertionError(f"the worker did not start in {timeout}s:\n{self.output()[-3000:]}")

    def kill(self, sig=signal.SIGKILL) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                pass
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=15)
        self.log.close()

    def stop(self) -> None:
        """Warm shutdown (SIGTERM), then SIGKILL if it does not go."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                pass
        self.kill()


@pytest.fixture
def workers(broker, tmp_path):
    started: list[Worker] = []

    def start(**env) -> Worker:
        worker = Worker(broker, tmp_path, **env)
        started.append(worker)
        worker.wait_ready()
        return worker

    try:
        yield start
    finally:
        for worker in started:
            worker.stop()


def send(broker_url: str, task: str, *args) -> str:
    from celery import Celery

    producer = Celery("dfd-test-producer", broker=broker_url)
    producer.conf.update(task_serializer="json", accept_content=["json"])
    try:
        return producer.send_task(task, args=list(args)).id
    finally:
        producer.close()


def wait_for(condition, timeout: float, what: str, worker: Worker | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.25)
    log = f"\nworker log:\n{worker.output()[-4000:]}" if worker else ""
    raise AssertionError(f"timed out after {timeout}s waiting for {what}{log}")


def uptake_csv(rows: int = 3000) -> tuple[bytes, set]:
    """A file for the demo ICS: every practice x metrics x months, and its expected figures."""
    from services_catalogue.models import Organisation

    practices = list(Organisation.objects.filter(kind="gp_practice").order_by("ods_code")
                     .values_list("ods_code", flat=True))
    lines = ["period,ods_code,service_slug,metric,value,denominator"]
    expected = set()
    i = 0
    for month in range(1, 13):
        for code in practices:
            for metric in ("logins", "registrations", "active_users", "transactions"):
                value, denominator = (i * 7919) % 5000, 5000
                lines.append(f"2024-{month:02d},{code},nhs-app,{metric},{value},{denominator}")
                expected.add((code, datetime.date(2024, month, 1), metric, value, denominator))
                i += 1
                if i >= rows:
                    return ("\n".join(lines) + "\n").encode(), expected
    return ("\n".join(lines) + "\n").encode(), expected


def observed(source_name: str) -> set:
    return {(code, period, metric, value, denominator)
            for _slug, code, period, metric, value, denominator, _s, _h in figures(source_name)}


def test_the_beat_dispatcher_collects_due_sources_on_the_worker(workers, broker):
    from portal.demo.loader import load_demo

    load_demo()
    data, expected = uptake_csv(1500)
    with UptakeServer() as server:
        server.files["/uptake.csv"] = data
        good = UptakeSource.objects.create(name="Good", url=server.url("/uptake.csv"),
                                           schedule="daily")
        failing = UptakeSource.objects.create(name="Failing", url=server.url("/status/503"),
                                              schedule="daily")
        worker = workers()
        send(broker, DISPATCH_TASK)

        def finished():
            good_done = TaskRun.objects.filter(target_object_id=good.pk, task_name=COLLECT_TASK,
                                               outcome=Outcome.SUCCEEDED).exists()
            failed = TaskRun.for_target(failing).filter(outcome=Outcome.FAILED).count()
            return good_done and failed >= 2  # first try and the one retry (max_retries=1)

        wait_for(finished, 90, "both sources' runs", worker)
        assert observed("Good") == expected
        run = TaskRun.for_target(good).get()
        assert run.counts["inserted"] == len(expected) and run.counts["outcome"] == "imported"
        assert (run.progress_done, run.progress_total) == (len(expected), len(expected))
        attempts = sorted(TaskRun.for_target(failing).values_list("attempt", flat=True))
        assert attempts == [1, 2]
        assert TaskRun.objects.get(task_name=DISPATCH_TASK).counts["enqueued"] == 2
        assert UptakeObservation.objects.filter(source=failing).count() == 0


def test_a_worker_killed_mid_import_changes_nothing_and_the_redelivery_imports_once(
        workers, broker, tmp_path):
    from portal.demo.loader import load_demo

    load_demo()
    data, expected = uptake_csv(3000)
    marker = tmp_path / "inside-transaction"
    with UptakeServer() as server:
        server.files["/uptake.csv"] = data
        source = UptakeSource.objects.create(name="Killed", url=server.url("/uptake.csv"))

        slow = workers(DFD_TEST_UPTAKE_SLEEP_IN_TRANSACTION="300",
                       DFD_TEST_UPTAKE_SLEEP_MARKER=str(marker))
        task_id = send(broker, COLLECT_TASK, source.pk)
        wait_for(marker.exists, 90, "the import to reach its transaction", slow)

        # The rows are written but not committed: nothing is visible.
        assert UptakeObservation.objects.filter(source=source).count() == 0
        killed_run = TaskRun.objects.get(celery_task_id=task_id)
        assert killed_run.outcome == Outcome.RUNNING
        # Progress is visible while the transaction is still open (a second connection).
        assert (killed_run.progress_done, killed_run.progress_total,
                killed_run.progress_step) == (len(expected), len(expected), "Writing")
        slow.kill(signal.SIGKILL)
        assert slow.process.returncode == -signal.SIGKILL

        # After the kill: PostgreSQL rolled the transaction back; the source is as it was.
        assert UptakeObservation.objects.filter(source=source).count() == 0
        assert not UptakeFile.objects.filter(source=source).exists()
        source.refresh_from_db()
        assert source.last_sha256 == "" and source.etag == ""

        # A new worker gets the message again once the visibility timeout has passed.
        fresh = workers()
        done = wait_for(
            lambda: TaskRun.objects.filter(celery_task_id=task_id,
                                           outcome=Outcome.SUCCEEDED).first(),
            90, "the redelivered task to succeed", fresh)
        assert observed("Killed") == expected
        assert UptakeObservation.objects.filter(source=source).count() == len(expected)
        assert done.counts["inserted"] == len(expected)
        assert done.counts["updated"] == done.counts["deleted"] == 0
        killed_run.refresh_from_db()
        assert killed_run.outcome == Outcome.FAILED and killed_run.error == WORKER_LOST
        assert TaskRun.objects.filter(celery_task_id=task_id).count() == 2

        # Exactly what one clean run gives: the same file imported in-process for another
        # source holds the same figures.
        from services_catalogue.uptake import import_uptake_bytes

        import_uptake_bytes(data, source_name="Clean run")
        assert observed("Clean run") == observed("Killed")
