"""The two audit engines and the one shape their findings are stored in.

* ``static``: :func:`tasks.accessibility.check_html`, the W3C ACT rules decided from the
  markup alone. Fast (about 0.05 s for a 100 KB page; audits run the rules through
  :func:`static_audit`, about a third of that), no browser.
* ``axe``: axe-core (bundled by ``axe-playwright-python``) in headless Chromium.

The browser never touches the network. The page's HTML is fetched beforehand by the
GuardedFetcher (the SSRF guard); the browser is pointed at the page's own URL but every request
it makes is intercepted: the main document is answered with the fetched HTML, style sheets are
fetched through the same GuardedFetcher (so colour contrast and layout use the site's CSS),
and everything else (scripts, images, fonts, frames, beacons) is aborted. On top of that the
page is served with a Content-Security-Policy that lets none of its own scripts run and allows
no connections (axe itself is injected through the DevTools protocol, which CSP does not
govern), and the browser resolves no host names and sends anything not intercepted to a
closed proxy port, so neither a preconnect hint nor a WebSocket can open a connection.

A finding is a dict ``{rule, wcag, outcome, target, message, impact?, nodes?}``; ``nodes``
says how many elements a grouped finding stands for (1 when absent).
"""

from __future__ import annotations

import os
import queue
import re
import threading
from collections import Counter
from concurrent.futures import Future
from dataclasses import dataclass, field

from django.conf import settings

from tasks.accessibility import (
    CANT_TELL,
    FAILED,
    PASSED,
    RULES,
    check_html,
    css_selector,
    open_page,
)

STATIC = "static"
AXE = "axe"
ENGINES = (STATIC, AXE)
DEFAULT_BROWSER = "/usr/bin/chromium"
BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-quic",
    "--disable-sync",
    # Belt and braces behind the request interception (see the module docstring).
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--proxy-server=http://127.0.0.1:9",
    "--proxy-bypass-list=<-loopback>",
    "--dns-prefetch-disable",
    "--no-pings",
    "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}}
AXE_TIMEOUT_MS = 60_000
MAX_STYLESHEETS = 10
MAX_STYLESHEET_BYTES = 1024 * 1024
# Failed and cantTell findings are stored one per element up to this many per audit; beyond
# it, and for every passed check, findings are grouped per rule with a node count.
MAX_STORED_FINDINGS = 500

# The audited page's own scripts never run and it cannot open connections: only styles (and
# data: images and fonts) load. axe is injected through the DevTools protocol, which CSP does
# not govern.
PAGE_CSP = (
    "default-src 'none'; style-src * 'unsafe-inline'; img-src data:; font-src data:; "
    "script-src 'none'; connect-src 'none'; frame-src 'none'; worker-src 'none'; "
    "object-src 'none'; form-action 'none'; base-uri 'self'"
)

NO_BROWSER_NOTE = "No browser installed: static checker used."


def browser_path() -> str:
    return getattr(settings, "ACCESSIBILITY_AUDIT_BROWSER", "") or DEFAULT_BROWSER


def browser_available() -> bool:
    path = browser_path()
    return os.path.isfile(path) and os.access(path, os.X_OK)


NO_PACKAGES_NOTE = (
    "axe-core is not installed (the project's [axe] extra: playwright, axe-playwright-python): "
    "static checker used."
)


def axe_unavailable_reason() -> str:
    """Why the axe engine cannot run here ("" if it can): no browser, or no Playwright."""
    if not browser_available():
        return NO_BROWSER_NOTE
    try:
        import axe_playwright_python  # noqa: F401
        import playwright  # noqa: F401
    except ImportError:
        return NO_PACKAGES_NOTE
    return ""


def default_engine() -> str:
    engine = getattr(settings, "ACCESSIBILITY_AUDIT_ENGINE", "") or os.environ.get(
        "ACCESSIBILITY_AUDIT_ENGINE", STATIC
    )
    return engine if engine in ENGINES else STATIC


# -- the stored shape ---------------------------------------------------------------------
def static_findings(html: str, url: str = "") -> list[dict]:
    return [
        {"rule": f.rule, "wcag": list(f.wcag), "outcome": f.outcome, "target": f.target,
         "message": f.message}
        for f in check_html(html, url)
    ]


