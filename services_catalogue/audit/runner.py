"""Auditing a service: its start page and its accessibility statement.

Plain functions; the Celery tasks in :mod:`tasks.audits` and ``manage.py audit_accessibility``
wrap them. Every fetch goes through the :class:`tasks.fetch.GuardedFetcher` handed in.

:func:`audit_url` does the work and returns plain data (nothing is stored);
:func:`audit_service` audits a service's URLs and stores one :class:`AccessibilityAudit` per
URL; :func:`audit_all` audits every live, non-retired service, one failure never stopping the
others.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from django.db import transaction
from django.utils import timezone

from tasks.fetch import FetchResult

from . import engines
from .statement import StatementCheck, check_statement, statement_links

logger = logging.getLogger(__name__)

START_PAGE = "start_page"
STATEMENT = "statement"
HTML_TYPES = ("text/html", "application/xhtml+xml")
MAX_STATEMENT_CANDIDATES = 3
TRANSIENT_STATUSES = {429, 500, 502, 503, 504}


class TransientAuditError(Exception):
    """The start page could not be fetched for a reason worth retrying (network, 5xx)."""

    def __init__(self, report: AuditReport):
        super().__init__(report.start.error or f"HTTP {report.start.http_status}")
        self.report = report


@dataclass
class PageAudit:
    """What we learnt about one URL: the fields of an AccessibilityAudit, unsaved."""

    url: str
    kind: str = START_PAGE
    engine: str = engines.STATIC
    engine_note: str = ""
    checked_at: datetime.datetime = field(default_factory=timezone.now)
    http_status: int | None = None
    final_url: str = ""
    response_time_ms: int | None = None
    content_type: str = ""
    error: str = ""
    tls_error: bool = False
    transient: bool = False
    findings: list[dict] = field(default_factory=list)
    passed_count: int = 0
    failed_count: int = 0
    cant_tell_count: int = 0
    statement_found_url: str = ""
    statement_checks: dict = field(default_factory=dict)
    statement_out_of_date: bool = False
    # False when the static check saw that the page links nothing a statement link could be
    # (so `statement_links` need not parse it again); None when not known. Not stored.
    may_link_statement: bool | None = field(default=None, repr=False, compare=False)

    def model_fields(self) -> dict:
        return {
            name: getattr(self, name)
            for name in (
                "url", "kind", "engine", "engine_note", "checked_at", "http_status", "final_url",
                "response_time_ms", "content_type", "error", "tls_error", "findings",
                "passed_count", "failed_count", "cant_tell_count", "statement_found_url",
                "statement_checks", "statement_out_of_date",
            )
        }

    def as_json(self) -> dict:
        data = self.model_fields()
        data["checked_at"] = self.checked_at.isoformat()
        data["status"] = self.http_status
        return data


@dataclass
class AuditReport:
    start: PageAudit
    statement: PageAudit | None = None
    statement_check: StatementCheck | None = None

    @property
    def pages(self) -> list[PageAudit]:
        return [self.start] + ([self.statement] if self.statement else [])


# -- pieces -------------------------------------------------------------------------------
NETWORK_ERRORS = ("Could not connect", "The server did not answer", "The request failed",
                  "The server sent the page too slowly")


def _fill_fetch(audit: PageAudit, result: FetchResult) -> None:
    audit.http_status = result.status
    audit.final_url = (result.redirects[-1] if result.redirects else result.url)[:2000]
    audit.response_time_ms = round(result.elapsed_ms)
    audit.content_type = result.content_type[:200]
    audit.tls_error = result.tls_error
    if result.error:
        audit.error = result.error
        audit.transient = not result.tls_error and result.error.startswith(NETWORK_ERRORS)
    elif result.status is None or not 200 <= result.status < 300:
        audit.error = f"The page answered HTTP {result.status}."
        audit.transient = result.status in TRANSIENT_STATUSES
    elif not is_html(result.content_type):
        audit.error = f"Not an HTML page ({result.content_type or 'no content type'})."


# Every anchor that `statement_links` could score (link text, aria-label, title or address
# mentioning "accessibility", in any ASCII case; its text is matched one text node at a time,
# so a text node holding the word is needed, inside the anchor or one of its descendants).
_STATEMENT_LINK_SELECTOR = ", ".join(
    f"a[href]{where}" for where in (
        ':lexbor-contains("accessibility" i)', ' :lexbor-contains("accessibility" i)',
        '[href*="accessibility" i]', '[aria-label*="accessibility" i]',
        '[title*="accessibility" i]',
    )
)


def may_link_statement(parser) -> bool:
    """Whether `statement_links` could find anything on a page, asked of the page's parse
    (lexbor's selector engine, in C) so that pages without such a link are not parsed and
    walked again."""
    return parser.css_first(_STATEMENT_LINK_SELECTOR) is not None


def is_html(content_type: str) -> bool:
    kind = content_type.split(";", 1)[0].strip().lower()
    return not kind or kind in HTML_TYPES


class Checker:
    """Runs the chosen engine, falling back to the static checker when the browser is
    missing or fails (the audit's engine_note says so)."""

    def __init__(self, engine: str, fetcher, axe: engines.AxeRunner | None = None):
        self.requested = engine
        self.fetcher = fetcher
        self.note = ""
        self._axe = axe
        self._own_axe = False
        if engine == engines.AXE:
            reason = engines.axe_unavailable_reason()
            if reason:
                self.note = reason
                self.requested = engines.STATIC

    def close(self) -> None:
        if self._own_axe and self._axe is not None:
            self._axe.close()
            self._axe = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def check(self, audit: PageAudit, html: str, url: str) -> None:
        audit.engine_note = self.note
        findings = None
        if self.requested == engines.AXE:
            try:
                if self._axe is None:
                    self._axe = engines.AxeRunner(fetcher=self.fetcher)
                    self._own_axe = True
                run = self._axe.run(html, url)
                findings = run.findings
                audit.engine = engines.AXE
                audit.engine_note = (
                    f"axe-core {run.version} in Chromium on the fetched HTML "
                    f"({run.stylesheets} style sheet(s) fetched; scripts, images and other "
                    "requests blocked)."
                )
            except Exception as error:  # noqa: BLE001 - any browser failure falls back
                logger.warning("axe failed on %s: %s", url, error)
                audit.engine_note = f"axe-core failed ({error}): static checker used."[:300]
                if self._own_axe and self._axe is not None:
                    self._axe.close()  # a hung or crashed browser is not reused
                    self._axe = None
        if findings is None:
            audit.engine = engines.STATIC
            counts, audit.findings, audit.may_link_statement = engines.static_audit(
                html, url, probe=None if "\x00" in html else may_link_statement)
        else:
            counts = engines.count_outcomes(findings)
            audit.findings = engines.compact_findings(findings)
        audit.passed_count = counts["passed"]
        audit.failed_count = counts["failed"]
        audit.cant_tell_count = counts["cantTell"]


def audit_page(url: str, fetcher, checker: Checker, kind: str = START_PAGE
               ) -> tuple[PageAudit, str]:
    """Fetch and check one page: (the audit, the page's HTML or "" if it was not fetched)."""
    audit = PageAudit(url=url, kind=kind)
    result = fetcher.fetch(url)
    _fill_fetch(audit, result)
    if audit.error:
        audit.engine = checker.requested
        audit.engine_note = checker.note
        return audit, ""
    html = result.text()
    checker.check(audit, html, audit.final_url or url)
    return audit, html


def audit_url(url: str, fetcher, *, engine: str | None = None, statement_url: str = "",
              checker: Checker | None = None, today: datetime.date | None = None) -> AuditReport:
    """Audit a start page and the accessibility statement it links to (or `statement_url`).

    Nothing is stored. The statement is the first that can be fetched of: `statement_url`
    (what editors entered), then the start page's links whose text or address mentions
    accessibility."""
    own_checker = checker is None
    checker = checker or Checker(engine or engines.default_engine(), fetcher)
    try:
        start, html = audit_page(url, fetcher, checker, START_PAGE)
        report = AuditReport(start=start)
        candidates = [statement_url] if statement_url else []
        if html and start.may_link_statement is not False:
            candidates += statement_links(html, start.final_url or url)
        start_keys = {_normalise(url), _normalise(start.final_url or url)}
        seen = set(start_keys)
        tried: list[dict] = []
        fallback = None
        first_failure = None
        if statement_url and html and _normalise(statement_url) in start_keys:
            # Editors say the start page is (or holds) the statement: check it there.
            report.statement_check = check_statement(html, today=today)
            candidates = []
        for candidate in candidates:
            key = _normalise(candidate)
            if key in seen:
                continue
            seen.add(key)
            if len(tried) >= MAX_STATEMENT_CANDIDATES:
                break
            page, statement_html = audit_page(candidate, fetcher, checker, STATEMENT)
            tried.append({"url": candidate, "status": page.http_status, "error": page.error})
            if not statement_html:
                first_failure = first_failure or page
                continue
            check = check_statement(statement_html, today=today)
            if check.looks_like_statement or candidate == statement_url:
                report.statement, report.statement_check = page, check
                break
            fallback = fallback or (page, check)
        if report.statement is None and fallback is not None:
            # stored so editors see it, but a page that does not read like a statement
            # (no compliance status, hardly any required part) is not "found"
            report.statement = fallback[0]
            _summarise_statement(report, tried, not_a_statement=fallback[0].url)
            return report
        if report.statement is None:
            report.statement = first_failure  # stored, so editors see why it failed
        _summarise_statement(report, tried)
        return report
    finally:
        if own_checker:
            checker.close()


def _summarise_statement(report: AuditReport, tried: list[dict], not_a_statement: str = ""
                         ) -> None:
    check = report.statement_check
    if check is None:
        if not_a_statement:
            reason = (f"The linked page {not_a_statement} does not read like an accessibility "
                      "statement (no compliance status and few of the required parts).")
        elif tried:
            reason = "No statement could be fetched."
        else:
            reason = "No link to an accessibility statement on the start page, and none recorded."
        summary = {"found": False, "reason": reason, "tried": tried}
        for page in report.pages:
            page.statement_checks = summary
        return
    found = report.statement or report.start  # the start page itself may be the statement
    found_url = found.final_url or found.url
    summary = {"found": True, **check.as_json(), "tried": tried}
    for page in report.pages:
        page.statement_found_url = found_url
        page.statement_checks = summary
        page.statement_out_of_date = check.out_of_date


def _normalise(url: str) -> str:
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return url
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/") or "/",
                       parts.query, ""))


