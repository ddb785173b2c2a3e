from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel
from wagtail.models import Orderable


def _chosen_service(form):
    """The service chosen in `form`, or None if none is (validly) chosen."""
    if "service" not in form.fields:
        return None
    bound = form["service"]
    try:
        return bound.field.clean(bound.data)
    except ValidationError:
        return None  # the service field shows its own error


class ServiceCapabilitiesField(forms.ModelMultipleChoiceField):
    """An offer's capabilities, which must be among those of the service chosen with them.

    The check needs the service chosen in the same (unsaved) form. Wagtail builds the forms
    of an inline panel itself (a model's `base_form_class` is used for top-level forms
    only), so an offer's own form cannot carry a cross-field `clean`: the field does it,
    reading the service from the form it is bound to.
    """

    form = None

    def __deepcopy__(self, memo):
        result = super().__deepcopy__(memo)
        result.form = None  # a copy is bound to its own form, when there is one
        return result

    def get_bound_field(self, form, field_name):
        # Each form has its own deep copy of its fields, so this is this form's field.
        self.form = form
        return super().get_bound_field(form, field_name)

    def clean(self, value):
        capabilities = super().clean(value)
        service = _chosen_service(self.form) if self.form is not None else None
        if service is None:
            return capabilities
        own = set(service.capabilities.values_list("pk", flat=True))
        missing = [c.name for c in capabilities if c.pk not in own]
        if missing:
            raise ValidationError(
                "%(service)s does not meet: %(missing)s. Choose from its own needs, or "
                "leave empty for all of them.",
                code="capability_not_of_service",
                params={"service": service.title, "missing": ", ".join(missing)},
            )
        return capabilities


class OfferCapabilitiesField(ParentalManyToManyField):
    """A ParentalManyToManyField whose form field checks the choice against the service."""

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": ServiceCapabilitiesField, **kwargs})

    def deconstruct(self):
        # Migrations see the plain field: only the form field differs.
        name, _path, args, kwargs = super().deconstruct()
        return name, "modelcluster.fields.ParentalManyToManyField", args, kwargs


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
    capabilities = OfferCapabilitiesField(
        "services_catalogue.Capability",
        blank=True,
        help_text="Tick only needs the chosen service meets. Leave empty for everything the "
                  "service does.",
    )
    since = models.DateField(null=True, blank=True)
    until = models.DateField(null=True, blank=True)

    panels = [
        FieldPanel("service"),
        FieldPanel("capabilities", widget=forms.CheckboxSelectMultiple),
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

    def clean(self):
        super().clean()
        if self.since and self.until and self.until < self.since:
            raise ValidationError({"until": ValidationError(
                "The end date must be on or after the start date.", code="ends_before_start"
            )})
