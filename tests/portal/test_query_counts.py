"""Public pages cost the same number of queries however big the catalogue grows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from services_catalogue.models import Capability, Offer
from tests.factories import OrganisationFactory, make_service

pytestmark = pytest.mark.django_db

URLS = ["/", "/services/", "/services/?need=prescriptions", "/services/nhs-app/",
        "/practices/", "/practices/A84009/", "/help-getting-online/"]


def count_queries(client, url) -> int:
    from django.core.cache import cache

    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def grow_catalogue(demo, services: int, practices: int) -> None:
    capabilities = list(Capability.objects.all())
    practice = demo["practices"][0]
    railway = next(p for p in demo["practices"] if p.ods_code == "A84009")
    for i in range(services):
        service = make_service(demo["services_index"], capabilities=capabilities[i % 5:i % 5 + 3])
        Offer.objects.create(organisation=railway if i % 2 else practice, service=service)
    OrganisationFactory.create_batch(practices, parent=practice.parent)


@pytest.mark.parametrize("url", URLS)
def test_query_count_does_not_grow_with_the_catalogue(client, demo, url):
    grow_catalogue(demo, services=2, practices=2)
    small = count_queries(client, url)
    grow_catalogue(demo, services=25, practices=40)
    large = count_queries(client, url)
    assert large == small, f"{url}: {small} queries with a small catalogue, {large} with a large one"
