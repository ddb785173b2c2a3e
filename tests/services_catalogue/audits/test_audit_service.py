"""Auditing services against fixture sites on 127.0.0.1: one AccessibilityAudit per URL."""

import datetime

import pytest

from services_catalogue.audit import engines, runner
from services_catalogue.audit.runner import TransientAuditError, audit_all, audit_service, audit_url
from services_catalogue.models import AccessibilityAudit, AuditKind
from tests.factories import make_service

pytestmark = pytest.mark.django_db


def service_at(demo, sites, path, statement_path="", **fields):
    return make_service(
        demo["services_index"], service_url=sites.url(path),
        accessibility_statement_url=sites.url(statement_path) if statement_path else "",
        **fields,
    )


def test_a_good_service_gets_a_start_page_and_a_statement_audit(demo, sites, fetcher):
    service = service_at(demo, sites, "/svc/good/")
    start, statement = audit_service(service, fetcher)
    assert (start.kind, statement.kind) == (AuditKind.START_PAGE, AuditKind.STATEMENT)
    assert start.http_status == 200 and start.error == "" and start.engine == "static"
    assert start.content_type.startswith("text/html") and start.response_time_ms is not None
    assert start.failed_count == 1  # the logo without alt text
    assert start.passed_count > 0
    failure = next(f for f in start.findings if f["outcome"] == "failed")
    assert failure["rule"] == "23a2a8" and failure["wcag"] == ["1.1.1"]
    assert set(failure) >= {"rule", "wcag", "outcome", "target", "message"}
    assert start.statement_found_url == sites.url("/svc/good/accessibility")
    assert statement.url == sites.url("/svc/good/accessibility")
    assert start.statement_checks["found"] and start.statement_checks["missing"] == []
    assert start.statement_checks["compliance_status"] == "partially compliant"
    assert not start.statement_out_of_date and start.statement_found
    assert not start.failing or start.failed_count  # failing only because of the image
    assert AccessibilityAudit.objects.filter(service=service).count() == 2


def test_an_out_of_date_statement_is_flagged(demo, sites, fetcher):
    start, statement = audit_service(service_at(demo, sites, "/svc/old/"), fetcher)
    assert start.statement_found_url == sites.url("/svc/old/statement")
    assert start.statement_out_of_date and statement.statement_out_of_date
    assert start.statement_checks["reviewed_on"] == "2022-03-01"
    assert start.failing


def test_an_incomplete_statement_names_its_missing_parts(demo, sites, fetcher):
    start, _ = audit_service(service_at(demo, sites, "/svc/partial/"), fetcher)
    assert start.statement_found  # found by its address, the link text says only "Help"
    assert start.statement_missing_parts == ["review_date", "enforcement_procedure"]
    assert not start.statement_out_of_date


def test_a_page_without_a_statement_is_flagged_missing(demo, sites, fetcher):
    audits = audit_service(service_at(demo, sites, "/svc/none/"), fetcher)
    assert len(audits) == 1
    start = audits[0]
    assert not start.statement_found and start.failing
    assert start.statement_checks["found"] is False
    assert "No link to an accessibility statement" in start.statement_checks["reason"]


def test_the_recorded_statement_url_is_used_when_the_page_does_not_link_one(
        demo, sites, fetcher):
    service = service_at(demo, sites, "/svc/none/", "/svc/old/statement")
    start, statement = audit_service(service, fetcher)
    assert start.statement_found_url == sites.url("/svc/old/statement")
    assert statement.kind == AuditKind.STATEMENT


def test_a_broken_recorded_statement_falls_back_to_the_linked_one(demo, sites, fetcher):
    service = service_at(demo, sites, "/svc/good/", "/svc/missing")
    start, statement = audit_service(service, fetcher)
    assert start.statement_found_url == sites.url("/svc/good/accessibility")
    tried = start.statement_checks["tried"]
    assert tried[0] == {"url": sites.url("/svc/missing"), "status": 404,
                        "error": "The page answered HTTP 404."}


