from django.db import models
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.search import index


class SupportKind(models.TextChoices):
    LIBRARY = "library", "Library with free computers and Wi-Fi"
    DIGITAL_CHAMPIONS = "digital_champions", "Digital champions"
    DEVICE_SCHEME = "device_scheme", "Free or low-cost devices"
    DATA_SCHEME = "data_scheme", "Free mobile data"
    COURSE = "course", "Courses and drop-in sessions"
    HELPLINE = "helpline", "Phone helpline"


class InclusionSupport(index.Indexed, models.Model):
    """Somewhere local a person can get help to get online, found by place."""

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=30, choices=SupportKind.choices)
    provider = models.ForeignKey(
        "services_catalogue.Organisation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inclusion_support",
    )
    place = models.CharField(max_length=100, help_text="The place it serves, as practices use.")
    description = models.TextField(help_text="What help people get, in plain English.")
    address = models.CharField(max_length=250, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    website = models.URLField(blank=True)
    opening_times = models.CharField(max_length=200, blank=True)
    free = models.BooleanField(default=True)
    active = models.BooleanField(default=True)

    panels = [
        MultiFieldPanel(
            [FieldPanel("name"), FieldPanel("kind"), FieldPanel("provider"), FieldPanel("place")],
            heading="What and where",
        ),
        FieldPanel("description"),
        MultiFieldPanel(
            [
                FieldPanel("address"),
                FieldPanel("phone"),
                FieldPanel("website"),
                FieldPanel("opening_times"),
                FieldPanel("free"),
                FieldPanel("active"),
            ],
            heading="How to get it",
        ),
    ]
    search_fields = [index.SearchField("name"), index.SearchField("place")]

    class Meta:
        ordering = ["place", "name"]
        verbose_name = "help getting online"
        verbose_name_plural = "help getting online"

    def __str__(self) -> str:
        return f"{self.name} ({self.place})"
