"""The consistent offer: what every GP practice of the ICS should let people do online.

It is a site setting (one per installation) that editors change in the admin, with an
ordered list of items: a capability, and the national service to point people to where
their practice offers nothing for it. The public practice page, the home page and the
offer matrix all read it through `ConsistentOffer.current_items()`.
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Subquery
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, InlinePanel
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting
from wagtail.models import Orderable

from .service import Scope


@register_setting(icon="tasks")
class ConsistentOffer(BaseGenericSetting, ClusterableModel):
    """Which capabilities every GP practice should deliver, and the national default for each."""

    panels = [
        InlinePanel(
            "items",
            heading="What every GP practice should offer online",
            label="Capability",
            help_text=(
                "In the order the public site lists them. Where a practice offers nothing for "
                "a capability, its page points people to the national default."
            ),
        )
    ]

    class Meta:
        verbose_name = "consistent offer"

    def __str__(self) -> str:
        return "Consistent offer"

    @classmethod
    def current_items(cls):
        """The items of the one consistent offer, in order, in a single query.

        Reads the same row `ConsistentOffer.load()` would (the first by primary key)
        without creating it, so a page that only reads never writes.
        """
        first = cls.objects.order_by("pk").values("pk")[:1]
        return (
            ConsistentOfferItem.objects.filter(setting=Subquery(first))
            .select_related("capability", "national_default")
            .order_by("sort_order", "pk")
        )


class ConsistentOfferItem(Orderable):
    setting = ParentalKey(ConsistentOffer, on_delete=models.CASCADE, related_name="items")
    capability = models.ForeignKey(
        "services_catalogue.Capability",
        on_delete=models.CASCADE,
        related_name="consistent_offer_items",
    )
    national_default = models.ForeignKey(
        "services_catalogue.DigitalService",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="default_for_items",
        help_text="The national service to point people to where their practice offers nothing.",
    )

    panels = [FieldPanel("capability"), FieldPanel("national_default")]

    class Meta(Orderable.Meta):
        verbose_name = "consistent offer capability"
        constraints = [
            models.UniqueConstraint(
                fields=["setting", "capability"], name="consistent_offer_capability_once"
            )
        ]

    def __str__(self) -> str:
        return str(self.capability) if self.capability_id else "Capability"

    def clean(self):
        super().clean()
        default = self.national_default
        if default is not None and default.scope != Scope.NATIONAL:
            raise ValidationError(
                {"national_default": "Choose a national service: the default must work "
                                     "wherever a person lives."}
            )
        if (
            default is not None
            and self.capability_id
            and not default.capabilities.filter(pk=self.capability_id).exists()
        ):
            raise ValidationError(
                {"national_default": f"{default.title} does not do this: choose a service "
                                     f"that has the capability \u201c{self.capability}\u201d."}
            )