# -- storing ------------------------------------------------------------------------------
def store_report(service, report: AuditReport):
    """One AccessibilityAudit per URL audited (start page, statement)."""
    from services_catalogue.models import AccessibilityAudit

    with transaction.atomic():
        return [
            AccessibilityAudit.objects.create(service=service, **page.model_fields())
            for page in report.pages
        ]


def audit_service(service, fetcher, engine: str | None = None, *, retry_transient: bool = False,
                  checker: Checker | None = None, today: datetime.date | None = None):
    """Audit a service's start page and statement and store the results.

    With `retry_transient`, a network error or 5xx on the start page raises
    :class:`TransientAuditError` instead of storing (the Celery task retries it)."""
    report = audit_url(
        service.service_url, fetcher, engine=engine, checker=checker, today=today,
        statement_url=service.accessibility_statement_url or "",
    )
    if retry_transient and report.start.transient:
        raise TransientAuditError(report)
    return store_report(service, report)


def services_to_audit():
    from services_catalogue.models import DigitalService, Lifecycle

    return DigitalService.objects.live().exclude(lifecycle=Lifecycle.RETIRED).order_by("pk")


@dataclass
class AuditAllResult:
    audited: int = 0
    failed: list[tuple[int, str]] = field(default_factory=list)  # (service id, error)

    @property
    def total(self) -> int:
        return self.audited + len(self.failed)


