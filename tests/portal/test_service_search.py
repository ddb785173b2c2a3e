"""Searching /services/ finds services by the words citizens use, on SQLite and PostgreSQL."""

import pytest
from bs4 import BeautifulSoup
from wagtail.search.backends import get_search_backend

from portal.demo.loader import load_demo
from services_catalogue.models import Capability, DigitalService
from tests.factories import make_service
from tests.portal.test_query_counts import count_queries, grow_catalogue

pytestmark = pytest.mark.django_db


def found(client, query: str, **filters) -> list[str]:
    """The titles of the services listed for a search, in the order shown."""
    response = client.get("/services/", {"q": query, **filters})
    assert response.status_code == 200
    page = BeautifulSoup(response.content, "html.parser")
    return [a.get_text(strip=True) for a in page.select(".nhsuk-card__heading a")]


@pytest.mark.parametrize("query", ["prescription", "prescriptions", "repeat prescription",
                                   "Order a repeat prescription", "PRESCRIPTION"])
def test_a_search_for_prescriptions_finds_the_nhs_app(client, demo, query):
    assert "NHS App" in found(client, query)


def test_a_search_finds_services_by_the_needs_they_meet(client, demo):
    # "Test results" is a need (capability), not a word in either service's summary.
    assert set(found(client, "test results")) == {"NHS App", "Hospital patient portal"}


def test_a_search_for_mental_health_finds_talking_therapies_first(client, demo):
    assert found(client, "mental health")[0] == "NHS Talking Therapies self-referral"


def test_a_search_for_a_doctor_finds_contacting_your_gp_practice_first(client, demo):
    assert found(client, "doctor")[0] == "Contact your GP practice online"
    assert found(client, "I need a doctor")[0] == "Contact your GP practice online"


@pytest.mark.parametrize(("query", "first"), [
    ("blood pressure", "Home blood pressure monitoring"),
    ("app", "NHS App"),
    ("hospital appointments", "Hospital patient portal"),
])
def test_services_with_the_words_in_their_title_are_listed_first(client, demo, query, first):
    assert found(client, query)[0] == first


def test_when_some_services_have_every_word_only_those_are_listed(client, demo):
    titles = found(client, "hospital appointment")
    assert "Hospital patient portal" in titles
    # It books appointments, but says nothing about hospitals.
    assert "Contact your GP practice online" not in titles


def test_when_no_service_has_every_word_services_with_any_of_them_are_listed(client, demo):
    titles = found(client, "physiotherapy for my wobbly knee")
    assert titles[0] == "Physiotherapy self-referral"


def test_common_words_alone_do_not_match_every_service(client, demo):
    titles = found(client, "how do I get to the")
    assert len(titles) < DigitalService.objects.live().count()


def test_search_still_narrows_by_the_other_filters(client, demo):
    assert found(client, "prescription", channel="phone") == []
    assert found(client, "prescription", channel="app") == ["NHS App"]


def test_a_new_service_is_found_by_the_needs_it_meets(client, demo):
    need = Capability.objects.create(name="Flu vaccination", slug="flu-vaccination",
                                      citizen_label="Book a flu jab")
    make_service(demo["services_index"], title="Winter vaccines", slug="winter-vaccines",
                 summary="Protect yourself this winter.", capabilities=[need])
    assert found(client, "flu jab") == ["Winter vaccines"]


def test_reloading_the_demo_indexes_the_needs_of_services_indexed_before(client, demo):
    """A database indexed before needs were searchable gets them on the next `load_demo`."""
    backend = get_search_backend()
    for service in DigitalService.objects.all():
        backend.delete(service)
    assert found(client, "test results") == []
    load_demo()
    assert set(found(client, "test results")) == {"NHS App", "Hospital patient portal"}


@pytest.mark.parametrize("query", ["prescription", "mental health", "a OR b NEAR c"])
def test_search_query_count_does_not_grow_with_the_catalogue(client, demo, query):
    url = f"/services/?q={query.replace(' ', '+')}"
    grow_catalogue(demo, services=2, practices=2)
    small = count_queries(client, url)
    grow_catalogue(demo, services=25, practices=40)
    large = count_queries(client, url)
    assert large == small


@pytest.mark.parametrize("query", ["OR", "a OR b", "NOT prescription", "prescription*",
                                   "\"repeat", "NEAR(repeat prescription)", "^order", "-repeat"])
def test_query_syntax_is_only_ever_words(client, demo, query):
    response = client.get("/services/", {"q": query})
    assert response.status_code == 200


def test_an_empty_result_has_no_skip_link_and_says_no_services_were_found(client, demo):
    page = BeautifulSoup(client.get("/services/?q=zzyzx").content, "html.parser")
    assert page.select_one("a[href='#results-heading']") is None
    assert "Skip to the 0" not in page.get_text()
    assert page.select_one("#results-heading").get_text(strip=True).startswith("No services found")


def test_a_non_empty_result_keeps_its_skip_link(client, demo):
    page = BeautifulSoup(client.get("/services/?q=physiotherapy").content, "html.parser")
    skip = page.select_one("form a[href='#results-heading']")
    assert skip is not None and skip.get_text(strip=True) == "Skip to the 1 result"
    assert page.select_one("#results-heading").get_text(strip=True).startswith("1 service")


def test_a_need_added_when_a_service_is_published_is_searchable_at_once(
        client, demo, django_capture_on_commit_callbacks):
    need = Capability.objects.create(name="Flu vaccination", slug="flu-vaccination",
                                      citizen_label="Book a flu jab")
    service = DigitalService.objects.get(slug="nhs-app")
    with django_capture_on_commit_callbacks(execute=True):
        service.capabilities.add(need)
        service.save_revision().publish()
    assert "NHS App" in found(client, "flu jab")


def test_renaming_a_need_makes_its_services_findable_by_the_new_name(
        client, demo, django_capture_on_commit_callbacks):
    need = Capability.objects.get(slug="test-results")
    meeting_it = set(DigitalService.objects.live().filter(capabilities=need)
                     .values_list("title", flat=True))
    assert meeting_it and found(client, "pathology") == []
    need.citizen_label = "See your pathology results"
    with django_capture_on_commit_callbacks(execute=True):
        need.save()
    assert set(found(client, "pathology")) == meeting_it
