"""Fixture web sites for the accessibility auditor and link checker, on 127.0.0.1 only.

Extends tests/tasks/fixture_server.py's hostile fixtures (endless body, slow drip, redirects
to private and metadata addresses, wrong content type, invalid UTF-8) with service sites: a
start page linking its statement, good / out-of-date / incomplete statements, a page with no
statement, broken pages, a flaky page for retries and a styled page for the browser engine.

Statement dates are relative to today so the fixtures never go out of date themselves.

No test using these can reach beyond 127.0.0.0/8: `make_fetcher` gives the GuardedFetcher a
transport that refuses any other address and a resolver that knows no host names.
"""

from __future__ import annotations

import datetime
import threading
import time
from http.server import ThreadingHTTPServer

from tasks.fetch import GuardedFetcher
from tests.tasks.fixture_server import FixtureHandler
from tests.tasks.loopback import LoopbackOnlyTransport


def long_date(day: datetime.date) -> str:
    return f"{day.day} {day:%B %Y}"


def today() -> datetime.date:
    return datetime.date.today()


def page(title: str, body: str) -> bytes:
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f'</head><body><main id="main"><h1>{title}</h1>{body}</main></body></html>'
    ).encode()


def start_page(title: str, footer: str = "", extra: str = "") -> bytes:
    body = (
        "<p>Order repeat prescriptions and book appointments.</p>"
        '<img src="/logo.png">'  # no alt text: one ACT failure (23a2a8)
        f"{extra}"
        f"<footer><ul><li><a href='/privacy'>Privacy</a></li>{footer}</ul></footer>"
    )
    return page(title, body)


def statement(prepared: datetime.date | None, reviewed: datetime.date | None, *,
              status: str = "partially compliant", enforcement: bool = True,
              contact: bool = True, non_accessible: bool = True) -> bytes:
    parts = [
        "<p>This accessibility statement applies to the Example Repeat Prescriptions service.</p>",
        "<h2>How accessible this website is</h2>",
        f"<p>This website is {status} with the Web Content Accessibility Guidelines version "
        "2.2 AA standard.</p>" if status else "",
    ]
    if contact:
        parts.append(
            "<h2>Feedback and contact information</h2><p>If you need information in a "
            'different format, email <a href="mailto:access@example.nhs.uk">'
            "access@example.nhs.uk</a> or call 0191 496 0000.</p>"
        )
    if enforcement:
        parts.append(
            "<h2>Enforcement procedure</h2><p>The Equality and Human Rights Commission (EHRC) "
            "is responsible for enforcing the accessibility regulations. If you're not happy "
            "with how we respond to your complaint, contact the Equality Advisory and Support "
            "Service (EASS).</p>"
        )
    if non_accessible:
        parts.append(
            "<h2>Non-accessible content</h2><p>Some PDFs are not accessible to screen "
            "reader software.</p>"
        )
    dates = []
    if prepared:
        dates.append(f"This statement was prepared on {long_date(prepared)}.")
    if reviewed:
        dates.append(f"It was last reviewed on {long_date(reviewed)}.")
    parts.append(f"<h2>Preparation of this accessibility statement</h2><p>{' '.join(dates)}</p>")
    return page("Accessibility statement", "".join(parts))


STYLED = page(
    "Styled service",
    '<p class="faint">Hard to read text</p><img src="/beacon/img" alt="">'
    "<script>fetch('/beacon/script')</script>"
    '<iframe src="/beacon/frame" title="frame"></iframe>'
    '<footer><a href="/svc/good/accessibility">Accessibility statement</a></footer>',
).replace(
    b"</title>",
    b'</title><link rel="stylesheet" href="/svc/styled.css">'
    b'<link rel="preconnect" href="/beacon/preconnect">'
    b'<link rel="stylesheet" href="http://10.0.0.1/evil.css">',
)


