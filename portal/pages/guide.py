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
