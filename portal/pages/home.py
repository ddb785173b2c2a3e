from django.db import models
from wagtail.admin.panels import FieldPanel
from wagtail.fields import StreamField
from wagtail.models import Page

from portal.blocks import NHSBodyBlock
from services_catalogue.practices import consistent_offer_items

from .guide import site_guides


class HomePage(Page):
    """The front door: the main needs, and finding your GP practice."""

    intro = models.TextField(blank=True)
    body = StreamField(NHSBodyBlock(), blank=True, use_json_field=True)

    content_panels = Page.content_panels + [FieldPanel("intro"), FieldPanel("body")]
    parent_page_types = ["wagtailcore.Page"]
    subpage_types = [
        "portal.ServiceIndexPage",
        "portal.PracticeIndexPage",
        "portal.HelpGettingOnlinePage",
        "portal.GuidePage",
    ]
    template = "portal/home_page.html"
    max_count = 1

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["needs"] = [item.capability for item in consistent_offer_items()]
        children = self.get_children().live().specific().only("title", "url_path")
        context["services_index"] = next(
            (p for p in children if p.specific_class.__name__ == "ServiceIndexPage"), None
        )
        context["practices_index"] = next(
            (p for p in children if p.specific_class.__name__ == "PracticeIndexPage"), None
        )
        context["help_page"] = next(
            (p for p in children if p.specific_class.__name__ == "HelpGettingOnlinePage"), None
        )
        context["guides"] = site_guides(self)
        return context