class AuditSiteHandler(FixtureHandler):
    """FixtureHandler's hostile pages plus the service sites."""

    hits: list[str] = []
    flaky_counts: dict[str, int] = {}
    lock = threading.Lock()

    def do_GET(self):  # noqa: C901 - one branch per fixture
        path = self.path.split("?")[0]
        with self.lock:
            self.hits.append(path)
        now = today()
        fresh = statement(now - datetime.timedelta(days=200), now - datetime.timedelta(days=30))
        if path == "/svc/good/":
            self.send_body(200, start_page(
                "Good service",
                '<li><a href="/svc/good/accessibility">Accessibility statement</a></li>'))
        elif path == "/svc/good/accessibility":
            self.send_body(200, fresh)
        elif path == "/svc/old/":
            self.send_body(200, start_page(
                "Old service", '<li><a href="statement">Accessibility</a></li>'))
        elif path == "/svc/old/statement":
            self.send_body(200, statement(datetime.date(2020, 9, 23), datetime.date(2022, 3, 1)))
        elif path == "/svc/partial/":
            self.send_body(200, start_page(
                "Partial service",
                '<li><a href="/svc/partial/help/accessibility-statement">Help</a></li>'))
        elif path == "/svc/partial/help/accessibility-statement":
            self.send_body(200, statement(now - datetime.timedelta(days=10), None,
                                          enforcement=False))
        elif path == "/svc/help-only/":
            self.send_body(200, start_page(
                "Help only", '<li><a href="/svc/help-only/a11y">Accessibility</a></li>'))
        elif path == "/svc/help-only/a11y":
            self.send_body(200, page("Accessibility", "<p>Use your browser to make text "
                                                      "bigger.</p>"))
        elif path == "/svc/none/":
            self.send_body(200, start_page("No statement service"))
        elif path == "/svc/broken-statement/":
            self.send_body(200, start_page(
                "Broken statement", '<li><a href="/svc/missing">Accessibility statement</a></li>'))
        elif path == "/svc/redirect/":
            self.redirect("/svc/good/", 301)
        elif path == "/svc/styled/":
            self.send_body(200, STYLED)
        elif path == "/svc/styled.css":
            self.send_body(200, b".faint{color:#eeeeee;background:#ffffff}", "text/css")
        elif path.startswith("/beacon"):
            self.send_body(200, b"", "text/plain")
        elif path.startswith("/flaky/"):
            # /flaky/<key>/<n>: 503 for the first n requests of this key, then a good page
            _, _, key, failures = path.split("/")
            with self.lock:
                self.flaky_counts[key] = self.flaky_counts.get(key, 0) + 1
                count = self.flaky_counts[key]
            if count <= int(failures):
                self.send_body(503, b"busy")
            else:
                self.send_body(200, start_page("Flaky service"))
        elif path == "/links/ok":
            self.send_body(200, page("Fine", "<p>fine</p>"))
        elif path == "/links/big":
            self.send_body(200, page("Big", "<p>" + "x" * 200_000 + "</p>"))
        elif path == "/links/gone":
            self.send_body(404, b"gone")
        elif path == "/short-drip":
            # like /drip but over 2 s: the fetcher notices its deadline only between chunks
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            try:
                for _ in range(40):
                    self.wfile.write(b"<p>.</p>")
                    self.wfile.flush()
                    time.sleep(0.05)
            except (BrokenPipeError, ConnectionResetError):
                pass
        elif path == "/broken":
            self.send_body(500, b"oops")
        elif path == "/statement.pdf":
            self.send_body(200, b"%PDF-1.4", "application/pdf")
        elif path == "/bad-utf8-page":
            self.send_body(200, start_page("Caf\xe9", "").replace(b"Caf\xc3\xa9", b"Caf\xe9\xff"))
        else:
            super().do_GET()


class AuditSites:
    def __init__(self):
        handler = type("Handler", (AuditSiteHandler,), {"hits": [], "flaky_counts": {}})
        self.handler = handler
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def hits(self) -> list[str]:
        return self.handler.hits

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def no_dns(host, port):
    """Tests resolve no host names: the demo's real services are refused, never contacted."""
    raise OSError(f"test resolver: {host} is not resolved in tests")


def make_fetcher(**options) -> GuardedFetcher:
    defaults = dict(allowed_networks=["127.0.0.1/32"], transport=LoopbackOnlyTransport(),
                    resolver=no_dns, timeout=2.0, max_bytes=256 * 1024)
    defaults.update(options)
    return GuardedFetcher(**defaults)