def static_audit(html: str, url: str = "", limit: int = MAX_STORED_FINDINGS, probe=None
                 ) -> tuple[dict[str, int], list[dict], object]:
    """What the static checker stores for a page: ``(count_outcomes(f), compact_findings(f,
    limit), probe result)`` for ``f = static_findings(html, url)``, without building the
    findings that compacting only counts: a passed finding's target selector is worked out
    only for the first pass of each rule (the one a grouped finding shows), and the page's
    elements are materialised only as far as the rules and those selectors need.

    ``probe(parser)``, if given, is called with the page's lexbor parser (``limit_nesting``
    of the HTML) before it is released, and its result returned."""
    counts = {PASSED: 0, FAILED: 0, CANT_TELL: 0}
    listed: list[dict] = []  # failed, then cantTell: what compact_findings sorts first
    cant_tell: list[dict] = []
    passed: dict[str, dict] = {}  # rule -> its first pass, then how many
    passed_nodes: dict[str, int] = {}
    with open_page(html, url) as page:
        for spec in RULES:
            rule = spec.id
            npassed = 0
            page.quiet = False
            page.passes = 0  # passes a rule counts (without yielding) once quiet
            for outcome, el, message in spec.fn(page):
                if outcome == PASSED:
                    if not npassed:
                        passed[rule] = {"rule": rule, "wcag": list(spec.wcag), "outcome": outcome,
                                        "target": css_selector(page, el), "message": message}
                        page.quiet = True  # the other passes are only counted
                    npassed += 1
                    continue
                counts[outcome] += 1
                finding = {"rule": rule, "wcag": list(spec.wcag), "outcome": outcome,
                           "target": css_selector(page, el), "message": message}
                (listed if outcome == FAILED else cant_tell).append(finding)
            npassed += page.passes
            if npassed:
                passed_nodes[rule] = npassed
                counts[PASSED] += npassed
        probed = probe(page.parser) if probe is not None else None
    listed.extend(cant_tell)
    limit = max(limit, 0)
    kept = [_clean(f) for f in listed[:limit]]
    grouped: dict[tuple[str, str], dict] = {}
    for finding in listed[limit:]:
        key = (finding["rule"], finding["outcome"])
        group = grouped.get(key)
        if group is None:
            group = grouped[key] = dict(_clean(finding), nodes=0)
            group["message"] = "Further elements with the same outcome (not listed)."
        group["nodes"] += 1
    for rule, finding in passed.items():
        group = dict(_clean(finding), nodes=passed_nodes[rule])
        group["message"] = "Passed."
        grouped[(rule, PASSED)] = group
    return counts, kept + list(grouped.values()), probed


def count_outcomes(findings: list[dict]) -> dict[str, int]:
    counts: Counter = Counter()
    for finding in findings:
        counts[finding["outcome"]] += int(finding.get("nodes") or 1)
    return {PASSED: counts[PASSED], FAILED: counts[FAILED], CANT_TELL: counts[CANT_TELL]}


def compact_findings(findings: list[dict], limit: int = MAX_STORED_FINDINGS) -> list[dict]:
    """What is stored: every failed and cantTell finding (up to `limit`), then one grouped
    finding per rule and outcome for the passes and for any beyond the limit.

    Counting the result with :func:`count_outcomes` gives the same totals as the input."""
    findings = [_clean(f) for f in findings]
    kept: list[dict] = []
    grouped: dict[tuple[str, str], dict] = {}
    order = {FAILED: 0, CANT_TELL: 1, PASSED: 2}
    for finding in sorted(findings, key=lambda f: order.get(f["outcome"], 3)):
        nodes = int(finding.get("nodes") or 1)
        if finding["outcome"] != PASSED and len(kept) < limit:
            kept.append(finding)
            continue
        key = (finding["rule"], finding["outcome"])
        group = grouped.get(key)
        if group is None:
            group = dict(finding, nodes=0)
            if finding["outcome"] == PASSED:
                group["message"] = "Passed."
            else:
                group["message"] = "Further elements with the same outcome (not listed)."
            grouped[key] = group
        group["nodes"] += nodes
    return kept + list(grouped.values())


MAX_TARGET_CHARS = 500
MAX_MESSAGE_CHARS = 1000


def _clean(finding: dict) -> dict:
    """Bounded strings without NUL characters (PostgreSQL's jsonb refuses them)."""
    cleaned = dict(finding)
    for key, limit in (("target", MAX_TARGET_CHARS), ("message", MAX_MESSAGE_CHARS)):
        value = cleaned.get(key)
        if isinstance(value, str):
            value = value.replace("\x00", "\ufffd")
            cleaned[key] = value if len(value) <= limit else value[: limit - 1] + "\u2026"
    return cleaned


# -- axe ----------------------------------------------------------------------------------
_WCAG_SC = re.compile(r"^wcag(\d)(\d)(\d{1,2})$")


def wcag_criteria(tags: list[str]) -> list[str]:
    """axe's tags to success criteria: "wcag111" -> "1.1.1", "wcag1410" -> "1.4.10"."""
    criteria = []
    for tag in tags:
        match = _WCAG_SC.match(tag)
        if match:
            criteria.append(".".join(str(int(part)) for part in match.groups()))
    return criteria


