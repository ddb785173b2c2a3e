from django.db import models
from wagtail.admin.panels import FieldPanel
from wagtail.fields import StreamField
from wagtail.models import Page

from portal.blocks import NHSBodyBlock
from services_catalogue.support import PlaceForm, support_by_place

from .guide import site_guides


class HelpGettingOnlinePage(Page):
    """/help-getting-online/: local help to get online, found by place."""

    intro = models.TextField(blank=True)
    body = StreamField(NHSBodyBlock(), blank=True, use_json_field=True)

    content_panels = Page.content_panels + [FieldPanel("intro"), FieldPanel("body")]
    parent_page_types = ["portal.HomePage"]
    subpage_types: list[str] = []
    template = "portal/help_getting_online_page.html"
    max_count = 1

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        form = PlaceForm(request.GET)
        context["form"] = form
        context["groups"] = support_by_place(form)
        parent = self.get_parent()
        context["guides"] = site_guides(parent) if parent is not None else []
        return context
