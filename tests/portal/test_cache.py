"""Anonymous pages are served from the cache, and any content change invalidates it."""

import pytest

from portal.cache import content_version
from services_catalogue.models import InclusionSupport

pytestmark = pytest.mark.django_db


def test_a_repeat_anonymous_request_is_served_without_touching_the_database(
    client, demo, django_assert_num_queries
):
    client.get("/services/")
    with django_assert_num_queries(0):
        response = client.get("/services/")
    assert response.status_code == 200


def test_saving_a_catalogue_record_invalidates_cached_pages(client, demo):
    before = content_version()
    client.get("/help-getting-online/")
    InclusionSupport.objects.create(
        name="Rothbury digital café", kind="course", place="North Northumberland",
        description="Drop in for help with your phone.",
    )
    assert content_version() > before
    assert b"Rothbury digital caf" in client.get("/help-getting-online/").content


def test_signed_in_staff_neither_read_nor_fill_the_public_cache(client, demo, django_user_model):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get("/services/")  # an anonymous visit fills the cache
    client.force_login(django_user_model.objects.create_user("editor", password="pw"))
    with CaptureQueriesContext(connection) as signed_in:
        client.get("/services/")
    assert len(signed_in.captured_queries) > 0, "staff were served the anonymous copy"
    client.logout()
    from django.core.cache import cache

    cache.clear()
    client.force_login(django_user_model.objects.get(username="editor"))
    client.get("/services/")
    client.logout()
    with CaptureQueriesContext(connection) as anonymous:
        client.get("/services/")
    assert len(anonymous.captured_queries) > 0, "a signed-in visit filled the public cache"


def test_not_found_pages_are_not_cached(client, demo, django_assert_max_num_queries):
    client.get("/no-such-page/")
    with django_assert_max_num_queries(50) as captured:
        client.get("/no-such-page/")
    assert len(captured.captured_queries) > 0


def test_the_open_data_api_is_cached_and_invalidated_on_publish(client, demo, django_assert_num_queries):
    first = client.get("/api/openreferral/services")
    assert first.status_code == 200
    with django_assert_num_queries(0):
        again = client.get("/api/openreferral/services")
    assert again.content == first.content and again["Access-Control-Allow-Origin"] == "*"
    service = demo["services"]["nhs-login"]
    service.summary = "Republished sentence."
    service.save_revision().publish()
    assert b"Republished sentence." in client.get("/api/openreferral/services?per_page=200").content
