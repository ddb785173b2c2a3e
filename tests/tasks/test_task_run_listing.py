"""The task runs list in the admin: tasks by plain-English name, outcomes as status tags in
sentence case, and what each run did in words; the code names stay for support staff."""

import importlib
import pkgutil

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

import tasks
from inclusion.results import TASK_NAME as INCLUSION_TASK
from tasks.audits import AUDIT_SERVICE_TASK, CHECK_LINKS_TASK
from tasks.celery import app
from tasks.labels import TASK_LABELS, counts_text, task_label
from tasks.maintenance import PRUNE_TASK
from tasks.models import Outcome, TaskRun
from tasks.uptake import COLLECT_TASK, DISPATCH_TASK

pytestmark = pytest.mark.django_db

LIST = "wagtailsnippets_tasks_taskrun:list"


def soup(response):
    assert response.status_code == 200
    return BeautifulSoup(response.content.decode(), "html.parser")


def rows(page):
    """Each row's cells, by column heading."""
    headings = [th.get_text(" ", strip=True) for th in page.select("table.listing thead th")]
    return [dict(zip(headings, tr.find_all("td", recursive=False), strict=False))
            for tr in page.select("table.listing tbody tr")]


@pytest.fixture
def runs(demo):
    return {
        "inclusion": TaskRun.objects.create(
            task_name=INCLUSION_TASK, target="NHS App registrations, latest month, by practice",
            outcome=Outcome.SUCCEEDED, counts={"result": "dashboard"}),
        "collect": TaskRun.objects.create(
            task_name=COLLECT_TASK, target="Monthly figures", outcome=Outcome.SUCCEEDED,
            counts={"outcome": "imported", "bytes": 2048, "http_status": 200, "rows": 12,
                    "inserted": 10, "updated": 0, "deleted": 0, "unchanged": 2,
                    "periods": ["2025-01"]}),
        "refused": TaskRun.objects.create(
            task_name=COLLECT_TASK, target="Broken figures", outcome=Outcome.FAILED,
            counts={"problems": 3}, error="The file was refused"),
        "audit": TaskRun.objects.create(
            task_name=AUDIT_SERVICE_TASK, target="NHS App", outcome=Outcome.RUNNING),
    }


def test_tasks_are_listed_by_plain_english_name_with_the_code_name_as_tooltip(admin_client,
                                                                              runs):
    page = soup(admin_client.get(reverse(LIST)))
    cells = {row["Task"].select_one("[title]")["title"]: row["Task"] for row in rows(page)}
    assert cells[INCLUSION_TASK].get_text(strip=True) == "Work out inclusion figures"
    assert cells[COLLECT_TASK].get_text(strip=True) == "Uptake collection"
    assert cells[AUDIT_SERVICE_TASK].get_text(strip=True) == "Accessibility audit"
    visible = page.select_one("table.listing").get_text(" ")
    assert "tasks." not in visible  # code names only in title attributes


def test_outcomes_are_status_tags_in_sentence_case(admin_client, runs):
    page = soup(admin_client.get(reverse(LIST)))
    tags = [row["Outcome"].select_one(".w-status") for row in rows(page)]
    assert sorted(tag.get_text(strip=True) for tag in tags) == \
        ["Failed", "Running", "Succeeded", "Succeeded"]
    for tag in tags:
        # Wagtail's stylesheet puts status tags in capitals; these are read as written
        assert "dfd-sentence-case" in tag["class"]
    assert "text-transform: none" in admin_stylesheet_rule(".w-status.dfd-sentence-case")
    running = [tag for tag in tags if tag.get_text(strip=True) == "Running"]
    assert "w-status--primary" in running[0]["class"]


