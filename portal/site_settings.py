from django.db import models
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting


@register_setting(icon="cog")
class SiteSettings(BaseGenericSetting):
    """Site-wide facts every public page needs."""

    ics_name = models.CharField(
        "ICS name", max_length=150, default="Our integrated care system"
    )
    demonstration_data = models.BooleanField(
        default=False,
        help_text="Show the demonstration-data warning: which practice offers what is made up.",
    )
    contact_email = models.EmailField(blank=True)

    panels = [FieldPanel("ics_name"), FieldPanel("demonstration_data"), FieldPanel("contact_email")]

    class Meta:
        verbose_name = "site settings"
