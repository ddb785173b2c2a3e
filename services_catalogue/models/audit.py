"""Metric records about services: accessibility audits and link checks.

Written by the collectors in :mod:`services_catalogue.audit` (scheduled by :mod:`tasks.audits`),
read by editors (the service's admin page, the reports) and, for the statement, citizens.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone


class AuditKind(models.TextChoices):
    START_PAGE = "start_page", "Start page"
    STATEMENT = "statement", "Accessibility statement"


class AuditEngine(models.TextChoices):
    STATIC = "static", "Static ACT rules checker"
    AXE = "axe", "axe-core in Chromium"


class AccessibilityAudit(models.Model):
    """One check of one URL of a service: how it answered and what the checker found.

    A service's daily audit writes one row for its start page and one for its accessibility
    statement (when one was found or recorded). The statement fields are copied onto the
    start page's row, so "the latest audit" answers "has it a statement?" in one query.
    """

    service = models.ForeignKey(
        "services_catalogue.DigitalService", on_delete=models.CASCADE,
        related_name="accessibility_audits",
    )
    url = models.URLField(max_length=2000)
    kind = models.CharField(max_length=12, choices=AuditKind.choices, default=AuditKind.START_PAGE)
    engine = models.CharField(max_length=8, choices=AuditEngine.choices,
                              default=AuditEngine.STATIC)
    engine_note = models.CharField(
        max_length=300, blank=True,
        help_text='e.g. "No browser installed: static checker used."',
    )
    checked_at = models.DateTimeField(default=timezone.now)
    http_status = models.PositiveSmallIntegerField("HTTP status", null=True, blank=True)
    final_url = models.URLField("final URL", max_length=2000, blank=True,
                                help_text="Where redirects ended.")
    response_time_ms = models.PositiveIntegerField("response time (ms)", null=True, blank=True)
    content_type = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True, help_text="Why the page could not be checked.")
    tls_error = models.BooleanField("TLS error", default=False)
    statement_found_url = models.URLField(
        "statement found at", max_length=2000, blank=True,
        help_text="The accessibility statement's URL; blank if none was found.",
    )
    statement_checks = models.JSONField(
        default=dict, blank=True,
        help_text="Which parts the regulations require the statement has, and its dates.",
    )
    statement_out_of_date = models.BooleanField(
        default=False, help_text="Last reviewed or prepared more than 12 months ago."
    )
    findings = models.JSONField(
        default=list, blank=True,
        help_text="[{rule, wcag, outcome, target, message, impact?, nodes?}]",
    )
    passed_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    cant_tell_count = models.PositiveIntegerField("can't tell count", default=0)

    class Meta:
        ordering = ["-checked_at", "-pk"]
        indexes = [
            models.Index(fields=["service", "kind", "-checked_at"], name="audit_service_latest"),
        ]
        verbose_name = "accessibility audit"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.url} ({self.checked_at:%Y-%m-%d %H:%M})"

    @property
    def statement_found(self) -> bool:
        return bool(self.statement_found_url)

    @property
    def statement_missing_parts(self) -> list[str]:
        return list((self.statement_checks or {}).get("missing") or [])

    @property
    def failing(self) -> bool:
        """Worth an editor's attention: unreachable, rule failures, or statement trouble."""
        return bool(
            self.error or self.failed_count or not self.statement_found
            or self.statement_out_of_date
        )


class LinkCheck(models.Model):
    """The latest check of one external link in published content.

    One row per (source, URL): a page (service, guide, help getting online) or a help getting
    online record. Each run updates the row; `first_broken_at`, `last_ok_at` and
    `consecutive_failures` keep the history that matters (how long it has been broken).
    """

    url = models.URLField(max_length=2000)
    page = models.ForeignKey(
        "wagtailcore.Page", null=True, blank=True, on_delete=models.CASCADE,
        related_name="link_checks",
    )
    support = models.ForeignKey(
        "services_catalogue.InclusionSupport", null=True, blank=True, on_delete=models.CASCADE,
        related_name="link_checks", verbose_name="help getting online record",
    )
    field = models.CharField(max_length=100, blank=True,
                             help_text="Where the link is, e.g. service_url or body.")
    status = models.PositiveSmallIntegerField("HTTP status", null=True, blank=True)
    error = models.TextField(blank=True)
    checked_at = models.DateTimeField(default=timezone.now)
    broken = models.BooleanField(default=False)
    first_broken_at = models.DateTimeField(null=True, blank=True)
    last_ok_at = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-broken", "url"]
        constraints = [
            models.UniqueConstraint(fields=["page", "url"], condition=Q(page__isnull=False),
                                    name="linkcheck_unique_page_url"),
            models.UniqueConstraint(fields=["support", "url"],
                                    condition=Q(support__isnull=False),
                                    name="linkcheck_unique_support_url"),
            models.CheckConstraint(
                condition=Q(page__isnull=False, support__isnull=True)
                | Q(page__isnull=True, support__isnull=False),
                name="linkcheck_one_source",
            ),
        ]
        indexes = [models.Index(fields=["broken", "checked_at"], name="linkcheck_broken")]
        verbose_name = "link check"

    def __str__(self) -> str:
        return f"{self.url} ({'broken' if self.broken else 'ok'})"
