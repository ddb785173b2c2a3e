"""'Run now' confirmation pages say where the result will be seen: Task runs only for those
who may view it (Comms editors cannot: the service's Accessibility panel instead); the
'fetching is switched off' warning only where something is fetched; nothing to collect for
a source that only records files given to import_uptake."""

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.urls import reverse

from services_catalogue.models import UptakeSource
from tasks import audits
from tasks.models import TaskRun
from tests.factories import make_service

pytestmark = pytest.mark.django_db

TASK_RUNS = "wagtailsnippets_tasks_taskrun:list"


def soup(response):
    assert response.status_code == 200
    return BeautifulSoup(response.content.decode(), "html.parser")


@pytest.fixture
def editor(client, django_user_model, demo):
    user = django_user_model.objects.create_user("editor", password="pw")
    user.groups.add(Group.objects.get(name="Comms editors"))
    client.force_login(user)
    return client


@pytest.fixture
def service(demo):
    return make_service(demo["services_index"], service_url="https://www.nhs.uk/nhs-app/")


@pytest.fixture
def queued_only(monkeypatch):
    """A broker that takes the task and runs it later: nothing is recorded yet."""
    monkeypatch.setattr(audits.audit_service_task, "delay", lambda *args, **kwargs: None)


def test_comms_editors_cannot_open_task_runs(editor):
    response = editor.get(reverse(TASK_RUNS))
    assert response.status_code in (302, 403)


def test_an_editor_is_sent_to_the_services_accessibility_panel_not_task_runs(editor, service):
    page = soup(editor.get(reverse("audit_service_now", args=[service.pk])))
    where = page.select_one("#run-now-where")
    assert "Accessibility panel" in where.get_text()
    edit_url = reverse("wagtailadmin_pages:edit", args=[service.pk])
    assert where.select_one(f"a[href='{edit_url}']") is not None
    main = page.select_one("main").get_text(" ")
    assert "Task runs" not in main and "task runs" not in main
    assert page.select_one(f"main a[href^='{reverse(TASK_RUNS)}']") is None


def test_someone_who_can_view_task_runs_is_also_pointed_to_them(admin_client, service):
    page = soup(admin_client.get(reverse("audit_service_now", args=[service.pk])))
    where = page.select_one("#run-now-where")
    assert where.select_one(f"a[href='{reverse(TASK_RUNS)}']").get_text(strip=True) == \
        "Task runs"
    edit_url = reverse("wagtailadmin_pages:edit", args=[service.pk])
    assert where.select_one(f"a[href='{edit_url}']") is not None


def test_the_failing_report_links_an_editor_to_a_page_without_task_runs(editor, service):
    report = soup(editor.get(reverse("accessibility_failing")))
    url = reverse("audit_service_now", args=[service.pk])
    link = report.select_one(f"#never-audited a[href='{url}']")
    assert link is not None
    page = soup(editor.get(link["href"]))
    assert "Task runs" not in page.select_one("main").get_text(" ")
    assert "Accessibility panel" in page.select_one("#run-now-where").get_text()


def test_a_queued_audit_tells_an_editor_where_the_result_will_be(editor, service, queued_only):
    response = editor.post(reverse("audit_service_now", args=[service.pk]), follow=True)
    message = soup(response).select_one(".messages").get_text(" ", strip=True)
    assert "queued" in message
    assert "Accessibility panel on the service's edit page" in message
    assert "Task runs" not in message


def test_a_queued_audit_tells_an_admin_it_appears_in_task_runs(admin_client, service,
                                                               queued_only):
    response = admin_client.post(reverse("audit_service_now", args=[service.pk]), follow=True)
    assert "Task runs" in soup(response).select_one(".messages").get_text(" ", strip=True)


# -- Collect now: what applies to a URL, an uploaded file, or neither -------------------
def test_the_offline_warning_is_only_for_a_source_fetched_from_a_url(admin_client, demo,
                                                                     settings):
    settings.FETCH_OFFLINE = True
    remote = UptakeSource.objects.create(name="Remote", url="https://example.org/u.csv")
    uploaded = UptakeSource(name="Uploaded")
    uploaded.upload.save("uptake.csv",
                         ContentFile(b"period,ods_code,service_slug,metric,value\n"))
    remote_page = soup(admin_client.get(reverse("collect_uptake_source_now", args=[remote.pk])))
    assert "switched off" in remote_page.select_one("#run-now-offline").get_text()
    page = soup(admin_client.get(reverse("collect_uptake_source_now", args=[uploaded.pk])))
    assert page.select_one("#run-now-offline") is None
    assert page.select_one("form[method=post] button").get_text(strip=True) == "Collect now"


def test_a_collection_says_the_result_is_on_the_sources_list(admin_client, demo):
    source = UptakeSource.objects.create(name="Remote", url="https://example.org/u.csv")
    where = soup(admin_client.get(reverse("collect_uptake_source_now", args=[source.pk]))
                 ).select_one("#run-now-where")
    listing = reverse("wagtailsnippets_services_catalogue_uptakesource:list")
    assert where.select_one(f"a[href='{listing}']") is not None
    assert "Last error" in where.get_text()


def test_a_source_with_nothing_to_collect_is_explained_not_run(admin_client, demo):
    source = UptakeSource.objects.create(name="Command line only", format="dfd_csv")
    url = reverse("collect_uptake_source_now", args=[source.pk])
    page = soup(admin_client.get(url))
    assert "import_uptake" in page.select_one("#run-now-nothing").get_text()
    assert page.select_one("form[method=post]") is None
    response = admin_client.post(url, follow=True)
    assert "nothing to collect" in soup(response).select_one(".messages").get_text()
    assert not TaskRun.for_target(source).exists()
    source.refresh_from_db()
    assert source.last_error == "" and source.last_checked_at is None
