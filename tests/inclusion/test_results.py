"""Inclusion results: computed once per version of the data, on a task with its progress
shown, served from the cache until new data arrives."""

import datetime

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.utils import timezone

from inclusion import dashboard, results
from inclusion.models import ReferenceImport
from portal.demo.uptake import demo_periods
from services_catalogue.models import Organisation, UptakeFile, UptakeSource
from tasks.models import Outcome, TaskRun

pytestmark = pytest.mark.django_db

DASHBOARD = "/admin/inclusion/"
EVIDENCE = "/admin/inclusion/evidence/"
LATEST = demo_periods()[-1]
PARAMS = results.dashboard_params("nhs-app", "registrations", LATEST, "imd_decile")
QUERY = {"service": "nhs-app", "metric": "registrations", "period": LATEST.strftime("%Y-%m"),
         "dimension": "imd_decile"}


def soup(response):
    return BeautifulSoup(response.content.decode(), "html.parser")


def runs():
    return TaskRun.objects.filter(task_name=results.TASK_NAME)


def pending_run(kind="dashboard", params=PARAMS, **fields) -> TaskRun:
    """A run that a worker is (or was) working on, claimed as the one computing this result."""
    run = TaskRun.objects.create(task_name=results.TASK_NAME, target="test", **fields)
    key = results.result_key(kind, params)
    cache.set(key.replace("inclusion:result:", "inclusion:pending:", 1), run.pk, 600)
    return run


# -- the data version --------------------------------------------------------------------

def test_the_data_version_moves_on_with_each_kind_of_new_data(demo):
    seen = {results.data_version()}
    source = UptakeSource.objects.get()
    UptakeFile.objects.create(source=source, sha256="a" * 64)
    seen.add(results.data_version())
    ReferenceImport.objects.create(kind="imd", file_name="imd.csv", sha256="c" * 64, rows=1)
    seen.add(results.data_version())
    practice = Organisation.objects.filter(kind="gp_practice").first()
    practice.registered_patients += 1
    practice.save()  # list sizes are denominators
    seen.add(results.data_version())
    UptakeSource.objects.create(name="Another")
    seen.add(results.data_version())
    assert len(seen) == 5


def test_the_demo_uptake_records_its_provenance(demo):
    file = UptakeFile.objects.get()
    assert "Synthetic model" in file.url and len(file.sha256) == 64
    assert file.rows == file.inserted == UptakeSource.objects.get().observations.count()
    assert not UptakeSource.objects.get().observations.filter(file__isnull=True).exists()


# -- computing once ----------------------------------------------------------------------

def test_a_result_is_computed_once_then_served_from_the_cache(demo):
    first = results.request("dashboard", PARAMS)
    assert first.ready and first.run.outcome == Outcome.SUCCEEDED
    assert first.run.progress_done == first.run.progress_total == len(dashboard.BUILD_STEPS)
    again = results.request("dashboard", PARAMS)
    assert again.ready and again.run is None
    assert runs().count() == 1
    # and it is the same answer as building the dashboard directly
    direct = dashboard.build("nhs-app", "registrations", LATEST, "imd_decile")
    assert again.result.sii == pytest.approx(direct.sii)
    assert again.result.tables["groups"].frame["numerator"].tolist() == \
        direct.tables["groups"].frame["numerator"].tolist()


def test_new_data_makes_the_next_request_compute_again(demo):
    results.request("dashboard", PARAMS)
    UptakeFile.objects.create(source=UptakeSource.objects.get(), sha256="b" * 64)
    status = results.request("dashboard", PARAMS)
    assert status.ready and status.run is not None
    assert runs().count() == 2


def test_the_evidence_pack_shares_dashboards_with_the_dashboard_pages(demo):
    results.request("evidence", {})
    board_key = results.result_key(
        "dashboard", results.dashboard_params("nhs-app", "registrations", None, "practice"))
    assert cache.get(board_key) is not None
    evidence_run = runs().get()
    assert evidence_run.progress_step  # the last step it reported
    assert evidence_run.target == "Empower citizens evidence"