def test_a_statement_link_that_is_broken_is_stored_with_its_error(demo, sites, fetcher):
    start, statement = audit_service(service_at(demo, sites, "/svc/broken-statement/"), fetcher)
    assert not start.statement_found
    assert statement.http_status == 404 and statement.error
    assert start.statement_checks["reason"] == "No statement could be fetched."


def test_redirects_are_followed_and_the_final_url_recorded(demo, sites, fetcher):
    start, _ = audit_service(service_at(demo, sites, "/svc/redirect/"), fetcher)
    assert start.final_url == sites.url("/svc/good/") and start.http_status == 200
    assert start.statement_found


@pytest.mark.parametrize("path, status, error", [
    ("/broken", 500, "The page answered HTTP 500."),
    ("/nothing-here", 404, "The page answered HTTP 404."),
    ("/image", 200, "Not an HTML page (image/png)."),
    ("/statement.pdf", 200, "Not an HTML page (application/pdf)."),
])
def test_pages_that_cannot_be_checked_are_recorded(demo, sites, fetcher, path, status, error):
    (start,) = audit_service(service_at(demo, sites, path), fetcher)
    assert start.http_status == status and start.error == error
    assert start.findings == [] and start.failed_count == 0 and start.failing


@pytest.mark.parametrize("path, reason", [
    ("/to-private", "private"), ("/to-metadata", "metadata"),
])
def test_redirects_to_internal_addresses_are_refused(demo, sites, fetcher, path, reason):
    (start,) = audit_service(service_at(demo, sites, path), fetcher)
    assert reason in start.error and start.http_status is None


def test_an_endless_body_is_cut_off_and_not_checked(demo, sites):
    from tests.services_catalogue.audits.sites import make_fetcher

    with make_fetcher(max_bytes=100_000) as small:
        (start,) = audit_service(service_at(demo, sites, "/endless"), small)
    assert "larger than" in start.error and start.findings == []


def test_a_slow_drip_is_abandoned(demo, sites):
    from tests.services_catalogue.audits.sites import make_fetcher

    with make_fetcher(timeout=0.3) as impatient:
        (start,) = audit_service(service_at(demo, sites, "/short-drip"), impatient)
    assert "slowly" in start.error


def test_invalid_utf8_is_checked_anyway(demo, sites, fetcher):
    (start,) = audit_service(service_at(demo, sites, "/bad-utf8-page"), fetcher)
    assert start.error == "" and start.failed_count == 1


def test_a_connection_refused_is_transient_and_can_be_retried(demo, sites, fetcher):
    import socket

    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    service = make_service(demo["services_index"], service_url=f"http://127.0.0.1:{port}/")
    with pytest.raises(TransientAuditError):
        audit_service(service, fetcher, retry_transient=True)
    assert not AccessibilityAudit.objects.filter(service=service).exists()
    (start,) = audit_service(service, fetcher)
    assert start.error.startswith("Could not connect")


def test_a_5xx_is_transient_but_a_404_is_not(demo, sites, fetcher):
    with pytest.raises(TransientAuditError):
        audit_service(service_at(demo, sites, "/server-error"), fetcher, retry_transient=True)
    (start,) = audit_service(service_at(demo, sites, "/nothing"), fetcher, retry_transient=True)
    assert start.http_status == 404


def test_audit_url_stores_nothing(demo, sites, fetcher):
    before = AccessibilityAudit.objects.count()
    report = audit_url(sites.url("/svc/good/"), fetcher)
    assert report.start.statement_found_url and report.statement is not None
    assert AccessibilityAudit.objects.count() == before


def test_statement_dates_are_judged_against_the_given_day(demo, sites, fetcher):
    report = audit_url(sites.url("/svc/old/"), fetcher, today=datetime.date(2022, 6, 1))
    assert not report.start.statement_out_of_date