def axe_findings(results: dict) -> list[dict]:
    """axe-core's result object as findings: one per rule and outcome, with node counts."""
    findings = []
    for key, outcome in (("violations", FAILED), ("incomplete", CANT_TELL), ("passes", PASSED)):
        for rule in results.get(key) or []:
            nodes = rule.get("nodes") or []
            target = ""
            if nodes:
                first = nodes[0].get("target") or []
                target = " ".join(
                    t if isinstance(t, str) else " ".join(map(str, t)) for t in first
                )
            finding = {
                "rule": rule.get("id", ""),
                "wcag": wcag_criteria(rule.get("tags") or []),
                "outcome": outcome,
                "target": target,
                "message": rule.get("help", "") or rule.get("description", ""),
                "nodes": max(1, len(nodes)),
            }
            if rule.get("impact") or (outcome != PASSED and nodes and nodes[0].get("impact")):
                finding["impact"] = rule.get("impact") or nodes[0].get("impact")
            findings.append(finding)
    return findings


class BrowserUnavailable(Exception):
    pass


@dataclass
class AxeRun:
    findings: list[dict] = field(default_factory=list)
    version: str = ""
    blocked: list[str] = field(default_factory=list)
    stylesheets: int = 0


class AxeRunner:
    """One headless Chromium, driven from its own thread.

    Playwright's sync API runs an event loop in the thread that uses it, which Django's ORM
    refuses to share, so the browser lives in a worker thread and callers hand it work. Use as
    a context manager (or call :meth:`close`); the browser starts on first use.
    """

    def __init__(self, fetcher=None, executable: str | None = None):
        self.fetcher = fetcher
        self.executable = executable or browser_path()
        self._jobs: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self._started = threading.Event()
        self._start_error: BaseException | None = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- the browser thread ---------------------------------------------------------------
    def _serve(self) -> None:
        try:
            from axe_playwright_python.base import AXE_SCRIPT
            from playwright.sync_api import sync_playwright

            playwright = sync_playwright().start()
            browser = playwright.chromium.launch(
                executable_path=self.executable, args=BROWSER_ARGS, headless=True
            )
            axe_script = AXE_SCRIPT
        except BaseException as error:  # noqa: BLE001 - reported to every caller
            self._start_error = error
            self._started.set()
            return
        self._started.set()
        try:
            while True:
                job = self._jobs.get()
                if job is None:
                    break
                future, html, url = job
                if not future.set_running_or_notify_cancel():
                    continue
                try:
                    future.set_result(self._audit(browser, axe_script, html, url))
                except BaseException as error:  # noqa: BLE001
                    future.set_exception(error)
        finally:
            try:
                browser.close()
            finally:
                playwright.stop()

    def _audit(self, browser, axe_script: str, html: str, url: str) -> AxeRun:
        run = AxeRun()
        page_url = url if url.startswith(("http://", "https://")) else "https://audit.invalid/"
        main = page_url.split("#", 1)[0]
        context = browser.new_context(
            service_workers="block",
            viewport={"width": 1280, "height": 1024},
        )
        try:
            context.set_default_timeout(AXE_TIMEOUT_MS)
            attempts = [0]  # style sheets asked for

            def route(route):
                request = route.request
                target = request.url.split("#", 1)[0]
                if request.resource_type == "document" and target == main:
                    route.fulfill(
                        status=200, body=html.encode("utf-8"),
                        headers={"Content-Type": "text/html; charset=utf-8",
                                 "Content-Security-Policy": PAGE_CSP},
                    )
                elif (
                    request.resource_type == "stylesheet"
                    and self.fetcher is not None
                    and attempts[0] < MAX_STYLESHEETS
                ):
                    attempts[0] += 1
                    css = self.fetcher.fetch(request.url)
                    if css.ok and len(css.body) <= MAX_STYLESHEET_BYTES:
                        run.stylesheets += 1
                        route.fulfill(status=200, body=css.body,
                                      headers={"Content-Type": "text/css"})
                    else:
                        run.blocked.append(request.url)
                        route.abort("blockedbyclient")
                else:
                    run.blocked.append(request.url)
                    route.abort("blockedbyclient")

            context.route("**/*", route)
            page = context.new_page()
            page.goto(main, wait_until="load")
            page.evaluate(axe_script)
            results = page.evaluate(
                "options => axe.run(document, options)", AXE_OPTIONS
            )
            run.version = (results.get("testEngine") or {}).get("version", "")
            run.findings = axe_findings(results)
            return run
        finally:
            context.close()

    # -- the caller's side ----------------------------------------------------------------
    def _ensure_started(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._serve, name="axe-browser", daemon=True)
            self._thread.start()
        self._started.wait()
        if self._start_error is not None:
            raise BrowserUnavailable(str(self._start_error)) from self._start_error

    def run(self, html: str, url: str, timeout: float = 120.0) -> AxeRun:
        self._ensure_started()
        future: Future = Future()
        self._jobs.put((future, html, url))
        return future.result(timeout=timeout)

    def close(self) -> None:
        if self._thread is not None:
            self._jobs.put(None)
            self._thread.join(timeout=30)
            self._thread = None
