"""Nothing unpublished ever reaches the public."""

import pytest
from bs4 import BeautifulSoup

from services_catalogue.models import Capability, Offer
from tests.factories import make_service

pytestmark = pytest.mark.django_db


def titles(response):
    page = BeautifulSoup(response.content, "html.parser")
    return {a.get_text(strip=True) for a in page.select(".nhsuk-card__heading a")}


def test_a_draft_service_is_not_listed_searchable_or_reachable(client, demo):
    draft = make_service(demo["services_index"], live=False, title="Secret pilot app",
                         summary="A zebrafish tracker nobody should see yet.")
    assert "Secret pilot app" not in titles(client.get("/services/"))
    assert "Secret pilot app" not in titles(client.get("/services/?q=zebrafish"))
    assert client.get(f"/services/{draft.slug}/").status_code == 404


def test_unpublished_changes_to_a_live_service_stay_hidden_until_published(client, demo):
    service = demo["services"]["nhs-app"]
    client.get("/services/nhs-app/")  # cached by the anonymous page cache
    service.summary = "A draft sentence that must not leak."
    revision = service.save_revision()
    assert b"must not leak" not in client.get("/services/nhs-app/").content
    revision.publish()
    assert b"must not leak" in client.get("/services/nhs-app/").content


def test_an_unpublished_service_offered_by_a_practice_is_not_shown_on_its_page(client, demo):
    practice = demo["practices"][0]
    draft = make_service(demo["services_index"], live=False, title="Unreleased triage tool",
                         capabilities=Capability.objects.filter(slug="self-triage"))
    Offer.objects.create(organisation=practice, service=draft)
    response = client.get(f"/practices/{practice.ods_code}/")
    assert b"Unreleased triage tool" not in response.content


def test_unpublishing_a_service_removes_it_from_the_cached_listing(client, demo):
    assert "NHS login" in titles(client.get("/services/"))
    demo["services"]["nhs-login"].unpublish()
    assert "NHS login" not in titles(client.get("/services/"))
