from django.db import models
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel
from wagtail.models import Orderable


class Offer(Orderable, ClusterableModel):
    """That an organisation offers a digital service, for some or all of its capabilities.

    An empty capability list means every capability the service has. It is itself
    clusterable so that its capabilities save with it, inline on the organisation.
    """

    organisation = ParentalKey(
        "services_catalogue.Organisation", on_delete=models.CASCADE, related_name="offers"
    )
    service = models.ForeignKey(
        "services_catalogue.DigitalService", on_delete=models.CASCADE, related_name="offers"
    )
    capabilities = ParentalManyToManyField(
        "services_catalogue.Capability",
        blank=True,
        help_text="Leave empty if the organisation offers everything the service does.",
    )
    since = models.DateField(null=True, blank=True)
    until = models.DateField(null=True, blank=True)

    panels = [
        FieldPanel("service"),
        FieldPanel("capabilities"),
        FieldPanel("since"),
        FieldPanel("until"),
    ]

    class Meta(Orderable.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "service"], name="one_offer_per_organisation_service"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation} offers {self.service}"
