"""The evidence's "Accessibility of the services" section, from the services' latest audits."""

import pytest
from bs4 import BeautifulSoup

from inclusion import evidence, results
from services_catalogue.models import DigitalService
from tests.factories import add_audit

pytestmark = pytest.mark.django_db


def live_services():
    return list(DigitalService.objects.live().exclude(lifecycle="retired").order_by("title"))


def section():
    return next(s for s in evidence.sections()[0] if s.key == "accessibility")


def failed(rule):
    return {"rule": rule, "wcag": [], "outcome": "failed", "target": "img", "message": "x"}


def test_with_no_audits_every_service_counts_as_without_a_statement_so_it_is_red(demo):
    # the rule counts a service not audited lately as without: no audits at all is no
    # evidence, rated the same as after one audit that found nothing
    found = section()
    services = live_services()
    assert found.rag == "red"
    assert found.findings[0] == f"0 of {len(services)} live services audited in the last 31 days."
    assert f"up to date: 0 of {len(services)}" in found.findings[1]
    assert "Audits run daily" in found.findings[-1]
    assert found.sources == ["No accessibility audit has been run yet."]
    add_audit(services[0], days_ago=1, statement_found_url="")
    assert section().rag == "red"


def test_with_no_live_services_there_is_nothing_to_rate(demo):
    DigitalService.objects.update(live=False)
    assert section().rag == "grey"


def test_most_services_with_a_current_statement_is_green(demo):
    services = live_services()
    with_statement = services[: len(services) - len(services) // 10]
    for service in with_statement:
        add_audit(service, days_ago=1)
    for service in services[len(with_statement):]:
        add_audit(service, days_ago=1, statement_found_url="")
    share = 100 * len(with_statement) / len(services)
    assert share >= 90
    found = section()
    assert found.rag == "green"
    assert (f"found and up to date: {len(with_statement)} of {len(services)} live services "
            f"({share:.0f}%)") in found.findings[1]


def test_out_of_date_missing_and_stale_audits_do_not_count(demo):
    services = live_services()
    assert len(services) >= 5
    out_of_date, missing, stale, unaudited = services[:4]
    add_audit(out_of_date, days_ago=2, statement_out_of_date=True)
    add_audit(missing, days_ago=2, statement_found_url="")
    add_audit(stale, days_ago=40)  # a current statement, but not checked in 31 days
    good = services[4:]
    for service in good:
        add_audit(service, days_ago=3)
    share = 100 * len(good) / len(services)
    expected = "green" if share >= 90 else "amber" if share >= 70 else "red"
    found = section()
    assert found.rag == expected
    audited = len(services) - 2  # `stale` is too old and `unaudited` never was
    assert found.findings[0].startswith(f"{audited} of {len(services)} live services audited")
    assert f"out of date: 1; not found or not checked: {len(services) - len(good) - 1}." \
        in found.findings[1]


def test_the_most_common_failures_are_named_with_how_many_services(demo):
    services = live_services()
    for service in services[:3]:
        add_audit(service, failed_count=2, findings=[failed("23a2a8"), failed("23a2a8")])
    add_audit(services[3], failed_count=1, findings=[failed("c487ae")])
    for service in services[4:]:
        add_audit(service)
    found = section()
    text = " ".join(found.findings)
    assert f"Start pages with failed automated checks: 4 of {len(services)}." in text
    assert "Most common failures: Image has non-empty accessible name (3 services); " \
           "Link has non-empty accessible name (1 service)." in text


def test_an_unreachable_start_page_is_named(demo):
    services = live_services()
    add_audit(services[0], http_status=None, error="Could not connect", statement_found_url="")
    found = section()
    assert f"Start page could not be fetched: 1 ({services[0].title})." in found.findings


def test_a_new_audit_changes_the_data_version(demo):
    before = results.data_version()
    add_audit(live_services()[0])
    assert results.data_version() != before


def test_the_evidence_page_shows_the_section_with_its_rule(lead):
    add_audit(live_services()[0])
    page = BeautifulSoup(lead.get("/admin/inclusion/evidence/").content.decode(), "html.parser")
    heading = page.select_one("#accessibility h2").get_text(" ", strip=True)
    assert heading.startswith("Accessibility of the services:")
    assert page.select_one("#evidence-summary a[href='#accessibility']") is not None
    rule = page.select_one("#accessibility .evidence-rule").get_text(" ", strip=True)
    assert "statement" in rule and "31 days" in rule
