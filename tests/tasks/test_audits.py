"""The accessibility audit and link check tasks in-process: TaskRun records, retries, beat."""

import pytest
from django.conf import settings as django_settings

from services_catalogue.audit.runner import TransientAuditError
from services_catalogue.models import AccessibilityAudit, LinkCheck
from tasks import audits
from tasks.models import Outcome, TaskRun
from tests.factories import InclusionSupportFactory, make_service
from tests.services_catalogue.audits.sites import AuditSites, make_fetcher

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def sites():
    with AuditSites() as running:
        yield running


@pytest.fixture(autouse=True)
def loopback_fetcher(monkeypatch, settings):
    """The tasks build their fetcher from settings; in tests it reaches 127.0.0.0/8 only and
    resolves no host names (the demo's real services are refused, never contacted)."""
    settings.ACCESSIBILITY_AUDIT_ENGINE = "static"
    made = []

    def fetcher_from_settings(**overrides):
        fetcher = make_fetcher(**overrides)
        made.append(fetcher)
        return fetcher

    monkeypatch.setattr(audits, "fetcher_from_settings", fetcher_from_settings)
    return made


def test_the_service_task_audits_and_records_a_run(demo, sites):
    service = make_service(demo["services_index"], service_url=sites.url("/svc/good/"))
    counts = audits.audit_service_task.delay(service.pk).get()
    assert counts == {"urls": 2, "failed": 1, "cantTell": counts["cantTell"],
                      "passed": counts["passed"], "statement": "found"}
    run = TaskRun.objects.get(task_name=audits.AUDIT_SERVICE_TASK)
    assert run.outcome == Outcome.SUCCEEDED and run.target_object == service
    assert run.counts["statement"] == "found"
    assert AccessibilityAudit.objects.filter(service=service).count() == 2


def test_a_flaky_start_page_is_retried_until_it_answers(demo, sites):
    """What a worker does: attempts before the last raise for a retry (nothing stored)."""
    service = make_service(demo["services_index"], service_url=sites.url("/flaky/task-a/2"))
    for attempt in (1, 2):
        with pytest.raises(TransientAuditError):
            audits.audit_service_by_id(service.pk, final_attempt=False, attempt=attempt)
    audits.audit_service_by_id(service.pk, final_attempt=False, attempt=3)
    runs = list(TaskRun.objects.filter(task_name=audits.AUDIT_SERVICE_TASK).order_by("pk"))
    assert [(r.attempt, r.outcome) for r in runs] == [
        (1, Outcome.FAILED), (2, Outcome.FAILED), (3, Outcome.SUCCEEDED)]
    assert "attempt 1; retried with backoff" in runs[0].error
    (audit,) = AccessibilityAudit.objects.filter(service=service)  # only the good one stored
    assert audit.http_status == 200 and audit.error == ""


def test_the_last_attempt_stores_a_start_page_that_stays_down(demo, sites):
    service = make_service(demo["services_index"], service_url=sites.url("/server-error"))
    with pytest.raises(TransientAuditError):
        audits.audit_service_by_id(service.pk, final_attempt=False)
    assert not AccessibilityAudit.objects.filter(service=service).exists()
    audits.audit_service_by_id(service.pk, final_attempt=True, attempt=4)
    (audit,) = AccessibilityAudit.objects.filter(service=service)
    assert audit.http_status == 503 and audit.error == "The page answered HTTP 503."
    last = TaskRun.objects.filter(task_name=audits.AUDIT_SERVICE_TASK).latest("pk")
    assert last.attempt == 4 and last.outcome == Outcome.FAILED
    # the page was never read, so the run does not claim the statement is missing
    assert last.counts["statement"] == "not checked"


def test_in_process_a_site_that_is_down_is_stored_at_once(demo, sites):
    service = make_service(demo["services_index"], service_url=sites.url("/server-error"))
    audits.audit_service_task.delay(service.pk).get()  # no Retry raised to the caller
    assert TaskRun.objects.filter(task_name=audits.AUDIT_SERVICE_TASK).count() == 1
    (audit,) = AccessibilityAudit.objects.filter(service=service)
    assert audit.http_status == 503


