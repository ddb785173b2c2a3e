"""What editors and citizens see of audits and link checks."""

import datetime

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from services_catalogue.audit.reports import failing_services, statement_status
from services_catalogue.models import LinkCheck
from tests.factories import InclusionSupportFactory, add_audit

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(client, django_user_model):
    user = django_user_model.objects.create_user("ed", password="pw")
    user.groups.add(Group.objects.get(name="Comms editors"))
    client.force_login(user)
    return user


def soup(response):
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


# -- the service's edit page ----------------------------------------------------------
def test_the_edit_page_shows_the_latest_audit_and_the_trend(client, demo, editor):
    service = demo["services"]["nhs-app"]
    for days_ago, failed in ((3, 5), (2, 4), (1, 2)):
        add_audit(service, days_ago, failed_count=failed)
    add_audit(service, 0, failed_count=1, statement_out_of_date=True, findings=[
        {"rule": "23a2a8", "wcag": ["1.1.1"], "outcome": "failed", "target": "main > img",
         "message": "The image has no accessible name."},
        {"rule": "image-alt", "wcag": ["1.1.1"], "outcome": "failed", "target": "#logo",
         "message": "Images must have alternative text", "impact": "critical", "nodes": 3},
    ])
    page = soup(client.get(f"/admin/pages/{service.pk}/edit/"))
    text = page.get_text(" ", strip=True)
    assert "Accessibility audits" in text
    assert "1 failed, 0 to check by hand, 40 passed" in text
    assert "Out of date: not reviewed in the last 12 months." in text
    assert "The image has no accessible name." in text and "image-alt (critical)" in text
    assert "and 2 more" in text
    trend = page.find("caption", string=lambda s: s and "audits of the start page" in s)
    rows = trend.find_parent("table").select("tbody tr")
    assert [r.select("td")[2].get_text() for r in rows] == ["1", "2", "4", "5"]
    parts = page.find("caption", string=lambda s: s and "Parts of the accessibility" in s)
    assert "Enforcement procedure (EHRC / EASS) No" in parts.find_parent("table").get_text(
        " ", strip=True)


def test_the_edit_page_of_a_service_never_audited_says_so(client, demo, editor):
    service = demo["services"]["nhs-login"]
    text = soup(client.get(f"/admin/pages/{service.pk}/edit/")).get_text(" ", strip=True)
    assert "has not been audited yet" in text


def test_creating_a_service_still_works(client, demo, editor):
    index = demo["services_index"]
    response = client.get(
        f"/admin/pages/add/services_catalogue/digitalservice/{index.pk}/")
    assert response.status_code == 200
    assert b"has not been audited yet" not in response.content


# -- reports --------------------------------------------------------------------------
def test_the_failing_report_lists_services_that_need_attention(client, demo, editor):
    services = demo["services"]
    add_audit(services["nhs-app"], 1, failed_count=3)
    add_audit(services["nhs-app"], 0, failed_count=0)  # fixed since
    add_audit(services["nhs-login"], 0, failed_count=7)
    add_audit(services["nhs-website"], 0, statement_found_url="", statement_checks={})
    add_audit(services["nhs-111-online"], 0, error="The page answered HTTP 503.",
              http_status=503, passed_count=0)
    failing, never = failing_services()
    assert [s.slug for s, _ in failing] == ["nhs-111-online", "nhs-login", "nhs-website"]
    assert services["nhs-app"].pk not in [s.pk for s, _ in failing + never]
    page = soup(client.get("/admin/reports/accessibility-failing/"))
    rows = page.select("#failing-services tbody tr")
    assert [r.select("td")[0].get_text() for r in rows] == [
        "NHS 111 online", "NHS login", "NHS website"]
    assert "HTTP 503" in rows[0].get_text() and "Not found" in rows[2].get_text()
    assert "Not audited yet" in page.get_text()


