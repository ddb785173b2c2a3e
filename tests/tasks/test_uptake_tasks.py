"""The uptake tasks in-process: TaskRun records, retries, the dispatcher, the admin list."""

import datetime

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone

from services_catalogue.models import UptakeObservation, UptakeSource
from services_catalogue.uptake.collect import TransientCollectError
from tasks.models import Outcome, TaskRun
from tasks.runs import WORKER_LOST, record_run, start_run
from tasks.uptake import (
    COLLECT_TASK,
    DISPATCH_TASK,
    collect_source_by_id,
    collect_source_task,
    dispatch_due_sources,
    dispatch_due_sources_task,
)
from tests.services_catalogue.uptake.helpers import csv_bytes, figures, sample_rows
from tests.tasks.loopback import LoopbackOnlyTransport
from tests.tasks.uptake_server import UptakeServer

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _without_demo_uptake(request):
    """Start from no uptake at all (the demo ICS has synthetic figures; rolled back after)."""
    if "demo" in request.fixturenames:
        request.getfixturevalue("demo")
        from portal.demo.uptake import SOURCE_NAME

        UptakeSource.objects.filter(name=SOURCE_NAME).delete()


@pytest.fixture
def server():
    with UptakeServer() as running:
        yield running


@pytest.fixture
def loopback_settings(settings):
    """Tasks build their fetcher from settings: allow the fixture server, loopback only."""
    settings.FETCH_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    settings.FETCH_TRANSPORT = "tests.tasks.loopback.LoopbackOnlyTransport"
    settings.FETCH_TIMEOUT_SECONDS = 2.0
    return settings


def fetcher():
    from tasks.fetch import GuardedFetcher

    return GuardedFetcher(allowed_networks=["127.0.0.1/32"], transport=LoopbackOnlyTransport(),
                          timeout=2.0)


def make_source(name, url, **fields):
    fields.setdefault("schedule", "daily")
    return UptakeSource.objects.create(name=name, url=url, **fields)


def test_a_successful_collection_is_recorded_with_counts_and_progress(demo, server):
    server.files["/u.csv"] = csv_bytes(sample_rows())
    source = make_source("S", server.url("/u.csv"))
    collect_source_by_id(source.pk, fetcher=fetcher())
    run = TaskRun.objects.get(task_name=COLLECT_TASK)
    assert run.outcome == Outcome.SUCCEEDED and run.finished_at >= run.started_at
    assert run.target == "S" and run.target_object == source
    assert run.counts["inserted"] == 4 and run.counts["rows"] == 4
    assert run.counts["outcome"] == "imported" and run.counts["http_status"] == 200
    assert (run.progress_done, run.progress_total) == (4, 4)
    assert run.error == ""
    assert list(TaskRun.for_target(source)) == [run]


def test_a_refused_file_is_recorded_as_failed_with_its_problems(demo, server):
    server.files["/u.csv"] = csv_bytes([("2025-03", "A84002", "nhs-app", "logins", "x", ""),
                                        ("2025-03", "ZZZ99", "nhs-app", "logins", 1, "")])
    source = make_source("S", server.url("/u.csv"))
    counts = collect_source_by_id(source.pk, fetcher=fetcher())
    assert counts == {"outcome": "failed", "problems": 2}
    run = TaskRun.objects.get(task_name=COLLECT_TASK)
    assert run.outcome == Outcome.FAILED and run.counts == {"problems": 2}
    assert "Line 2, column value" in run.error and "Line 3, column ods_code" in run.error
    source.refresh_from_db()
    assert "Line 2, column value" in source.last_error
    assert not UptakeObservation.objects.exists()


def test_a_transient_failure_is_recorded_then_raised_for_retry(demo, server):
    source = make_source("S", server.url("/status/503"))
    with pytest.raises(TransientCollectError):
        collect_source_by_id(source.pk, fetcher=fetcher(), attempt=2)
    run = TaskRun.objects.get(task_name=COLLECT_TASK)
    assert run.outcome == Outcome.FAILED and run.attempt == 2
    assert "HTTP 503" in run.error and "retried with backoff" in run.error


