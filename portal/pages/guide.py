from django.db import models
from wagtail.admin.panels import FieldPanel
from wagtail.fields import StreamField
from wagtail.models import Page

from portal.blocks import NHSBodyBlock


class GuidePage(Page):
    """A plain-English guide, e.g. "How to set up NHS login"."""

    summary = models.TextField(blank=True)
    body = StreamField(NHSBodyBlock(), blank=True, use_json_field=True)

    content_panels = Page.content_panels + [FieldPanel("summary"), FieldPanel("body")]
    parent_page_types = ["portal.HomePage", "portal.GuidePage"]
    template = "portal/guide_page.html"


def site_guides(site_root: Page) -> list[GuidePage]:
    """The guides at the top of the site, for the pages that point citizens to them (the
    home page and help getting online): a guide nobody can reach helps nobody."""
    return list(GuidePage.objects.child_of(site_root).live().public()
                .only("title", "url_path", "summary").order_by("path"))
