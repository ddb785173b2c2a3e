"""The deep engine: axe-core in real headless Chromium, on HTML the GuardedFetcher fetched.

The browser makes no connection of its own: the fixture server sees the page's style sheet
fetched (by the GuardedFetcher, for the browser) but none of its images, scripts, frames or
preconnects, and a style sheet on a private address is refused by the guard.
"""

import pytest

from services_catalogue.audit import engines
from services_catalogue.audit.runner import audit_service
from tests.factories import make_service

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _needs_chromium():
    if not engines.browser_available():
        pytest.skip(f"{engines.browser_path()} is not installed (make chromium installs it)")


def test_axe_audits_a_page_in_chromium_without_touching_the_network(demo, sites, fetcher):
    service = make_service(demo["services_index"], service_url=sites.url("/svc/styled/"))
    before = len(sites.hits)
    start, statement = audit_service(service, fetcher, engine="axe")
    hits = sites.hits[before:]

    assert start.engine == statement.engine == "axe"
    assert start.engine_note.startswith("axe-core 4.") and "1 style sheet(s)" in start.engine_note
    contrast = next(f for f in start.findings if f["rule"] == "color-contrast")
    assert contrast["outcome"] == "failed" and contrast["wcag"] == ["1.4.3"]
    assert contrast["impact"] == "serious" and contrast["nodes"] == 1
    assert contrast["target"] in (".faint", "p")  # axe picks the shortest unique selector
    assert start.failed_count >= 1 and start.passed_count > 0
    assert start.failed_count == sum(
        f.get("nodes", 1) for f in start.findings if f["outcome"] == "failed")
    assert all(f["wcag"] or f["rule"] for f in start.findings)
    assert start.statement_found and not start.statement_out_of_date

    assert "/svc/styled.css" in hits  # fetched by the GuardedFetcher
    assert not [hit for hit in hits if hit.startswith("/beacon")], hits
