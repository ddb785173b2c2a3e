import pytest


@pytest.fixture(autouse=True)
def _without_demo_uptake(request):
    """The demo ICS comes with synthetic uptake (portal/demo/uptake.py); these tests start
    from none, so that what they find is what they imported (rolled back after each test)."""
    if "demo" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("demo")
    from portal.demo.uptake import SOURCE_NAME
    from services_catalogue.models import UptakeSource

    UptakeSource.objects.filter(name=SOURCE_NAME).delete()
    yield
