"""bench/catalogue.py's baseline view: off unless BENCHMARK_BASELINE_VIEW is set, never cached."""

import importlib

import pytest
from django.core.cache import cache
from django.urls import clear_url_caches

import portal.urls
from portal.cache import page_cache_key

pytestmark = pytest.mark.django_db


def reload_urls():
    importlib.reload(portal.urls)
    clear_url_caches()


@pytest.fixture
def baseline_on(settings):
    settings.BENCHMARK_BASELINE_VIEW = True
    reload_urls()
    yield
    settings.BENCHMARK_BASELINE_VIEW = False
    reload_urls()


def test_the_baseline_is_off_by_default(client, settings):
    assert settings.BENCHMARK_BASELINE_VIEW is False
    assert client.get("/_bench/baseline/").status_code == 404


def test_the_baseline_is_a_tiny_uncached_text_response(baseline_on, client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/_bench/baseline/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert response.content == b"ok\n"
    assert cache.get(page_cache_key("testserver", "/_bench/baseline/")) is None
