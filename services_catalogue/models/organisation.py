import re
import uuid

from django.core.exceptions import ValidationError
from django.db import models
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.search import index

ODS_CODE_RE = re.compile(r"^[A-Z0-9]{3,10}$")


def validate_ods_code(value: str) -> None:
    if not ODS_CODE_RE.match(value or ""):
        raise ValidationError(
            "An ODS code is 3 to 10 capital letters and digits, for example A84002.",
            code="invalid_ods_code",
        )


def normalise_ods_code(value: str) -> str:
    return (value or "").strip().upper()


# A UK number as people write it: digits with spaces, hyphens or brackets, optionally +44.
_PHONE_CHARS_RE = re.compile(r"^\+?[0-9 ()-]+$")


def phone_digits(value: str) -> str:
    """The national form (0 then 9 or 10 digits) of a UK phone number, or "" if it is not
    one. Citizens tap the number on a phone, so it must dial as written."""
    value = (value or "").strip()
    if not value or not _PHONE_CHARS_RE.match(value):
        return ""
    digits = re.sub(r"[^0-9]", "", value)
    if value.startswith("+"):
        if not digits.startswith("44"):
            return ""
        digits = "0" + digits[2:].removeprefix("0")  # +44 (0)1670 ... is common
    if not digits.startswith("0") or len(digits) not in (10, 11):
        return ""
    return digits


def validate_uk_phone(value: str) -> None:
    if value and not phone_digits(value):
        raise ValidationError(
            "Enter a UK phone number, like 01670 511393 or +44 1670 511393.",
            code="invalid_phone",
        )


class OrganisationKind(models.TextChoices):
    ICB = "icb", "Integrated care board"
    TRUST = "trust", "NHS trust"
    PCN = "pcn", "Primary care network"
    GP_PRACTICE = "gp_practice", "GP practice"
    LOCAL_AUTHORITY = "local_authority", "Local authority"
    VOLUNTARY = "voluntary", "Voluntary or community organisation"


class Organisation(index.Indexed, ClusterableModel):
    """An organisation of the ICS, keyed by its NHS Organisation Data Service code.

    Practices sit under a PCN and PCNs under the ICB, so uptake and offers roll up.
    Councils and voluntary bodies have no ODS code of their own; they carry their
    ONS or Charity Commission identifier in the same field.
    """

    public_id = models.UUIDField(
        default=uuid.uuid4, unique=True, editable=False,
        help_text="Stable identifier in the open data API; survives edits and renames.",
    )
    ods_code = models.CharField(
        "ODS code", max_length=10, unique=True, validators=[validate_ods_code]
    )
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=OrganisationKind.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    place = models.CharField(
        max_length=100, blank=True, help_text="The neighbourhood or place it serves."
    )
    address = models.CharField(
        "street address", max_length=200, blank=True,
        help_text="The building and street, without the town or postcode, for example "
        "'Infirmary Drive'. Shown on the practice's page.",
    )
    town = models.CharField(max_length=100, blank=True)
    postcode = models.CharField(max_length=10, blank=True)
    phone = models.CharField(
        "phone number", max_length=30, blank=True, validators=[validate_uk_phone],
        help_text="The number patients call, for example 01665 510888. Shown on the "
        "practice's page and in the open data.",
    )
    website = models.URLField(blank=True)
    registered_patients = models.PositiveIntegerField(
        null=True, blank=True, help_text="GP practices: patients registered (NHS Digital)."
    )
    imd_score = models.FloatField(
        "IMD 2019 score",
        null=True,
        blank=True,
        help_text="GP practices: population-weighted IMD 2019 score (OHID Fingertips 93553).",
    )
    active = models.BooleanField(default=True)

    panels = [
        MultiFieldPanel(
            [FieldPanel("ods_code"), FieldPanel("name"), FieldPanel("kind"), FieldPanel("parent")],
            heading="Identity",
        ),
        MultiFieldPanel(
            [FieldPanel("place"), FieldPanel("address"), FieldPanel("town"),
             FieldPanel("postcode"), FieldPanel("phone"), FieldPanel("website")],
            heading="Where and how to contact it",
        ),
        MultiFieldPanel(
            [FieldPanel("registered_patients"), FieldPanel("imd_score"), FieldPanel("active")],
            heading="Facts",
        ),
        InlinePanel("offers", heading="Digital services offered here", label="Offer"),
    ]
    search_fields = [
        index.SearchField("name"),
        index.SearchField("ods_code"),
        index.SearchField("town"),
        index.AutocompleteField("name"),
        index.FilterField("kind"),
        index.FilterField("active"),
    ]

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.ods_code})"

    def clean(self):
        self.ods_code = normalise_ods_code(self.ods_code)
        self.phone = " ".join((self.phone or "").split())
        super().clean()

    @property
    def phone_href(self) -> str:
        """A tel: link in international form, so it dials from any phone; "" if none."""
        digits = phone_digits(self.phone)
        return f"tel:+44{digits[1:]}" if digits else ""

    @property
    def pcn(self):
        return self.parent if self.parent and self.parent.kind == OrganisationKind.PCN else None
