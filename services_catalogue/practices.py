"""What a GP practice offers online, capability by capability.

The practice page, the offer matrix and the API must agree, so they all read
the offer through `practice_offer` and `offers_in_force`.
"""

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django import forms
from django.db.models import Prefetch, Q
from django.utils import timezone

from .models import Capability, DigitalService, Offer, Organisation, OrganisationKind
from .models.organisation import ODS_CODE_RE, normalise_ods_code
from .models.service import Lifecycle


class PracticeSearchForm(forms.Form):
    q = forms.CharField(
        label="Practice name, town, postcode or ODS code", required=False, max_length=100
    )

    def querystring(self) -> str:
        if self.is_valid() and self.cleaned_data.get("q"):
            return urlencode({"q": self.cleaned_data["q"]})
        return ""


def search_practices(form: PracticeSearchForm):
    """(an exact ODS code match or None, the matching practices).

    An exact ODS code goes straight to the practice; anything else is a name, town
    or postcode search. An over-long or invalid query lists every practice.
    """
    practices = Organisation.objects.filter(
        kind=OrganisationKind.GP_PRACTICE, active=True
    ).select_related("parent").only("ods_code", "name", "town", "postcode", "parent__name")
    if not form.is_valid():
        return None, practices
    query = form.cleaned_data.get("q", "").strip()
    if not query:
        return None, practices
    code = normalise_ods_code(query)
    if ODS_CODE_RE.match(code):
        exact = practices.filter(ods_code=code).first()
        if exact is not None:
            return exact, practices.none()
    return None, practices.filter(
        Q(name__icontains=query)
        | Q(town__icontains=query)
        | Q(place__icontains=query)
        | Q(postcode__istartswith=query)
        | Q(ods_code__iexact=code)
    )


def offers_in_force(organisations, on=None):
    """Offers of these organisations that a citizen can use today: live services only."""
    today = on or timezone.localdate()
    return (
        Offer.objects.filter(organisation__in=organisations, service__live=True)
        .exclude(service__lifecycle=Lifecycle.RETIRED)
        .filter(Q(since__isnull=True) | Q(since__lte=today))
        .filter(Q(until__isnull=True) | Q(until__gte=today))
        .select_related("service")
        .prefetch_related(
            "capabilities", Prefetch("service__capabilities", queryset=Capability.objects.all())
        )
    )


def delivered_capability_ids(offer: Offer) -> set[int]:
    """An offer with no capabilities listed delivers all its service's capabilities."""
    chosen = {c.pk for c in offer.capabilities.all()}
    if chosen:
        return chosen
    return {c.pk for c in offer.service.capabilities.all()}


@dataclass
class OfferRow:
    capability: Capability
    services: list[DigitalService] = field(default_factory=list)

    @property
    def offered(self) -> bool:
        return bool(self.services)


def practice_offer(practice: Organisation) -> list[OfferRow]:
    """One row per capability of the consistent offer: the services to use there, or a gap.

    Offers made by the practice's PCN or ICB count for the practice too.
    """
    chain = [practice]
    parent = practice.parent
    while parent is not None and len(chain) < 5:
        chain.append(parent)
        parent = parent.parent
    capabilities = list(
        Capability.objects.filter(in_consistent_offer=True).select_related("national_default")
    )
    rows = {c.pk: OfferRow(capability=c) for c in capabilities}
    for offer in offers_in_force([org.pk for org in chain]).order_by("service__title"):
        for capability_id in delivered_capability_ids(offer):
            row = rows.get(capability_id)
            if row is not None and offer.service not in row.services:
                row.services.append(offer.service)
    for row in rows.values():
        default = row.capability.national_default
        if default is not None and not default.live:
            row.capability.national_default = None
    return list(rows.values())
