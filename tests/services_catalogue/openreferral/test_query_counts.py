"""The API costs the same number of queries however many services a page or download holds."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from services_catalogue.models import Capability, Offer, Organisation
from tests.factories import OrganisationFactory, make_service

from .support import API

pytestmark = pytest.mark.django_db


def count_queries(client, path) -> int:
    cache.clear()  # Wagtail caches the site's root paths; measure from cold each time
    with CaptureQueriesContext(connection) as captured:
        response = client.get(API + path)
        assert response.status_code == 200, response.content[:500]
    return len(captured.captured_queries)


def grow_catalogue(demo, services: int, practices: int) -> None:
    capabilities = list(Capability.objects.all())
    practice = demo["practices"][0]
    railway = next(p for p in demo["practices"] if p.ods_code == "A84009")
    for i in range(services):
        service = make_service(demo["services_index"], scope="local",
                               capabilities=capabilities[i % 5:i % 5 + 3])
        Offer.objects.create(organisation=railway if i % 2 else practice, service=service)
    OrganisationFactory.create_batch(practices, parent=practice.parent)


def paths(demo) -> list[str]:
    practice = demo["practices"][0]
    icb = Organisation.objects.get(kind="icb")
    app = demo["services"]["nhs-app"]
    return [
        "", "services?per_page=200", "services?per_page=200&full=true",
        f"services?per_page=200&organization_id={practice.public_id}",
        "services?per_page=200&search=service", f"services/{app.public_id}",
        "organizations?per_page=200", "organizations?per_page=200&full=true",
        f"organizations/{practice.public_id}", f"organizations/{icb.public_id}?full_service=true",
        "taxonomies", "taxonomy_terms?per_page=200", "download.json", "download.csv",
    ]


def test_query_counts_do_not_grow_with_the_catalogue(client, demo):
    grow_catalogue(demo, services=2, practices=2)
    small = {path: count_queries(client, path) for path in paths(demo)}
    grow_catalogue(demo, services=25, practices=40)
    large = {path: count_queries(client, path) for path in paths(demo)}
    grown = {path: (small[path], large[path]) for path in small if large[path] != small[path]}
    assert not grown, f"queries (small, large) grew with the catalogue: {grown}"
