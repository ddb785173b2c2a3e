"""Editors' reports: services failing their accessibility audit, and broken links.

Registered by the hooks at the end of ``services_catalogue/wagtail_hooks.py``.
"""

from __future__ import annotations

from django.conf import settings

from ..views import PermissionRequiredAdminView
from . import reports


class FailingServicesView(PermissionRequiredAdminView):
    """Services whose latest audit failed: unreachable, rule failures, no or old statement."""

    template_name = "services_catalogue/admin/accessibility_failing.html"
    page_title = "Accessibility audits failing"
    header_icon = "warning"
    permission = "wagtailadmin.access_admin"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        failing, never = reports.failing_services()
        context.update(failing=failing, never=never,
                       offline=getattr(settings, "FETCH_OFFLINE", False))
        return context


class BrokenLinksView(PermissionRequiredAdminView):
    template_name = "services_catalogue/admin/broken_links.html"
    page_title = "Broken links"
    header_icon = "link"
    permission = "wagtailadmin.access_admin"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        from services_catalogue.models import LinkCheck

        context.update(
            links=reports.broken_links(),
            last_checked=LinkCheck.objects.order_by("-checked_at")
            .values_list("checked_at", flat=True).first(),
            offline=getattr(settings, "FETCH_OFFLINE", False),
        )
        return context
