import datetime
import uuid

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from modelcluster.fields import ParentalManyToManyField
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.fields import StreamField
from wagtail.models import Page
from wagtail.search import index

from portal.blocks import NHSBodyBlock
from services_catalogue.audit.panels import AccessibilityAuditPanel


class Scope(models.TextChoices):
    # Labels as citizens read them, in the filter and on a service's page.
    NATIONAL = "national", "Anywhere in England"
    ICS = "ics", "Anywhere in our area"
    LOCAL = "local", "Only at some GP practices or places"


class NHSLoginLevel(models.TextChoices):
    NONE = "none", "Not needed"
    LOW = "p5", "NHS login with email and phone number"
    HIGH = "p9", "NHS login with proof of identity"


class Lifecycle(models.TextChoices):
    LIVE = "live", "Live"
    BETA = "beta", "Beta (new, still being improved)"
    RETIRED = "retired", "Retired"


class DTACStatus(models.TextChoices):
    UNKNOWN = "unknown", "Not known"
    PASSED = "passed", "Meets the Digital Technology Assessment Criteria"
    IN_PROGRESS = "in_progress", "Assessment in progress"
    NOT_APPLICABLE = "not_applicable", "Not applicable"


class DigitalService(Page):
    """A citizen-facing digital service: the catalogue's unit, and its public page.

    It is a Wagtail page so that comms teams get drafts, preview, moderation,
    scheduled publishing and revision history for free, and so that nothing
    unpublished can reach the public or the API (only `live` pages are ever read).
    """

    public_id = models.UUIDField(
        default=uuid.uuid4, unique=True, editable=False,
        help_text="Stable identifier in the open data API; survives edits and renames.",
    )
    summary = models.TextField(help_text="What it does, in one or two plain-English sentences.")
    provider = models.CharField(max_length=200, help_text="Who runs it, e.g. NHS England.")
    scope = models.CharField(
        max_length=10, choices=Scope.choices, default=Scope.LOCAL,
        help_text="Which people can use it: anyone in England, anyone in our area, or only "
                  "patients of some GP practices. Shown on its page as \u201cAvailable\u201d; "
                  "for some practices only, its page lists the practices whose offer "
                  "includes it.",
    )
    capabilities = ParentalManyToManyField(
        "services_catalogue.Capability", blank=True, related_name="services",
        help_text="The needs it meets, e.g. order a repeat prescription. Listed on its page "
                  "under \u201cWhat you can do with it\u201d; people can filter and search "
                  "services by them.",
    )
    service_url = models.URLField(
        "Start page URL", max_length=500,
        help_text="The web address where people start using it. The \u201cGo to\u201d link "
                  "on its page points here, and the accessibility audits check this page.",
    )
    channel_web = models.BooleanField(
        "Website", default=True,
        help_text="People can use it in a web browser. Shown on its page under "
                  "\u201cHow you use it\u201d.",
    )
    channel_ios = models.BooleanField(
        "iPhone app", default=False,
        help_text="It has an iPhone app. Shown on its page under \u201cHow you use it\u201d; "
                  "people filtering for a smartphone app find it.",
    )
    channel_android = models.BooleanField(
        "Android app", default=False,
        help_text="It has an Android app. Shown on its page under \u201cHow you use it\u201d; "
                  "people filtering for a smartphone app find it.",
    )
    channel_phone = models.BooleanField(
        "Phone", default=False,
        help_text="People can also use it by phoning. Shown on its page under "
                  "\u201cHow you use it\u201d.",
    )
    nhs_login = models.CharField(
        "NHS login", max_length=4, choices=NHSLoginLevel.choices, default=NHSLoginLevel.NONE,
        help_text="Whether people need an NHS login to use it, and what kind. Shown on its "
                  "page; people can filter services by it.",
    )
    in_nhs_app = models.BooleanField(
        "In the NHS App", default=False,
        help_text="People can also use it from inside the NHS App. Shown on its page.",
    )
    smartphone_needed = models.BooleanField(
        default=False,
        help_text="People cannot use it without a smartphone. Shown on its page.",
    )
    languages = ParentalManyToManyField(
        "services_catalogue.Language", blank=True,
        help_text="The languages people can use it in. Shown on its page and used by the "
                  "language filter; if none is chosen, its page says English.",
    )
    who_can_use = models.TextField(help_text="Who can use it, e.g. age, where you live.")
    how_to_start = models.TextField(help_text="The first steps, in plain English.")
    accessibility_statement_url = models.URLField(
        "Accessibility statement URL", max_length=500, blank=True,
        help_text="The address of its own accessibility statement. Its page links to it; if "
                  "empty, its page links to the statement our checks found, if any.",
    )
    assisted_help = models.TextField(
        "Help using it", blank=True, help_text="Where to get help if you get stuck."
    )
    non_digital_alternative = models.TextField(
        "Non-digital alternative",
        help_text="How to do the same thing without going online.",
    )
    cost = models.CharField(
        max_length=100, default="Free",
        help_text="What people pay to use it, e.g. Free. Shown on its page.",
    )
    lifecycle = models.CharField(
        max_length=10, choices=Lifecycle.choices, default=Lifecycle.LIVE,
        help_text="Live and beta services are listed for people to find; beta ones are marked "
                  "\u201cNew\u201d. Retired ones are taken out of the service list, search and "
                  "GP practice pages, and their page says the service has closed.",
    )
    replaced_by = models.ForeignKey(
        "services_catalogue.DigitalService",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="replaces",
        help_text="For a retired service: the service to use instead. Its page tells people "
                  "to use that one, with a link once that one is published.",
    )
    dtac_status = models.CharField(
        "DTAC status", max_length=16, choices=DTACStatus.choices, default=DTACStatus.UNKNOWN,
        help_text="Whether it meets the NHS Digital Technology Assessment Criteria (DTAC). "
                  "Published in our open data; not shown on its page.",
    )
    last_reviewed = models.DateField(
        default=datetime.date.today,
        help_text="When someone last checked this record against the service itself.",
    )
    body = StreamField(
        NHSBodyBlock(), blank=True, use_json_field=True,
        help_text="Anything else people should know, in extra sections on its page below "
                  "\u201cWhat you can do with it\u201d. Optional.",
    )

    content_panels = Page.content_panels + [
        FieldPanel("summary"),
        MultiFieldPanel(
            [
                FieldPanel("provider"),
                FieldPanel("scope"),
                FieldPanel("capabilities", widget=forms.CheckboxSelectMultiple),
                FieldPanel("service_url"),
                FieldPanel("lifecycle"),
                FieldPanel("replaced_by"),
            ],
            heading="What it is",
        ),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("channel_web"), FieldPanel("channel_phone")]),
                # The heading keeps the small i: Django capitalises a verbose name's first
                # letter, which would make the label "IPhone app".
                FieldRowPanel([FieldPanel("channel_ios", heading="iPhone app"),
                               FieldPanel("channel_android")]),
                FieldPanel("nhs_login"),
                FieldPanel("in_nhs_app"),
                FieldPanel("smartphone_needed"),
            ],
            heading="How people use it",
        ),
        MultiFieldPanel(
            [FieldPanel("who_can_use"), FieldPanel("how_to_start"), FieldPanel("cost")],
            heading="Who and how",
        ),
        MultiFieldPanel(
            [
                FieldPanel("languages", widget=forms.CheckboxSelectMultiple),
                FieldPanel("accessibility_statement_url"),
                FieldPanel("assisted_help"),
                FieldPanel("non_digital_alternative"),
            ],
            heading="Accessibility and help",
        ),
        FieldPanel("body"),
        MultiFieldPanel(
            [FieldPanel("dtac_status"), FieldPanel("last_reviewed")], heading="Assurance"
        ),
        AccessibilityAuditPanel(),
    ]

    search_fields = Page.search_fields + [
        index.SearchField("summary"),
        index.SearchField("provider"),
        index.SearchField("who_can_use"),
        # The needs it meets ("Order a repeat prescription"), so that citizens find a
        # service by what they want to do, not only by the words of its summary.
        index.RelatedFields("capabilities", [
            index.SearchField("name"),
            index.SearchField("citizen_label"),
            index.SearchField("description"),
        ]),
        index.FilterField("scope"),
        index.FilterField("nhs_login"),
        index.FilterField("channel_web"),
        index.FilterField("channel_ios"),
        index.FilterField("channel_android"),
        index.FilterField("channel_phone"),
        index.FilterField("lifecycle"),
    ]

    exclude_fields_in_copy = ["public_id"]
    parent_page_types = ["portal.ServiceIndexPage"]
    subpage_types: list[str] = []
    template = "services_catalogue/digital_service.html"

    class Meta:
        verbose_name = "digital service"

    def clean(self):
        super().clean()
        errors = {}
        if self.replaced_by_id is not None:
            if self.pk is not None and self.replaced_by_id == self.pk:
                errors["replaced_by"] = ValidationError(
                    "A service cannot be replaced by itself.", code="replaced_by_itself"
                )
            elif self.lifecycle != Lifecycle.RETIRED:
                errors["replaced_by"] = ValidationError(
                    "Only a retired service is replaced by another: set Lifecycle to "
                    "Retired, or leave this empty.",
                    code="replaced_but_not_retired",
                )
        if self.last_reviewed and self.last_reviewed > timezone.localdate():
            errors["last_reviewed"] = ValidationError(
                "The last review date cannot be in the future.", code="reviewed_in_future"
            )
        if errors:
            raise ValidationError(errors)

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["capabilities"] = list(self.capabilities.all())
        context["languages"] = list(self.languages.all())
        if self.scope == Scope.LOCAL:
            from services_catalogue.practices import practices_offering

            context["practices"] = practices_offering(self)
        return context

    @property
    def uses_nhs_login(self) -> bool:
        return self.nhs_login != NHSLoginLevel.NONE

    @property
    def channels(self) -> list[str]:
        names = [("channel_web", "Website"), ("channel_ios", "iPhone app"),
                 ("channel_android", "Android app"), ("channel_phone", "Phone")]
        return [label for field, label in names if getattr(self, field)]

    @property
    def review_due(self) -> datetime.date:
        return self.last_reviewed + datetime.timedelta(days=settings.SERVICE_REVIEW_INTERVAL_DAYS)

    @property
    def review_overdue(self) -> bool:
        return timezone.localdate() > self.review_due
