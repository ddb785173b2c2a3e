from django.core.paginator import Paginator
from django.db import models
from wagtail.admin.panels import FieldPanel
from wagtail.models import Page

from services_catalogue.filters import ServiceFilterForm, filter_services


class ServiceIndexPage(Page):
    """/services/: browse every digital service by need, with filters and search."""

    intro = models.TextField(blank=True)
    per_page = 20

    content_panels = Page.content_panels + [FieldPanel("intro")]
    parent_page_types = ["portal.HomePage"]
    subpage_types = ["services_catalogue.DigitalService"]
    template = "portal/service_index_page.html"
    max_count = 1

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        form = ServiceFilterForm(request.GET)
        services = filter_services(form)
        paginator = Paginator(services, self.per_page)
        page_obj = paginator.get_page(request.GET.get("page"))
        context.update(
            form=form,
            page_obj=page_obj,
            services=page_obj.object_list,
            result_count=paginator.count,
            querystring=form.querystring(),
            chosen=form.chosen_labels(),
        )
        return context
