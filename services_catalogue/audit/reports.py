"""What editors and citizens are shown about audits and links: plain query functions."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import OuterRef, Subquery

TREND_LENGTH = 10


def _latest_start_audits(service_ids=None):
    from services_catalogue.models import AccessibilityAudit, AuditKind

    audits = AccessibilityAudit.objects.filter(kind=AuditKind.START_PAGE)
    if service_ids is not None:
        audits = audits.filter(service_id__in=service_ids)
    return audits


def latest_audit(service):
    """The service's most recent start page audit (which carries the statement result)."""
    return _latest_start_audits([service.pk]).order_by("-checked_at", "-pk").first()


@dataclass
class StatementStatus:
    """The citizen-facing line: "Accessibility statement: found; last checked 3 March 2026"."""

    statement_found: bool
    statement_url: str
    out_of_date: bool
    checked_at: object

    @property
    def label(self) -> str:
        return "found" if self.statement_found else "not found"


def statement_status(service) -> StatementStatus | None:
    """For the public service page, in one query; None if the service was never audited.

    Only audits that reached the start page count: one that could not fetch it (a timeout,
    a 5xx, fetching switched off) says nothing about the statement, so citizens are not
    told "not found" because a site was down for a moment."""
    row = (
        _latest_start_audits([service.pk])
        .filter(error="", http_status__isnull=False)
        .order_by("-checked_at", "-pk")
        .values("statement_found_url", "statement_out_of_date", "checked_at")
        .first()
    )
    if row is None:
        return None
    return StatementStatus(
        statement_found=bool(row["statement_found_url"]),
        statement_url=row["statement_found_url"],
        out_of_date=row["statement_out_of_date"],
        checked_at=row["checked_at"],
    )


def audit_history(service, limit: int = TREND_LENGTH) -> list:
    """The latest `limit` start page audits, newest first (the editor's trend table)."""
    return list(
        _latest_start_audits([service.pk])
        .order_by("-checked_at", "-pk")
        .only("checked_at", "http_status", "error", "engine", "failed_count", "passed_count",
              "cant_tell_count", "statement_found_url", "statement_out_of_date", "service_id")[
            :limit
        ]
    )


def latest_statement_audit(service):
    from services_catalogue.models import AccessibilityAudit, AuditKind

    return (
        AccessibilityAudit.objects.filter(service=service, kind=AuditKind.STATEMENT)
        .order_by("-checked_at", "-pk")
        .first()
    )


def services_with_latest_audit():
    """Every live, non-retired service with its latest start page audit (or None): two queries."""
    from services_catalogue.models import AccessibilityAudit, AuditKind, DigitalService

    latest = (
        AccessibilityAudit.objects.filter(service=OuterRef("pk"), kind=AuditKind.START_PAGE)
        .order_by("-checked_at", "-pk")
        .values("pk")[:1]
    )
    services = list(
        DigitalService.objects.live()
        .exclude(lifecycle="retired")
        .annotate(latest_audit_id=Subquery(latest))
        .only("pk", "title", "lifecycle", "service_url")
        .order_by("title")
    )
    audits = AccessibilityAudit.objects.defer("findings").in_bulk(
        [s.latest_audit_id for s in services if s.latest_audit_id]
    )
    return [(service, audits.get(service.latest_audit_id)) for service in services]


def failing_services():
    """Services whose latest audit needs attention, the most failures first; then services
    never audited. Each row: (service, audit or None)."""
    rows = services_with_latest_audit()
    failing = [(s, a) for s, a in rows if a is not None and a.failing]
    failing.sort(key=lambda row: (not row[1].error, -row[1].failed_count, row[0].title))
    never = [(s, a) for s, a in rows if a is None]
    return failing, never


def broken_links():
    from services_catalogue.models import LinkCheck

    return list(
        LinkCheck.objects.filter(broken=True)
        .select_related("page", "support")
        .order_by("-consecutive_failures", "url")
    )