def test_in_process_the_task_asks_for_a_retry_instead_of_failing_silently(
        demo, server, loopback_settings):
    from celery.exceptions import Retry

    source = make_source("S", server.url("/status/503"))
    # In-process (no broker) the retry cannot be scheduled: Celery raises Retry to the
    # caller. On a worker it is scheduled with backoff (tests/tasks/test_uptake_worker.py).
    with pytest.raises(Retry, match="HTTP 503"):
        collect_source_task.delay(source.pk)
    run = TaskRun.objects.get(task_name=COLLECT_TASK)
    assert run.outcome == Outcome.FAILED and run.attempt == 1


def test_the_task_options_are_the_robust_ones():
    task = collect_source_task
    assert task.acks_late and task.reject_on_worker_lost
    assert task.autoretry_for == (TransientCollectError,)
    assert task.retry_backoff is True and task.retry_jitter is True
    assert task.max_retries == django_settings.UPTAKE_TASK_MAX_RETRIES
    assert task.soft_time_limit < task.time_limit
    assert "tasks.uptake" in django_settings.CELERY_IMPORTS
    assert django_settings.CELERY_ACCEPT_CONTENT == ["json"]
    beat = django_settings.CELERY_BEAT_SCHEDULE["dispatch-uptake-sources"]
    assert beat["task"] == DISPATCH_TASK and beat["schedule"] > 0


def test_the_dispatcher_runs_each_due_source_and_a_failure_does_not_stop_the_others(
        demo, server, loopback_settings):
    server.files["/good.csv"] = csv_bytes(sample_rows())
    failing = make_source("Failing", server.url("/status/503"))
    bad_file = make_source("Bad file", server.url("/bad.csv"))
    server.files["/bad.csv"] = b"not,a,valid\nfile\n"
    good = make_source("Good", server.url("/good.csv"))
    recent = make_source("Recent", server.url("/good.csv"),
                         last_dispatched_at=timezone.now() - datetime.timedelta(hours=1))
    manual = make_source("Manual", server.url("/good.csv"), schedule="manual")
    inactive = make_source("Inactive", server.url("/good.csv"), active=False)

    counts = dispatch_due_sources_task.delay().get()
    assert counts["due"] == 3 and counts["enqueued"] == 2 and counts["failed"] == 1
    assert counts["failures"][0]["source"] == "Failing"
    assert len(figures("Good")) == 4
    for source in (recent, manual, inactive):
        assert not TaskRun.for_target(source).exists()
    assert TaskRun.for_target(failing).get().outcome == Outcome.FAILED
    assert TaskRun.for_target(bad_file).get().outcome == Outcome.FAILED
    dispatch = TaskRun.objects.get(task_name=DISPATCH_TASK)
    assert dispatch.outcome == Outcome.SUCCEEDED and dispatch.counts["failed"] == 1
    good.refresh_from_db()
    assert good.last_dispatched_at is not None


def test_a_source_is_dispatched_once_per_interval(demo):
    source = make_source("Daily", "https://example.org/u.csv")
    enqueued = []
    now = timezone.now()
    dispatch_due_sources(now=now, enqueue=enqueued.append)
    dispatch_due_sources(now=now + datetime.timedelta(hours=1), enqueue=enqueued.append)
    assert enqueued == [source.pk]
    dispatch_due_sources(now=now + datetime.timedelta(days=1, minutes=1), enqueue=enqueued.append)
    assert enqueued == [source.pk, source.pk]


