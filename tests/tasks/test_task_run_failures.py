"""Failed runs in the task runs list: the Result says why (shortened; in full in the tooltip
and the inspect view, which each row opens), a failed audit that checked nothing does not
print zero counts, and a finished run never shows an in-progress label."""

import pytest
from django.urls import reverse
from django.utils import timezone

from services_catalogue.models import UptakeSource
from tasks.audits import AUDIT_SERVICE_TASK
from tasks.labels import run_progress, run_result, short_error
from tasks.models import Outcome, TaskRun
from tasks.uptake import COLLECT_TASK
from tests.tasks.test_task_run_listing import rows, soup

pytestmark = pytest.mark.django_db

LIST = "wagtailsnippets_tasks_taskrun:list"
NOT_FETCHED = ("Could not fetch https://www.nhs.uk/nhs-app/: Fetching from the internet is "
               "switched off here (FETCH_OFFLINE is on).")


def row_for(page, target):
    return next(row for row in rows(page) if row["Target"].get_text(strip=True) == target)


def finished(**fields):
    return TaskRun.objects.create(finished_at=timezone.now(), **fields)


def test_a_failed_collection_from_a_url_says_why(admin_client, demo, settings):
    settings.FETCH_OFFLINE = True
    source = UptakeSource.objects.create(name="Offline figures", url="https://example.org/u.csv")
    admin_client.post(reverse("collect_uptake_source_now", args=[source.pk]))
    run = TaskRun.for_target(source).get()
    assert run.outcome == Outcome.FAILED and run.error
    result = row_for(soup(admin_client.get(reverse(LIST))), "Offline figures")["Result"]
    error = result.select_one(".dfd-run-error")
    assert "switched off" in error.get_text()
    assert error["title"] == run.error


def test_a_source_with_nothing_to_collect_fails_with_its_reason_listed(admin_client, demo):
    from tasks.uptake import collect_source_by_id

    source = UptakeSource.objects.create(name="Nothing here")
    collect_source_by_id(source.pk)
    result = row_for(soup(admin_client.get(reverse(LIST))), "Nothing here")["Result"]
    assert "has no URL or uploaded file to collect" in result.get_text(" ", strip=True)


def test_a_failed_audit_that_checked_nothing_shows_its_error_not_zero_counts(admin_client,
                                                                            demo):
    finished(task_name=AUDIT_SERVICE_TASK, target="NHS App", outcome=Outcome.FAILED,
             error=NOT_FETCHED, counts={"urls": 2, "failed": 0, "cantTell": 0, "passed": 0,
                                        "statement": "not checked"})
    result = row_for(soup(admin_client.get(reverse(LIST))), "NHS App")["Result"]
    text = result.get_text(" ", strip=True)
    assert "audited" not in text and "0 failed" not in text
    assert text == NOT_FETCHED


def test_a_long_error_is_shortened_with_the_full_text_as_tooltip(admin_client, demo):
    error = "The file was refused (2 problems); nothing changed.\n" + \
        "\n".join(f"Line {n}, column value: not a number" for n in range(2, 200))
    finished(task_name="tasks.reminders.send_reminders", target="Long", outcome=Outcome.FAILED,
             error=error)
    cell = row_for(soup(admin_client.get(reverse(LIST))), "Long")["Result"]
    shown = cell.select_one(".dfd-run-error")
    assert shown.get_text(strip=True) == "The file was refused (2 problems); nothing changed. …"
    assert shown["title"] == error
    assert "Line 199" not in cell.get_text()


def test_a_refused_file_keeps_its_summary_with_the_problems_as_tooltip(admin_client, demo):
    error = "The file was refused (3 problems); nothing changed.\nLine 2, column value: -1"
    finished(task_name=COLLECT_TASK, target="Refused", outcome=Outcome.FAILED,
             counts={"problems": 3}, error=error)
    cell = row_for(soup(admin_client.get(reverse(LIST))), "Refused")["Result"]
    assert cell.get_text(" ", strip=True) == "File refused: 3 problems"
    assert cell.select_one("[title]")["title"] == error


def test_a_finished_run_shows_no_in_progress_label(admin_client, demo):
    finished(task_name=COLLECT_TASK, target="Failed upload", outcome=Outcome.FAILED,
             progress_step="Reading", error="The uploaded file cannot be read.")
    finished(task_name=COLLECT_TASK, target="Failed check", outcome=Outcome.FAILED,
             progress_step="Checking", progress_done=40, progress_total=120,
             error="Out of memory")
    finished(task_name=COLLECT_TASK, target="Done upload", outcome=Outcome.SUCCEEDED,
             progress_step="Writing", progress_done=12, progress_total=12,
             counts={"rows": 12, "inserted": 12})
    TaskRun.objects.create(task_name=COLLECT_TASK, target="Still reading",
                           progress_step="Checking", progress_done=30, progress_total=120)
    page = soup(admin_client.get(reverse(LIST)))
    progress = {target: row_for(page, target)["Progress"]
                for target in ("Failed upload", "Failed check", "Done upload", "Still reading")}
    assert progress["Failed upload"].get_text(" ", strip=True) == "Stopped at Reading"
    assert progress["Failed check"].get_text(" ", strip=True) == "Stopped at Checking (40 of 120)"
    assert progress["Done upload"].get_text(" ", strip=True) == "Done"
    for target in ("Failed upload", "Failed check", "Done upload"):
        assert progress[target].select_one("progress") is None
    assert progress["Still reading"].select_one("progress")["value"] == "25"
    assert "Checking: 30 of 120 (25%)" in progress["Still reading"].get_text(" ", strip=True)


def test_each_row_opens_the_inspect_view_with_the_error_in_full(admin_client, demo):
    error = "The file was refused (2 problems); nothing changed.\nLine 2: bad\nLine 3: bad"
    run = finished(task_name=COLLECT_TASK, target="Inspected", outcome=Outcome.FAILED,
                   counts={"problems": 2}, error=error)
    inspect = reverse("wagtailsnippets_tasks_taskrun:inspect", args=[run.pk])
    task = row_for(soup(admin_client.get(reverse(LIST))), "Inspected")["Task"]
    link = task.select_one(f"a[href='{inspect}']")
    assert link.get_text(strip=True) == "Uptake collection"
    assert link["title"] == COLLECT_TASK
    page = soup(admin_client.get(inspect))
    full = page.select_one("main .dfd-run-error-full")
    assert [line.strip() for line in full.stripped_strings] == error.splitlines()
    labels = [dt.get_text(strip=True) for dt in page.select("main dl dt")]
    assert labels.index("Error") < labels.index("Counts")


@pytest.mark.parametrize(("error", "shown"), [
    ("", ""),
    ("  One line.  ", "One line."),
    ("First line.\nSecond line.", "First line. …"),
    ("x" * 400, "x" * 149 + "…"),
])
def test_short_error(error, shown):
    assert short_error(error) == shown


def test_a_failed_run_without_any_reason_still_says_it_failed():
    run = TaskRun(task_name=COLLECT_TASK, outcome=Outcome.FAILED)
    assert run_result(run)["error"] == "Failed: no reason was recorded."
    assert run_progress(run) == {"percent": None, "label": ""}


def test_a_succeeded_run_keeps_its_counts_even_when_zero():
    run = TaskRun(task_name=AUDIT_SERVICE_TASK, outcome=Outcome.SUCCEEDED,
                  counts={"urls": 1, "failed": 0, "cantTell": 0, "passed": 0})
    assert run_result(run) == {"summary": "1 page audited: 0 failed, 0 to check by hand, "
                                          "0 passed", "error": "", "error_full": ""}
