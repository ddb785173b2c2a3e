"""The read-only panel on a service's edit page: its latest accessibility audit and trend.

Imported by the DigitalService model, so it imports no models itself.
"""

from __future__ import annotations

from wagtail.admin.panels import Panel

from . import reports
from .statement import PART_LABELS


class AccessibilityAuditPanel(Panel):
    """Read-only: the latest accessibility audit of the service and the trend of its failures.

    Shown on the edit page of a service that exists (not when creating one)."""

    def __init__(self, heading="Accessibility audits", **kwargs):
        super().__init__(heading=heading, **kwargs)

    @property
    def clean_name(self):
        return super().clean_name or "accessibility_audits"

    class BoundPanel(Panel.BoundPanel):
        template_name = "services_catalogue/admin/accessibility_audit_panel.html"

        def is_shown(self):
            return bool(getattr(self.instance, "pk", None))

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            history = reports.audit_history(self.instance)
            latest = reports.latest_audit(self.instance) if history else None
            parts = ((latest.statement_checks or {}).get("parts") or {}) if latest else {}
            context.update(
                service=self.instance,
                latest=latest,
                statement_parts=[
                    (label, bool(parts.get(part))) for part, label in PART_LABELS.items()
                ] if parts else [],
                history=history,
                statement_audit=reports.latest_statement_audit(self.instance) if latest else None,
                failed_findings=[
                    f for f in (latest.findings if latest else []) if f.get("outcome") == "failed"
                ][:50],
            )
            return context