def test_two_dispatchers_at_once_enqueue_a_source_once(demo):
    source = make_source("Daily", "https://example.org/u.csv")
    stale = UptakeSource.objects.get(pk=source.pk)  # what a second dispatcher had read
    enqueued = []
    dispatch_due_sources(enqueue=enqueued.append)
    claimed = UptakeSource.objects.filter(
        pk=stale.pk, last_dispatched_at=stale.last_dispatched_at).update(
        last_dispatched_at=timezone.now())
    assert enqueued == [source.pk] and claimed == 0


def test_a_run_left_running_by_a_lost_worker_is_marked_when_redelivered(demo):
    first = start_run(COLLECT_TASK, target="x", celery_task_id="abc")
    with record_run(COLLECT_TASK, target="x", celery_task_id="abc") as second:
        second.succeed({"ok": 1})
    first.run.refresh_from_db()
    assert first.run.outcome == Outcome.FAILED and first.run.error == WORKER_LOST
    assert TaskRun.objects.get(pk=second.run.pk).outcome == Outcome.SUCCEEDED


def test_an_exception_inside_a_run_marks_it_failed_and_propagates(demo):
    with pytest.raises(ZeroDivisionError), record_run("t", target="y") as run:
        run.progress(5, 10, "Counting", force=True)
        1 / 0  # noqa: B018
    saved = TaskRun.objects.get(pk=run.run.pk)
    assert saved.outcome == Outcome.FAILED and "ZeroDivisionError" in saved.error
    assert (saved.progress_done, saved.progress_total, saved.progress_step) == (5, 10, "Counting")


def test_the_admin_lists_task_runs_read_only_with_progress(admin_client, demo):
    running = start_run(COLLECT_TASK, target="Big file")
    running.progress(250, 1000, "Writing", force=True)
    running.run.save()
    url = reverse("wagtailsnippets_tasks_taskrun:list")
    page = admin_client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Big file" in html and "Running" in html
    assert '<progress max="100" value="25"' in html and "250 of 1,000 (25%)" in html
    assert admin_client.get(reverse("wagtailsnippets_tasks_taskrun:add")).status_code in (302, 403)
    inspect = admin_client.get(reverse("wagtailsnippets_tasks_taskrun:inspect", args=[running.run.pk]))
    assert inspect.status_code == 200


def test_the_admin_lists_uptake_sources_and_figures(admin_client, demo, server):
    server.files["/u.csv"] = csv_bytes(sample_rows())
    source = make_source("Listed source", server.url("/u.csv"))
    collect_source_by_id(source.pk, fetcher=fetcher())
    sources = admin_client.get(reverse("wagtailsnippets_services_catalogue_uptakesource:list"))
    assert sources.status_code == 200 and "Listed source" in sources.content.decode()
    files = admin_client.get(reverse("wagtailsnippets_services_catalogue_uptakefile:list"))
    assert files.status_code == 200 and "Listed source" in files.content.decode()
    add = admin_client.get(reverse("wagtailsnippets_services_catalogue_uptakefile:add"))
    assert add.status_code in (302, 403)
    edit = admin_client.get(reverse("wagtailsnippets_services_catalogue_uptakesource:edit",
                                    args=[source.pk]))
    assert edit.status_code == 200 and "auth_env_var" in edit.content.decode()


def test_deleting_a_source_deletes_its_figures_and_files_but_a_file_in_use_stays(demo):
    """Regression: figures name their file; deleting the source must still work."""
    from django.db.models import RestrictedError

    from portal.demo.uptake import load_demo_uptake
    from services_catalogue.models import UptakeFile

    load_demo_uptake()  # the demo source with its file, restored after the autouse fixture
    source = UptakeSource.objects.get()
    file = UptakeFile.objects.get(source=source)
    assert UptakeObservation.objects.filter(file=file).exists()
    with pytest.raises(RestrictedError):
        file.delete()  # its figures still name it
    source.delete()
    assert not UptakeObservation.objects.filter(source_id=source.pk).exists()
    assert not UptakeFile.objects.filter(pk=file.pk).exists()
