import uuid

from django.db import models
from wagtail.admin.panels import FieldPanel, HelpPanel
from wagtail.search import index


class Capability(index.Indexed, models.Model):
    """A need a citizen has ("order a repeat prescription"), not a product.

    Seeded with the *Empower citizens* list; editors may add more. Which of them
    every GP practice should deliver, and the national default for each, is the
    consistent offer: a site setting (`ConsistentOffer`), not a field here.
    """

    public_id = models.UUIDField(
        default=uuid.uuid4, unique=True, editable=False,
        help_text="Stable identifier in the open data API; survives edits and renames.",
    )
    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    citizen_label = models.CharField(
        max_length=160,
        help_text='How a citizen would say it, e.g. "Order a repeat prescription".',
    )
    description = models.TextField(blank=True, help_text="One or two plain-English sentences.")
    sort_order = models.PositiveSmallIntegerField(default=100)

    panels = [
        HelpPanel(
            "Whether every GP practice should offer this, and the national service to use "
            "where it does not, is set in Settings \u2192 Consistent offer."
        ),
        FieldPanel("name"),
        FieldPanel("slug"),
        FieldPanel("citizen_label"),
        FieldPanel("description"),
        FieldPanel("sort_order"),
    ]
    search_fields = [
        index.SearchField("name"),
        index.SearchField("citizen_label"),
        index.AutocompleteField("name"),
    ]

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name_plural = "capabilities"

    def __str__(self) -> str:
        return self.name


class Language(models.Model):
    """A language a service can be used in, by BCP 47 code."""

    code = models.CharField(max_length=16, unique=True, help_text="BCP 47 code, e.g. en, pl, ur.")
    name = models.CharField(max_length=80, help_text="Its English name, e.g. Polish.")

    panels = [FieldPanel("code"), FieldPanel("name")]

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