def test_the_broken_links_report_lists_broken_links_with_where_they_are(client, demo, editor):
    service = demo["services"]["nhs-app"]
    support = InclusionSupportFactory(name="Hexham Library")
    now = timezone.now()
    LinkCheck.objects.create(page=service, url="https://gone.example/", status=404,
                             error="HTTP 404", broken=True, first_broken_at=now,
                             consecutive_failures=3, field="body")
    LinkCheck.objects.create(support=support, url="https://down.example/", broken=True,
                             error="Could not connect: refused", first_broken_at=now)
    LinkCheck.objects.create(page=service, url="https://fine.example/", status=200)
    page = soup(client.get("/admin/reports/broken-links/"))
    rows = page.select("table.listing tbody tr")
    assert len(rows) == 2
    assert "https://gone.example/" in rows[0].get_text() and "(3 checks)" in rows[0].get_text()
    assert rows[0].select_one(f'a[href="/admin/pages/{service.pk}/edit/"]')
    assert "Hexham Library" in rows[1].get_text() and "Could not connect" in rows[1].get_text()
    assert rows[1].select_one(f'a[href$="/{support.pk}/"]')


def test_the_reports_are_in_the_reports_menu_and_need_the_admin(client, demo, editor,
                                                                 django_user_model):
    admin_home = client.get("/admin/").content.decode()
    assert "/admin/reports/accessibility-failing/" in admin_home
    assert "/admin/reports/broken-links/" in admin_home
    client.logout()
    for url in ("/admin/reports/accessibility-failing/", "/admin/reports/broken-links/"):
        assert client.get(url).status_code == 302
    nobody = django_user_model.objects.create_user("nobody", password="pw")
    client.force_login(nobody)
    for url in ("/admin/reports/accessibility-failing/", "/admin/reports/broken-links/"):
        assert client.get(url).status_code in (302, 403)


# -- the public service page ----------------------------------------------------------
def test_citizens_see_that_the_statement_was_found_and_when_it_was_checked(client, demo):
    service = demo["services"]["nhs-app"]
    add_audit(service, checked_at=timezone.make_aware(datetime.datetime(2026, 3, 3, 2, 0)))
    page = soup(client.get("/services/nhs-app/"))
    section = page.find("h2", string="Accessibility and languages").find_next_siblings("p")
    text = " ".join(" ".join(p.get_text().split()) for p in section[:3])
    assert "Accessibility statement: found; last checked 3 March 2026." in text
    time = page.find("time", attrs={"datetime": "2026-03-03"})
    assert time is not None and time.get_text() == "3 March 2026"


def test_citizens_see_when_no_statement_was_found(client, demo):
    service = next(s for s in demo["services"].values() if not s.accessibility_statement_url)
    add_audit(service, statement_found_url="")
    text = soup(client.get(service.url)).get_text(" ", strip=True)
    assert "We have not found an accessibility statement for this service." in text
    assert "Accessibility statement: not found; last checked" in text


def test_a_statement_found_on_the_site_but_not_recorded(client, demo):
    service = next(s for s in demo["services"].values() if not s.accessibility_statement_url)
    audit = add_audit(service)
    page = soup(client.get(service.url))
    text = " ".join(page.get_text().split())
    assert "We have not found an accessibility statement" not in text
    assert f"Accessibility statement: found on the {service.title} website; last checked" in text
    link = page.find("a", string=f"found on the {service.title} website")
    assert link["href"] == audit.statement_found_url


def test_an_audit_that_could_not_fetch_the_page_does_not_say_the_statement_is_missing(
        client, demo):
    service = demo["services"]["nhs-app"]  # its statement address is recorded
    add_audit(service, 3, checked_at=timezone.make_aware(datetime.datetime(2026, 3, 3, 2, 0)))
    add_audit(service, 0, http_status=None, error="The server did not answer in time.",
              statement_found_url="", passed_count=0)
    text = " ".join(soup(client.get("/services/nhs-app/")).get_text().split())
    assert "not found" not in text
    assert "Accessibility statement: found; last checked 3 March 2026." in text
    assert statement_status(service).checked_at.date() == datetime.date(2026, 3, 3)


def test_a_service_only_ever_unreachable_shows_no_check_line(client, demo):
    service = next(s for s in demo["services"].values() if not s.accessibility_statement_url)
    add_audit(service, http_status=503, error="The page answered HTTP 503.",
              statement_found_url="")
    text = " ".join(soup(client.get(service.url)).get_text().split())
    assert "last checked" not in text
    assert "We have not found an accessibility statement for this service." in text


