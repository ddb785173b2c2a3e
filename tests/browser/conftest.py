"""Fixtures for the browser tests: one headless Chromium per session, a fresh context per test.

Playwright's sync API runs an asyncio event loop in the test thread, so Django's
"async unsafe" guard has to be relaxed for the ORM calls the tests make.

The browser may only ever talk to the live server on loopback: every request to
any other host is aborted (the public pages link out to nhs.uk and elsewhere).

Every test here runs against `live_server`, so it is transactional: the database
is flushed after each test, taking the demo loaded at session start with it. Each
module therefore marks its tests `django_db(transaction=True, serialized_rollback=True)`
(the restore brings back what the migrations created: Wagtail's root page, the staff
groups, the approval workflow) and asks for `demo_site`, which loads the demo again.
"""

import os
from urllib.parse import urlsplit

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

import pytest  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
LOOPBACK_HOSTS = {"127.0.0.1", "localhost"}
DEFAULT_TIMEOUT_MS = 15_000


def is_loopback(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about"):
        return True
    return parts.hostname in LOOPBACK_HOSTS


@pytest.fixture(scope="session")
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is not installed (make chromium installs it)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def blocked_requests():
    """URLs the browser tried to fetch from anywhere but loopback (all of them aborted)."""
    return []


class _InFlight:
    """Counts a context's unfinished requests, so teardown can let them end first.

    A request still being served when the test's database is flushed and locked
    would fail noisily in the live server's thread.
    """

    def __init__(self, context):
        self.count = 0
        context.on("request", self._started)
        context.on("requestfinished", self._ended)
        context.on("requestfailed", self._ended)

    def _started(self, _request):
        self.count += 1

    def _ended(self, _request):
        self.count = max(0, self.count - 1)


def _settle(context, in_flight: _InFlight, timeout_ms: int = 5_000) -> None:
    pages = context.pages
    waited = 0
    while pages and in_flight.count and waited < timeout_ms:
        pages[0].wait_for_timeout(50)
        waited += 50


@pytest.fixture
def new_context(browser, blocked_requests):
    """Make a browser context that can reach only the live server; all are closed after the test."""
    contexts = []

    def guard(route):
        url = route.request.url
        if is_loopback(url):
            route.continue_()
        else:
            blocked_requests.append(url)
            route.abort("blockedbyclient")

    def make(**options):
        options.setdefault("viewport", {"width": 1024, "height": 768})
        context = browser.new_context(**options)
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        context.route("**/*", guard)
        contexts.append((context, _InFlight(context)))
        return context

    yield make
    for context, in_flight in contexts:
        _settle(context, in_flight)
        context.close()


@pytest.fixture
def page(new_context):
    return new_context().new_page()


@pytest.fixture
def demo_site(live_server):
    """The demo ICS in the database the live server reads; returns the server's URL.

    `load_demo` is idempotent: cheap when the session's demo is still there, a full
    load after an earlier browser test's flush.
    """
    from portal.demo.loader import load_demo

    load_demo()
    return live_server.url
