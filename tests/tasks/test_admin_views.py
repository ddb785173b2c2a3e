"""'Run now' from the admin: collect an uptake source or audit a service at once."""

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Group
from django.urls import reverse

from services_catalogue.models import AccessibilityAudit, UptakeObservation, UptakeSource
from tasks import audits
from tasks.models import Outcome, TaskRun
from tests.factories import make_service
from tests.services_catalogue.audits.sites import AuditSites, make_fetcher
from tests.services_catalogue.uptake.helpers import csv_bytes, sample_rows
from tests.tasks.uptake_server import UptakeServer

pytestmark = pytest.mark.django_db


def soup(response):
    return BeautifulSoup(response.content.decode(), "html.parser")


@pytest.fixture
def loopback(settings, monkeypatch):
    """Fetches reach the fixture servers on 127.0.0.1 only, through a loopback-only transport."""
    settings.FETCH_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    settings.FETCH_TRANSPORT = "tests.tasks.loopback.LoopbackOnlyTransport"
    settings.FETCH_TIMEOUT_SECONDS = 2.0
    settings.ACCESSIBILITY_AUDIT_ENGINE = "static"
    monkeypatch.setattr(audits, "fetcher_from_settings", lambda **kw: make_fetcher(**kw))


@pytest.fixture
def editor(client, django_user_model, demo):
    user = django_user_model.objects.create_user("editor", password="pw")
    user.groups.add(Group.objects.get(name="Comms editors"))
    client.force_login(user)
    return client


def test_an_uptake_source_is_collected_now_after_a_confirmation(admin_client, demo, loopback):
    with UptakeServer() as server:
        server.files["/now.csv"] = csv_bytes(sample_rows())
        source = UptakeSource.objects.create(name="Now", url=server.url("/now.csv"),
                                             schedule="monthly")
        url = reverse("collect_uptake_source_now", args=[source.pk])
        listing = soup(admin_client.get(
            reverse("wagtailsnippets_services_catalogue_uptakesource:list")))
        assert listing.select_one(f"a[href='{url}']") is not None

        confirm = admin_client.get(url)
        assert confirm.status_code == 200
        assert soup(confirm).select_one("form[method=post] button").get_text(strip=True) == \
            "Collect now"
        assert not UptakeObservation.objects.filter(source=source).exists()

        response = admin_client.post(url, follow=True)
    run = TaskRun.for_target(source).get()
    assert run.outcome == Outcome.SUCCEEDED and run.counts["inserted"] == len(sample_rows())
    assert UptakeObservation.objects.filter(source=source).count() == len(sample_rows())
    message = soup(response).select_one(".messages").get_text(" ", strip=True)
    assert "Collect Now: done" in message


def test_a_failed_collection_now_is_reported_not_hidden(admin_client, demo, loopback):
    with UptakeServer() as server:
        source = UptakeSource.objects.create(name="Broken", url=server.url("/status/404"))
        response = admin_client.post(reverse("collect_uptake_source_now", args=[source.pk]),
                                     follow=True)
    assert TaskRun.for_target(source).get().outcome == Outcome.FAILED
    assert "Failed" in soup(response).select_one(".messages").get_text()


def test_collecting_now_needs_the_permission_to_change_sources(editor):
    source = UptakeSource.objects.create(name="Theirs", url="https://example.invalid/x.csv")
    url = reverse("collect_uptake_source_now", args=[source.pk])
    assert editor.get(url).status_code in (302, 403)
    assert editor.post(url).status_code in (302, 403)
    assert not TaskRun.for_target(source).exists()


def test_an_editor_audits_a_service_now_from_its_edit_page(editor, demo, loopback):
    with AuditSites() as sites:
        service = make_service(demo["services_index"], service_url=sites.url("/svc/good/"))
        url = reverse("audit_service_now", args=[service.pk])
        edit = soup(editor.get(reverse("wagtailadmin_pages:edit", args=[service.pk])))
        assert edit.select_one(f".dfd-audit-panel a[href='{url}']") is not None
        response = editor.post(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("wagtailadmin_pages:edit", args=[service.pk])
    assert AccessibilityAudit.objects.filter(service=service).exists()
    assert TaskRun.for_target(service).get().outcome == Outcome.SUCCEEDED


def test_a_user_who_cannot_edit_the_service_cannot_audit_it(client, django_user_model, demo):
    service = demo["services"]["nhs-app"]
    user = django_user_model.objects.create_user("lead", password="pw")
    user.groups.add(Group.objects.get(name="Inclusion leads"))
    client.force_login(user)
    response = client.post(reverse("audit_service_now", args=[service.pk]))
    assert response.status_code in (302, 403)
    assert not TaskRun.for_target(service).exists()


def test_the_confirmation_says_when_fetching_is_switched_off(editor, demo, settings):
    service = make_service(demo["services_index"], service_url="https://www.nhs.uk/nhs-app/")
    url = reverse("audit_service_now", args=[service.pk])
    settings.FETCH_OFFLINE = False
    assert soup(editor.get(url)).select_one("#run-now-offline") is None
    settings.FETCH_OFFLINE = True
    assert "switched off" in soup(editor.get(url)).select_one("#run-now-offline").get_text()


def test_auditing_now_with_fetching_switched_off_records_that_nothing_was_fetched(
        editor, demo, settings, monkeypatch):
    import socket

    def no_dns(*args, **kwargs):
        raise AssertionError("offline fetching looked a name up")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    settings.FETCH_OFFLINE = True
    settings.FETCH_TRANSPORT = "tests.tasks.loopback.LoopbackOnlyTransport"
    settings.ACCESSIBILITY_AUDIT_ENGINE = "static"
    service = make_service(demo["services_index"], service_url="https://www.nhs.uk/nhs-app/")
    editor.post(reverse("audit_service_now", args=[service.pk]))
    audit = AccessibilityAudit.objects.filter(service=service).latest("checked_at")
    assert "switched off" in audit.error
    assert audit.http_status is None


def test_collect_now_is_offered_only_for_a_source_with_something_to_collect(admin_client, demo):
    listing = reverse("wagtailsnippets_services_catalogue_uptakesource:list")
    nothing = UptakeSource.objects.create(name="Nothing to fetch", format="dfd_csv")
    remote = UptakeSource.objects.create(name="Remote", format="nhs_app_mi",
                                         url="https://example.org/mi.csv")
    page = soup(admin_client.get(listing))
    collect = {a["href"] for a in page.select("a[href*='/collect/']")}
    assert reverse("collect_uptake_source_now", args=[remote.pk]) in collect
    assert reverse("collect_uptake_source_now", args=[nothing.pk]) not in collect
    cells = " ".join(td.get_text() for td in page.select("table.listing tbody td"))
    assert "NHS App MI (ICB)" in cells
    assert "period,ods_code" not in cells  # the long label stays in the form and filters


def test_the_confirmation_page_names_its_target_in_the_breadcrumbs(editor, demo):
    service = make_service(demo["services_index"], service_url="https://www.nhs.uk/nhs-app/")
    page = soup(editor.get(reverse("audit_service_now", args=[service.pk])))
    crumbs = [" ".join(li.get_text().split()) for li in page.select("[data-w-breadcrumbs] li, "
                                                                   "nav[aria-label] ol li")]
    assert any(service.title == crumb for crumb in crumbs)
    assert any(f"Audit {service.title} now" == crumb for crumb in crumbs)