def test_a_4xx_is_not_retried(demo, sites):
    service = make_service(demo["services_index"], service_url=sites.url("/nothing-here"))
    audits.audit_service_by_id(service.pk, final_attempt=False)  # stored, no retry
    assert AccessibilityAudit.objects.get(service=service).http_status == 404


def test_the_task_declares_backoff_with_jitter():
    task = audits.audit_service_task
    assert TransientAuditError in task.autoretry_for
    assert task.retry_backoff and task.retry_jitter and task.retry_backoff_max
    assert OSError in audits.check_links_task.autoretry_for


def test_an_unexpected_error_is_stored_not_raised(demo, sites, monkeypatch):
    service = make_service(demo["services_index"], service_url=sites.url("/svc/good/"))

    def explode(*args, **kwargs):
        raise ValueError("bug")

    monkeypatch.setattr(audits, "audit_service", explode)
    result = audits.audit_service_task.delay(service.pk).get()
    assert result["outcome"] == "failed" and "ValueError: bug" in result["error"]
    audit = AccessibilityAudit.objects.get(service=service)
    assert "ValueError: bug" in audit.error
    assert TaskRun.objects.get(task_name=audits.AUDIT_SERVICE_TASK).outcome == Outcome.FAILED


def test_a_service_that_is_gone_is_recorded(demo):
    result = audits.audit_service_by_id(999_999)
    assert result["outcome"] == "failed"
    assert TaskRun.objects.get(task_name=audits.AUDIT_SERVICE_TASK).outcome == Outcome.FAILED


def test_the_daily_task_enqueues_one_audit_per_live_service(demo, sites, monkeypatch):
    good = make_service(demo["services_index"], service_url=sites.url("/svc/good/"))
    make_service(demo["services_index"], service_url=sites.url("/svc/old/"), lifecycle="retired")
    enqueued = []
    counts = audits.enqueue_all_audits(enqueue=enqueued.append)
    live = list(audits.services_to_audit().values_list("pk", flat=True))
    assert enqueued == live and good.pk in enqueued
    assert counts == {"services": len(live), "enqueued": len(live), "failed": 0}
    assert TaskRun.objects.get(task_name=audits.AUDIT_ALL_TASK).outcome == Outcome.SUCCEEDED


def test_the_daily_task_in_process_audits_everything_and_one_failure_stops_nothing(
        demo, sites, monkeypatch):
    good = make_service(demo["services_index"], service_url=sites.url("/svc/good/"))
    real = audits.audit_service_by_id

    def sometimes_raises(service_id, *args, **kwargs):
        if service_id == demo["services"]["nhs-app"].pk:
            raise RuntimeError("worker trouble")
        return real(service_id, *args, **kwargs)

    monkeypatch.setattr(audits, "audit_service_by_id", sometimes_raises)
    counts = audits.audit_all_task.delay().get()
    assert counts["failed"] == 1 and counts["failures"][0]["error"] == "RuntimeError: worker trouble"
    assert counts["enqueued"] == counts["services"] - 1
    assert AccessibilityAudit.objects.filter(service=good, error="").exists()


def test_the_link_check_task_records_broken_links(demo, sites):
    support = InclusionSupportFactory(website=sites.url("/links/gone"))
    counts = audits.check_links_task.delay().get()
    assert counts["broken"] >= 1 and counts["links"] >= counts["urls"]
    assert LinkCheck.objects.get(support=support).broken
    run = TaskRun.objects.get(task_name=audits.CHECK_LINKS_TASK)
    assert run.outcome == Outcome.SUCCEEDED and run.counts == counts


def test_the_link_check_fetcher_has_a_small_size_limit(demo, loopback_fetcher):
    audits.check_all_links()
    assert loopback_fetcher[0].max_bytes == audits.LINK_CHECK_MAX_BYTES


def test_the_tasks_are_imported_by_the_worker_and_scheduled_daily():
    assert "tasks.audits" in django_settings.CELERY_IMPORTS
    schedule = django_settings.CELERY_BEAT_SCHEDULE
    by_task = {entry["task"]: entry["schedule"] for entry in schedule.values()}
    assert by_task[audits.AUDIT_ALL_TASK] == 86400.0
    assert by_task[audits.CHECK_LINKS_TASK] == 86400.0
    from tasks.celery import app

    app.loader.import_default_modules()
    assert audits.AUDIT_SERVICE_TASK in app.tasks
