import pytest
from django.core.cache import cache

from portal.demo.loader import load_demo


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the demo ICS once into the test database; each test then runs in a rolled-back
    transaction on top of it, exactly as `make demo` leaves a fresh site."""
    from django.db import connections

    with django_db_blocker.unblock():
        load_demo()
        # Transactional tests (browser, worker) restore this snapshot after each flush:
        # take it again now so that it includes the demo, not just what migrations made.
        # It is set on the connection's class as well: once Playwright's sync API has run an
        # event loop, Django hands this thread fresh connection objects (asgiref locals are
        # context-bound), which would otherwise have no snapshot and restore nothing.
        for connection in connections.all():
            snapshot = connection.creation.serialize_db_to_string()
            connection._test_serialized_contents = snapshot
            type(connection)._test_serialized_contents = snapshot


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty page cache, as a fresh server would."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def demo(db):
    """The demo ICS's services, practices and pages."""
    from portal.models import HelpGettingOnlinePage, HomePage, PracticeIndexPage, ServiceIndexPage
    from services_catalogue.models import DigitalService, Organisation

    return {
        "services": {s.slug: s for s in DigitalService.objects.all()},
        "practices": list(Organisation.objects.filter(kind="gp_practice").order_by("ods_code")),
        "home": HomePage.objects.get(),
        "services_index": ServiceIndexPage.objects.get(),
        "practices_index": PracticeIndexPage.objects.get(),
        "help": HelpGettingOnlinePage.objects.get(),
    }