def test_what_each_run_did_is_in_words(admin_client, runs):
    page = soup(admin_client.get(reverse(LIST)))
    assert "Counts" not in [th.get_text(strip=True) for th in page.select("table.listing th")]
    results = {row["Task"].get_text(strip=True) + "|" + row["Outcome"].get_text(strip=True):
               row["Result"].get_text(" ", strip=True) for row in rows(page)}
    assert results["Work out inclusion figures|Succeeded"] == "Dashboard figures"
    assert results["Uptake collection|Succeeded"] == \
        "12 rows imported (10 added, 2 unchanged), 2.0\xa0KB downloaded"
    assert results["Uptake collection|Failed"] == "File refused: 3 problems"
    assert results["Accessibility audit|Running"] == ""
    text = page.select_one("table.listing").get_text(" ")
    assert "result dashboard" not in text and "inserted" not in text


def test_the_task_filter_offers_plain_english_names_and_filters(admin_client, runs):
    page = soup(admin_client.get(reverse(LIST)))
    options = {o["value"]: o.get_text(strip=True)
               for o in page.select("select[name=task_name] option") if o["value"]}
    assert options == {INCLUSION_TASK: "Work out inclusion figures",
                       COLLECT_TASK: "Uptake collection",
                       AUDIT_SERVICE_TASK: "Accessibility audit"}
    page = soup(admin_client.get(reverse(LIST), {"task_name": COLLECT_TASK}))
    assert [row["Task"].get_text(strip=True) for row in rows(page)] == ["Uptake collection"] * 2
    page = soup(admin_client.get(reverse(LIST), {"outcome": Outcome.FAILED}))
    assert [row["Outcome"].get_text(strip=True) for row in rows(page)] == ["Failed"]


def test_support_staff_still_see_the_code_name_in_the_inspect_view(admin_client, runs):
    url = reverse("wagtailsnippets_tasks_taskrun:inspect", args=[runs["inclusion"].pk])
    assert INCLUSION_TASK in soup(admin_client.get(url)).select_one("main").get_text()


def test_every_task_registered_in_tasks_has_a_label():
    for module in pkgutil.iter_modules(tasks.__path__):
        importlib.import_module(f"tasks.{module.name}")
    names = {name for name in app.tasks if name.startswith("tasks.")}
    assert names and names <= set(TASK_LABELS), names - set(TASK_LABELS)
    assert len(set(TASK_LABELS.values())) == len(TASK_LABELS)


def test_an_unknown_task_still_reads_as_words():
    assert task_label("tasks.reminders.send_reminders") == "Send reminders"
    assert counts_text("tasks.reminders.send_reminders", {"emails_sent": 3, "ok": True}) == \
        "3 emails sent"


@pytest.mark.parametrize(("task_name", "counts", "text"), [
    (INCLUSION_TASK, {"result": "evidence_pdf"}, "Empower citizens evidence (PDF)"),
    (COLLECT_TASK, {"outcome": "unchanged", "bytes": 10}, "Same file as last time: nothing changed"),
    (COLLECT_TASK, {"outcome": "not_modified", "bytes": 0},
     "Not changed since the last collection (HTTP 304)"),
    (COLLECT_TASK, {"rows": 1, "inserted": 1}, "1 row imported (1 added)"),
    (DISPATCH_TASK, {"due": 2, "enqueued": 1, "failed": 1, "failures": [{"source": "x"}]},
     "2 sources due, 1 queued, 1 failed"),
    (AUDIT_SERVICE_TASK, {"urls": 2, "failed": 1, "cantTell": 0, "passed": 40,
                          "statement": "found"},
     "2 pages audited: 1 failed, 0 to check by hand, 40 passed; accessibility statement found"),
    (CHECK_LINKS_TASK, {"links": 120, "urls": 80, "broken": 3, "removed": 1},
     "120 links checked (80 addresses), 3 broken, 1 no longer linked"),
    (PRUNE_TASK, {"audits": 1, "task_runs": 1250}, "1 old audit and 1,250 old task runs deleted"),
    (COLLECT_TASK, {}, ""),
])
def test_counts_in_words(task_name, counts, text):
    assert counts_text(task_name, counts) == text


def admin_stylesheet_rule(selector: str) -> str:
    from django.contrib.staticfiles import finders

    css = open(finders.find("inclusion/css/admin.css"), encoding="utf-8").read()
    start = css.index(selector + " {")
    return css[start:css.index("}", start)]
