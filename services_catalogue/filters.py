"""Browsing the catalogue: the filters citizens use on /services/.

The form validates each filter on its own and ignores the ones that do not
validate, so a mistyped or hostile query string narrows nothing and never errors.
"""

from urllib.parse import urlencode

from django import forms
from django.db.models import Case, IntegerField, Q, Value, When

from .models import Capability, DigitalService, Language, Lifecycle, NHSLoginLevel, Scope
from .search import search_services

MAX_QUERY_LENGTH = 200

CHANNEL_CHOICES = [("web", "Website"), ("app", "Smartphone app"), ("phone", "Phone")]
NHS_LOGIN_CHOICES = [("yes", "Uses NHS login"), ("no", "No NHS login needed")]


class ServiceFilterForm(forms.Form):
    q = forms.CharField(
        label="Search", required=False, max_length=MAX_QUERY_LENGTH,
        error_messages={"max_length": f"Search for {MAX_QUERY_LENGTH} characters or fewer. "
                        "All services are shown."},
    )
    need = forms.ChoiceField(label="What do you need to do?", required=False)
    scope = forms.ChoiceField(
        label="Where it is available", required=False, choices=[("", "Any")] + Scope.choices
    )
    channel = forms.ChoiceField(
        label="How you use it", required=False, choices=[("", "Any way")] + CHANNEL_CHOICES
    )
    nhs_login = forms.ChoiceField(
        label="NHS login", required=False, choices=[("", "Either")] + NHS_LOGIN_CHOICES
    )
    language = forms.ChoiceField(label="Language", required=False)

    def __init__(self, data=None, **kwargs):
        super().__init__(data, **kwargs)
        self.capabilities = list(Capability.objects.only("slug", "citizen_label", "name"))
        self.fields["need"].choices = [("", "Any need")] + [
            (c.slug, c.citizen_label) for c in self.capabilities
        ]
        for field in self.fields.values():  # a choice a link or bookmark no longer offers
            field.error_messages["invalid_choice"] = "Choose one of the options in the list."
        self.languages = list(Language.objects.only("code", "name"))
        self.fields["language"].choices = [("", "Any language")] + [
            (lang.code, lang.name) for lang in self.languages
        ]

    def valid_data(self) -> dict:
        """The filters that validated; invalid ones are dropped, not fatal."""
        self.is_valid()
        return {k: v for k, v in getattr(self, "cleaned_data", {}).items() if v}

    def querystring(self) -> str:
        return urlencode(self.valid_data())

    def chosen_labels(self) -> list[str]:
        labels = []
        for name, value in self.valid_data().items():
            field = self.fields[name]
            if isinstance(field, forms.ChoiceField):
                labels.append(dict(field.choices).get(value, value))
            else:
                labels.append(f"“{value}”")
        return labels


def filter_services(form: ServiceFilterForm):
    """Live, current services matching the form, national first, then by name."""
    data = form.valid_data()
    services = (
        DigitalService.objects.live()
        .public()
        .exclude(lifecycle=Lifecycle.RETIRED)
        .annotate(
            scope_rank=Case(
                When(scope=Scope.NATIONAL, then=Value(0)),
                When(scope=Scope.ICS, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        )
        .only(
            "title", "url_path", "slug", "summary", "provider", "scope", "nhs_login",
            "in_nhs_app", "channel_web", "channel_ios", "channel_android", "channel_phone",
            "lifecycle",
        )
    )
    if need := data.get("need"):
        services = services.filter(capabilities__slug=need)
    if scope := data.get("scope"):
        services = services.filter(scope=scope)
    if channel := data.get("channel"):
        if channel == "web":
            services = services.filter(channel_web=True)
        elif channel == "app":
            services = services.filter(Q(channel_ios=True) | Q(channel_android=True))
        elif channel == "phone":
            services = services.filter(channel_phone=True)
    if login := data.get("nhs_login"):
        if login == "yes":
            services = services.exclude(nhs_login=NHSLoginLevel.NONE)
        else:
            services = services.filter(nhs_login=NHSLoginLevel.NONE)
    if language := data.get("language"):
        services = services.filter(languages__code=language)
    services = services.order_by("scope_rank", "title").distinct()
    if q := data.get("q", ""):
        services = search_services(services, q)
    return services