def audit_all(fetcher, engine: str | None = None, on_result=None) -> AuditAllResult:
    """Audit every live, non-retired service. A site that fails (or even an unexpected error
    in our own code) is recorded against that service and the run carries on.

    `on_result(service, audits, error)` is called after each service (for progress and
    printing): `audits` the stored AccessibilityAudits, `error` the message if it failed."""
    from services_catalogue.models import AccessibilityAudit

    outcome = AuditAllResult()
    with Checker(engine or engines.default_engine(), fetcher) as checker:
        for service in services_to_audit():
            try:
                audits = audit_service(service, fetcher, checker=checker)
            except Exception as error:  # noqa: BLE001 - one service never stops the rest
                logger.exception("Auditing %s failed", service.service_url)
                message = f"The audit failed: {error.__class__.__name__}: {error}"
                audits = [AccessibilityAudit.objects.create(
                    service=service, url=service.service_url[:2000], kind=START_PAGE,
                    engine=checker.requested, error=message, engine_note=checker.note,
                )]
            error = audits[0].error
            if error:
                outcome.failed.append((service.pk, error))
            else:
                outcome.audited += 1
            if on_result is not None:
                on_result(service, audits, error)
    return outcome


def url_services(urls: list[str]) -> dict[str, object]:
    """The live service (if any) each URL is the start page of."""
    from services_catalogue.models import DigitalService

    wanted = {_normalise(url): url for url in urls}
    found: dict[str, object] = {}
    for service in DigitalService.objects.live().only("pk", "title", "service_url",
                                                       "accessibility_statement_url"):
        url = wanted.get(_normalise(service.service_url))
        if url is not None and url not in found:
            found[url] = service
    return found


def result_json(start, statement=None) -> dict:
    """The `--json` shape of an audit: works on PageAudit and AccessibilityAudit alike.

    {url, status, final_url, response_time_ms, content_type, engine, engine_note, error,
     checked_at, counts: {passed, failed, cantTell}, findings: [...],
     statement: {found, url, out_of_date, checks, status, error, findings} }"""

    def page(audit) -> dict:
        return {
            "url": audit.url,
            "status": audit.http_status,
            "final_url": audit.final_url,
            "response_time_ms": audit.response_time_ms,
            "content_type": audit.content_type,
            "engine": audit.engine,
            "engine_note": audit.engine_note,
            "error": audit.error,
            "tls_error": audit.tls_error,
            "checked_at": audit.checked_at.isoformat(),
            "counts": {"passed": audit.passed_count, "failed": audit.failed_count,
                       "cantTell": audit.cant_tell_count},
            "findings": audit.findings,
        }

    data = page(start)
    data["statement"] = {
        "found": bool(start.statement_found_url),
        "url": start.statement_found_url,
        "out_of_date": start.statement_out_of_date,
        "checks": start.statement_checks,
        "page": page(statement) if statement is not None else None,
    }
    return data