def test_a_service_never_audited_shows_no_check_line(client, demo):
    text = soup(client.get("/services/nhs-app/")).get_text(" ", strip=True)
    assert "last checked" not in text
    assert "Read the NHS App accessibility statement" in text


def test_statement_status_is_one_query(demo):
    service = demo["services"]["nhs-app"]
    assert statement_status(service) is None
    add_audit(service, 2, statement_found_url="")
    latest = add_audit(service, 1)
    add_audit(service, 1, kind="statement", statement_found_url="")
    with CaptureQueriesContext(connection) as queries:
        status = statement_status(service)
    assert len(queries) == 1
    assert status.statement_found and status.checked_at == latest.checked_at


def test_the_service_page_query_count_does_not_grow_with_audits(client, demo):
    service = demo["services"]["nhs-app"]

    def count():
        from django.core.cache import cache

        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/services/nhs-app/").status_code == 200
        return len(queries)

    add_audit(service)
    one = count()
    for days in range(1, 30):
        add_audit(service, days, findings=[{"rule": "x", "wcag": [], "outcome": "failed",
                                            "target": "p", "message": "m"}] * 50)
    assert count() == one


# -- nothing checked yet, or nothing fetched ----------------------------------------------
def test_the_failing_report_does_not_give_an_all_clear_when_nothing_was_audited(
        client, demo, editor):
    page = soup(client.get("/admin/reports/accessibility-failing/"))
    live = [s for s, _ in failing_services()[1]]
    assert live  # every live service is "never audited"
    summary = " ".join(page.select_one("#none-failing").get_text().split())
    assert "No live service is failing" not in summary
    assert f"{len(live)} live services have not been audited yet" in summary
    links = page.select("#never-audited a[href*='/audit/']")
    assert len(links) == len(live)


def test_the_failing_report_says_when_fetching_is_switched_off(client, demo, editor, settings):
    settings.FETCH_OFFLINE = True
    page = soup(client.get("/admin/reports/accessibility-failing/"))
    assert "switched off" in page.select_one("#report-offline").get_text()
    settings.FETCH_OFFLINE = False
    assert soup(client.get("/admin/reports/accessibility-failing/")).select_one(
        "#report-offline") is None


def test_an_unreachable_service_is_listed_as_not_checked_not_as_missing_its_statement(
        client, demo, editor):
    add_audit(demo["services"]["nhs-app"], http_status=None, error="Could not connect",
              statement_found_url="", passed_count=0)
    row = soup(client.get("/admin/reports/accessibility-failing/")).select_one(
        "#failing-services tbody tr")
    cells = [td.get_text(strip=True) for td in row.select("td")]
    assert cells[0] == "NHS App" and cells[-1] == "Not checked" and cells[-2] == ""


def test_the_broken_links_report_says_when_no_link_was_ever_checked(client, demo, editor):
    page = soup(client.get("/admin/reports/broken-links/"))
    assert "No links have been checked yet" in page.select_one("#no-broken-links").get_text()
    LinkCheck.objects.create(url="https://fine.example/", page=demo["services"]["nhs-app"],
                             status=200, broken=False)
    page = soup(client.get("/admin/reports/broken-links/"))
    assert page.select_one("#no-broken-links").get_text(strip=True) == "No broken links found."


def test_the_edit_page_panel_shows_an_unfetched_audit_as_not_checked(admin_client, demo):
    service = demo["services"]["nhs-app"]
    add_audit(service, http_status=None, error="Fetching from the internet is switched off here",
              statement_found_url="", passed_count=0)
    panel = soup(admin_client.get(f"/admin/pages/{service.pk}/edit/")).select_one(
        ".dfd-audit-panel")
    text = " ".join(panel.get_text().split())
    assert text.startswith("Not checked on")
    assert "switched off" in text
    assert "0 failed" not in text and "Not found" not in text
    assert panel.select_one("a[href$='/audit/']").get_text() == "Try again now"


def test_a_new_audit_empties_the_public_page_cache(demo):
    from portal.cache import content_version

    before = content_version()
    add_audit(demo["services"]["nhs-app"])
    assert content_version() > before
