from django.templatetags.static import static
from django.urls import path, reverse
from django.utils.html import format_html
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from .views import (
    DashboardView,
    EvidencePDFView,
    EvidenceView,
    is_inclusion_lead,
    run_status,
)


class InclusionMenuItem(MenuItem):
    def is_shown(self, request):
        return is_inclusion_lead(request.user)


@hooks.register("register_admin_urls")
def register_inclusion_admin_urls():
    return [
        path("inclusion/", DashboardView.as_view(), name="inclusion_dashboard"),
        path("inclusion/runs/<int:pk>/", run_status, name="inclusion_run_status"),
        path("inclusion/evidence/", EvidenceView.as_view(), name="inclusion_evidence"),
        path("inclusion/evidence/pdf/", EvidencePDFView.as_view(), name="inclusion_evidence_pdf"),
    ]


@hooks.register("register_reports_menu_item")
def register_inclusion_menu_item():
    return InclusionMenuItem(
        "Inclusion dashboard", reverse("inclusion_dashboard"), icon_name="table", order=120,
    )


@hooks.register("register_reports_menu_item")
def register_evidence_menu_item():
    return InclusionMenuItem(
        "Empower citizens evidence", reverse("inclusion_evidence"), icon_name="doc-full",
        order=121,
    )


ADMIN_CSS = "inclusion/css/admin.css"


@hooks.register("insert_global_admin_css")
def inclusion_admin_css():
    """The staff screens' shared rules (scrollable wide tables, status tags): one file for
    the inclusion dashboard, the evidence page and the offer matrix."""
    return format_html('<link rel="stylesheet" href="{}">', static(ADMIN_CSS))
