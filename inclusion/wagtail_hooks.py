from django.urls import path, reverse
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