def test_unknown_kinds_are_refused(demo):
    with pytest.raises(ValueError, match="Unknown inclusion result"):
        results.request("everything", {})


# -- while a worker computes, and when it failed -------------------------------------------

def test_a_result_being_computed_shows_its_progress_and_starts_nothing_more(lead):
    run = pending_run(progress_done=2, progress_total=6, progress_step="Populations")
    response = lead.get(DASHBOARD, QUERY)
    assert response.status_code == 202
    page = soup(response)
    bar = page.select_one("progress#calculating-progress")
    assert (bar["value"], bar["max"]) == ("2", "6")
    assert "Populations" in page.select_one("#calculating-step").get_text()
    box = page.select_one("#inclusion-calculating")
    assert box["data-status-url"] == f"/admin/inclusion/runs/{run.pk}/"
    assert page.select_one("script[src$='inclusion/progress.js']") is not None
    assert runs().count() == 1


def test_the_progress_endpoint_reports_the_run(lead):
    run = pending_run(progress_done=3, progress_total=6, progress_step="Deprivation deciles")
    data = lead.get(f"/admin/inclusion/runs/{run.pk}/").json()
    assert data == {"outcome": "running", "done": 3, "total": 6, "step": "Deprivation deciles",
                    "label": "Deprivation deciles: 3 of 6 (50%)", "percent": 50}


def test_the_progress_endpoint_is_for_inclusion_leads_only(client, django_user_model, demo):
    run = pending_run()
    assert client.get(f"/admin/inclusion/runs/{run.pk}/").status_code == 302
    editor = django_user_model.objects.create_user("editor", password="pw")
    editor.groups.add(Group.objects.get(name="Comms editors"))
    client.force_login(editor)
    response = client.get(f"/admin/inclusion/runs/{run.pk}/")
    assert response.status_code in (302, 403) and b"outcome" not in response.content


def test_other_task_runs_are_not_reported(lead):
    other = TaskRun.objects.create(task_name="tasks.uptake.collect_source", target="x")
    assert lead.get(f"/admin/inclusion/runs/{other.pk}/").status_code == 404


def test_a_failed_computation_is_shown_and_can_be_tried_again(lead):
    pending_run(kind="evidence", params={}, outcome=Outcome.FAILED,
                finished_at=timezone.now(), error="MemoryError")
    response = lead.get(EVIDENCE)
    page = soup(response)
    assert response.status_code == 500
    assert "MemoryError" in page.select_one("[role=alert]").get_text()
    assert page.select_one("form[method=post] button").get_text(strip=True) == "Try again"
    assert runs().count() == 1  # a failure is not retried on every visit

    retried = lead.post(EVIDENCE)
    assert retried.status_code == 302 and retried["Location"] == EVIDENCE
    assert runs().filter(outcome=Outcome.SUCCEEDED).count() == 1
    page = soup(lead.get(EVIDENCE))
    assert page.select_one("section#gaps") is not None


def test_a_run_left_running_by_a_dead_worker_is_replaced(lead):
    long_ago = timezone.now() - datetime.timedelta(hours=3)
    pending_run(started_at=long_ago)
    response = lead.get(DASHBOARD, QUERY)
    assert response.status_code == 200
    assert soup(response).select_one("table#table-groups") is not None
    assert runs().filter(outcome=Outcome.SUCCEEDED).count() == 1


def test_the_pdf_pack_is_written_once_per_data_version(lead):
    first = lead.get("/admin/inclusion/evidence/pdf/")
    assert first.status_code == 200 and first.content.startswith(b"%PDF")
    again = lead.get("/admin/inclusion/evidence/pdf/")
    assert again.content == first.content
    pdf_runs = runs().filter(target="Empower citizens evidence (PDF)")
    assert pdf_runs.count() == 1
    assert pdf_runs.get().progress_step == "Writing the PDF"
