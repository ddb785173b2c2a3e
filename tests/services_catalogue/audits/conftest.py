import pytest

from tests.services_catalogue.audits.sites import AuditSites, make_fetcher


@pytest.fixture(scope="session")
def sites():
    with AuditSites() as running:
        yield running


@pytest.fixture
def fetcher():
    with make_fetcher() as guarded:
        yield guarded


@pytest.fixture(autouse=True)
def _static_engine_by_default(settings):
    """Tests choose the engine explicitly; nothing picks axe up from the environment."""
    settings.ACCESSIBILITY_AUDIT_ENGINE = "static"
