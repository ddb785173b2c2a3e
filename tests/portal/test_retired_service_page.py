"""A closed (retired) service's page says it has closed and what to use instead, and no
longer tells citizens how to start it."""

import pytest
from bs4 import BeautifulSoup

from tests.factories import make_service

pytestmark = pytest.mark.django_db


def service_page(client, service) -> BeautifulSoup:
    response = client.get(service.url)
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def headings(page) -> list[str]:
    return [h.get_text(" ", strip=True) for h in page.select("main h2")]


def test_a_retired_service_points_to_its_replacement_and_not_to_how_to_start(client, demo):
    index = demo["services_index"]
    replacement = make_service(index, title="New wound photos")
    closed = make_service(index, title="Old wound photos", lifecycle="retired",
                          replaced_by=replacement, how_to_start="Fill in the old form.")
    page = service_page(client, closed)
    callout = page.select_one(".nhsuk-warning-callout")
    assert "This service has closed" in callout.get_text()
    assert callout.select_one(f"a[href='{replacement.url}']").get_text() == "New wound photos"
    assert "How to start" not in headings(page) and "Who can use it" not in headings(page)
    assert "Fill in the old form." not in page.get_text()
    assert page.select_one(".nhsuk-action-link") is None
    assert page.select_one(".dfd-facts") is None
    # the offline way is still given: people may still need to do the thing
    assert "If you cannot or do not want to go online" in headings(page)


def test_a_retired_service_without_a_replacement_offers_the_list_of_services(client, demo):
    closed = make_service(demo["services_index"], title="Old thing", lifecycle="retired")
    callout = service_page(client, closed).select_one(".nhsuk-warning-callout")
    assert callout.select_one("a[href='/services/']").get_text() == "Find another service"


def test_a_live_service_still_says_how_to_start(client, demo):
    service = make_service(demo["services_index"], how_to_start="Sign in with NHS login.")
    page = service_page(client, service)
    assert "How to start" in headings(page)
    assert page.select_one(".nhsuk-action-link") is not None