# -- every service --------------------------------------------------------------------
def test_audit_all_covers_live_services_and_one_failure_never_stops_the_others(
        demo, sites, fetcher, monkeypatch):
    good = service_at(demo, sites, "/svc/good/")
    broken = service_at(demo, sites, "/broken")
    exploding = service_at(demo, sites, "/svc/none/")
    retired = service_at(demo, sites, "/svc/old/", lifecycle="retired")
    draft = service_at(demo, sites, "/svc/old/", live=False)

    real = runner.audit_page

    def audit_page(url, *args, **kwargs):
        if url == exploding.service_url:
            raise RuntimeError("checker crashed")
        return real(url, *args, **kwargs)

    monkeypatch.setattr(runner, "audit_page", audit_page)
    seen = []
    outcome = audit_all(fetcher, on_result=lambda s, a, e: seen.append(s.pk))
    live = set(runner.services_to_audit().values_list("pk", flat=True))
    assert set(seen) == live and retired.pk not in live and draft.pk not in live
    failed = dict(outcome.failed)
    assert good.pk not in failed
    assert failed[broken.pk] == "The page answered HTTP 500."
    assert "RuntimeError: checker crashed" in failed[exploding.pk]
    # the demo's real services resolve to nothing in tests: recorded, never contacted
    nhs_app = demo["services"]["nhs-app"]
    assert "could not be resolved" in failed[nhs_app.pk]
    assert outcome.total == len(live)
    latest = AccessibilityAudit.objects.filter(service=exploding).get()
    assert latest.error.startswith("The audit failed: RuntimeError")
    assert not AccessibilityAudit.objects.filter(service__in=[retired, draft]).exists()


def test_without_a_browser_the_static_checker_runs_and_says_so(demo, sites, fetcher, settings,
                                                                tmp_path):
    settings.ACCESSIBILITY_AUDIT_BROWSER = str(tmp_path / "missing-chromium")
    start, statement = audit_service(service_at(demo, sites, "/svc/good/"), fetcher, engine="axe")
    assert start.engine == statement.engine == "static"
    assert start.engine_note == statement.engine_note == engines.NO_BROWSER_NOTE
    assert start.failed_count == 1


def test_the_setting_chooses_the_engine(demo, sites, fetcher, settings, tmp_path):
    settings.ACCESSIBILITY_AUDIT_ENGINE = "axe"
    settings.ACCESSIBILITY_AUDIT_BROWSER = str(tmp_path / "missing-chromium")
    (start,) = audit_service(service_at(demo, sites, "/svc/none/"), fetcher)
    assert start.engine_note == engines.NO_BROWSER_NOTE


def test_a_browser_that_fails_falls_back_to_static(demo, sites, fetcher, monkeypatch):
    monkeypatch.setattr(engines, "browser_available", lambda: True)

    def broken_run(self, html, url, timeout=120.0):
        raise engines.BrowserUnavailable("it crashed")

    monkeypatch.setattr(engines.AxeRunner, "run", broken_run)
    (start,) = audit_service(service_at(demo, sites, "/svc/none/"), fetcher, engine="axe")
    assert start.engine == "static" and "axe-core failed (it crashed)" in start.engine_note


def test_a_statement_recorded_at_the_start_page_address_is_read_there(demo, sites, fetcher):
    service = service_at(demo, sites, "/svc/good/accessibility", "/svc/good/accessibility")
    audits = audit_service(service, fetcher)
    assert len(audits) == 1  # one URL, one audit
    assert audits[0].statement_found_url == sites.url("/svc/good/accessibility")
    assert audits[0].statement_missing_parts == []


def test_a_linked_page_that_is_not_a_statement_is_not_found(demo, sites, fetcher):
    start, page = audit_service(service_at(demo, sites, "/svc/help-only/"), fetcher)
    assert not start.statement_found and page.url == sites.url("/svc/help-only/a11y")
    assert "does not read like an accessibility statement" in start.statement_checks["reason"]
    assert page.kind == AuditKind.STATEMENT and page.http_status == 200
