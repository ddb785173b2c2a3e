from django.conf import settings
from django.views.generic import TemplateView
from wagtail.admin.auth import permission_denied
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from .reviews import review_cutoff, services_for_review


class OverdueReviewsView(WagtailAdminTemplateMixin, TemplateView):
    """Editors' list of service records by review date, overdue ones flagged."""

    template_name = "services_catalogue/admin/overdue_reviews.html"
    page_title = "Service reviews"
    header_icon = "time"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm("wagtailadmin.access_admin"):
            return permission_denied(request)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = services_for_review()
        context.update(
            rows=rows,
            overdue_count=sum(1 for _, overdue in rows if overdue),
            cutoff=review_cutoff(),
            interval_days=settings.SERVICE_REVIEW_INTERVAL_DAYS,
        )
        return context
