"""What a GP practice offers online, capability by capability.

The practice page, the offer matrix and the API must agree, so they all read
the offer through `practice_offer` (one organisation) or `offers_for_organisations`
(many, in a constant number of queries), which share `offers_in_force`,
`delivered_capability_ids` and `offer_rows`. The consistent offer itself is the
`ConsistentOffer` site setting.
"""

import re
from dataclasses import dataclass, field
from functools import reduce
from operator import add
from urllib.parse import urlencode

from django import forms
from django.db.models import Case, IntegerField, Max, Prefetch, Q, Value, When
from django.db.models.functions import Replace, Upper
from django.utils import timezone

from .models import (
    Capability,
    ConsistentOffer,
    ConsistentOfferItem,
    DigitalService,
    Offer,
    Organisation,
    OrganisationKind,
)
from .models.organisation import ODS_CODE_RE, normalise_ods_code
from .models.service import Lifecycle

# A UK postcode: its outward code (area letters, district digits, perhaps a sub-district
# letter: NE24, EC1A) and its inward code (3AB), with or without the space between.
POSTCODE_RE = re.compile(r"\b([A-Z]{1,2}[0-9][A-Z0-9]?)\s*([0-9][A-Z]{2})\b", re.IGNORECASE)
OUTWARD_CODE_RE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")
DISTRICT_RE = re.compile(r"^[A-Z]{1,2}[0-9]{1,2}")
WORD_RE = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
MAX_PRACTICE_SEARCH_WORDS = 8


def normalise_postcode(value: str) -> str:
    """Capitals and no spaces: "ne24 1dx" and "NE241DX" are the same postcode."""
    return re.sub(r"\s+", "", value or "").upper()


@dataclass(frozen=True)
class PostcodeTerm:
    """A postcode (NE24 3AB) or the first part of one (NE24) in a practice search."""

    outward: str
    full: str = ""

    @property
    def display(self) -> str:
        return f"{self.outward} {self.full[len(self.outward):]}" if self.full else self.outward

    def in_district(self) -> Q:
        """Practices with this outward code: NE24 3AB and NE24 matches NE24 1DX, not NE2 4AB."""
        return Q(postcode_key__regex=rf"^{self.outward}[0-9][A-Z]{{2}}$")

    def near(self) -> Q:
        """Practices in the same district, with or without a sub-district letter: for a
        postcode in EC1M, those in EC1A or EC1; for NE1, NE1 but not NE10."""
        district = DISTRICT_RE.match(self.outward).group()
        return Q(postcode_key__regex=rf"^{district}[A-Z]?[0-9][A-Z]{{2}}$")


def practice_search_words(query: str) -> tuple[list[PostcodeTerm], list[str]]:
    """(the postcodes, whole or in part, in a practice search; its other words)."""
    postcodes = []

    def take_postcode(match):
        outward = match.group(1).upper()
        postcodes.append(PostcodeTerm(outward, outward + match.group(2).upper()))
        return " "

    rest = POSTCODE_RE.sub(take_postcode, query)
    words = []
    for word in WORD_RE.findall(rest):
        if OUTWARD_CODE_RE.match(word.upper()):
            postcodes.append(PostcodeTerm(word.upper()))
        else:
            words.append(word)
    if len(words) > 1:
        words = [word for word in words if len(word) > 1] or words
    return postcodes[:MAX_PRACTICE_SEARCH_WORDS], words[:MAX_PRACTICE_SEARCH_WORDS]


class PracticeSearchForm(forms.Form):
    q = forms.CharField(
        label="Practice name, town or postcode", required=False, max_length=100,
        error_messages={"max_length": "Search for 100 characters or fewer. All practices "
                        "are shown."},
    )

    def querystring(self) -> str:
        if self.is_valid() and self.cleaned_data.get("q"):
            return urlencode({"q": self.cleaned_data["q"]})
        return ""

    def postcode(self) -> str:
        """The first postcode (or first part of one) searched for, as on a letter, or ""."""
        if not self.is_valid():
            return ""
        postcodes, _words = practice_search_words(self.cleaned_data.get("q", ""))
        return postcodes[0].display if postcodes else ""


def _text_match(word: str) -> Q:
    return (
        Q(name__icontains=word)
        | Q(town__icontains=word)
        | Q(place__icontains=word)
        | Q(ods_code__iexact=word)
    )


def search_practices(form: PracticeSearchForm):
    """(an exact ODS code match or None, the matching practices).

    An exact ODS code goes straight to the practice; anything else is a name, town
    or postcode search. An over-long or invalid query lists every practice.

    Each postcode in the search, with or without its space, matches the practices in
    its district (its outward code, NE24 for NE24 3AB), or if there are none those
    in the district's sub-districts; each other word matches a practice's name, town
    or place. Practices matching every word are listed, and only they; if none does,
    those matching any word, the most words first. A practice at the very postcode
    searched for comes first. A constant number of queries, however many practices.
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
    practices = practices.annotate(
        postcode_key=Upper(Replace("postcode", Value(" "), Value("")))
    )
    postcodes, words = practice_search_words(query)
    terms = []
    for postcode in postcodes:
        match = postcode.in_district()
        if not practices.filter(match).exists():
            match = postcode.near()
        terms.append(match | _text_match(postcode.outward))
    terms += [_text_match(word) for word in words]
    if not terms:
        return None, practices.filter(
            _text_match(query) | Q(postcode_key__startswith=normalise_postcode(query))
        )
    score = reduce(add, [
        Case(When(term, then=Value(1)), default=Value(0), output_field=IntegerField())
        for term in terms
    ])
    fulls = [postcode.full for postcode in postcodes if postcode.full]
    matched = practices.annotate(
        score=score,
        other_postcode=Case(
            When(postcode_key__in=fulls, then=Value(0)), default=Value(1),
            output_field=IntegerField(),
        ),
    ).filter(score__gt=0)
    if matched.aggregate(best=Max("score"))["best"] == len(terms):
        matched = matched.filter(score=len(terms))
    return None, matched.order_by("other_postcode", "-score", "name")


def _in_force(offers, on=None):
    """The offers a citizen can use today: of live, not retired services, started and not
    ended."""
    today = on or timezone.localdate()
    return (
        offers.filter(service__live=True)
        .exclude(service__lifecycle=Lifecycle.RETIRED)
        .filter(Q(since__isnull=True) | Q(since__lte=today))
        .filter(Q(until__isnull=True) | Q(until__gte=today))
    )


def offers_in_force(organisations, on=None):
    """Offers of these organisations that a citizen can use today: live services only."""
    return (
        _in_force(Offer.objects.filter(organisation__in=organisations), on)
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
    """One capability of the consistent offer at one organisation.

    `national_default` is the service to point people to where nothing is offered
    (only if it is live: an unpublished default is never linked).
    """

    capability: Capability
    national_default: DigitalService | None = None
    services: list[DigitalService] = field(default_factory=list)

    @property
    def offered(self) -> bool:
        return bool(self.services)

    @property
    def national_too(self) -> DigitalService | None:
        """The national service, where the practice offers its own as well: anyone in
        England can use it, so citizens are told so rather than it being left out."""
        if self.services and self.national_default not in self.services:
            return self.national_default
        return None


def consistent_offer_items() -> list[ConsistentOfferItem]:
    """The consistent offer, in order: one query."""
    return list(ConsistentOffer.current_items())


def _service_order(service: DigitalService):
    return (service.title.casefold(), service.title, service.pk)


def offer_rows(items: list[ConsistentOfferItem], offers) -> list[OfferRow]:
    """The core of the offer logic: the consistent offer's rows, filled from these offers.

    `offers` are the offers in force for an organisation and its ancestors (from
    `offers_in_force`); services are listed by title, each once per row. Shared by
    the practice page and the offer matrix so that they cannot disagree.
    """
    rows = {}
    for item in items:
        default = item.national_default
        rows[item.capability_id] = OfferRow(
            capability=item.capability,
            national_default=default if default is not None and default.live else None,
        )
    for offer in sorted(offers, key=lambda offer: _service_order(offer.service)):
        for capability_id in delivered_capability_ids(offer):
            row = rows.get(capability_id)
            if row is not None and offer.service not in row.services:
                row.services.append(offer.service)
    return list(rows.values())


MAX_CHAIN = 5


def organisation_chain(organisation: Organisation, parent_ids: dict[int, int | None] | None = None):
    """The primary keys of an organisation and its ancestors (practice, PCN, ICB...).

    With `parent_ids` (every organisation's parent, by primary key) no query is made;
    without, it follows `parent` (a query per level not already loaded).
    """
    chain = [organisation.pk]
    if parent_ids is None:
        parent = organisation.parent
        while parent is not None and len(chain) < MAX_CHAIN and parent.pk not in chain:
            chain.append(parent.pk)
            parent = parent.parent
        return chain
    parent_id = parent_ids.get(organisation.pk, organisation.parent_id)
    while parent_id is not None and len(chain) < MAX_CHAIN and parent_id not in chain:
        chain.append(parent_id)
        parent_id = parent_ids.get(parent_id)
    return chain


def practice_offer(practice: Organisation) -> list[OfferRow]:
    """One row per capability of the consistent offer: the services to use there, or a gap.

    Offers made by the practice's PCN or ICB count for the practice too.
    """
    chain = organisation_chain(practice)
    return offer_rows(consistent_offer_items(), offers_in_force(chain))


def offers_for_organisations(organisations) -> dict[int, list[OfferRow]]:
    """`practice_offer` for many organisations at once, in a constant number of queries.

    Exactly the same logic (the same `offers_in_force` filter, `delivered_capability_ids`
    and `offer_rows`), keyed by organisation primary key.
    """
    organisations = list(organisations)
    if not organisations:
        return {}
    items = consistent_offer_items()
    parent_ids = dict(Organisation.objects.values_list("pk", "parent_id"))
    chains = {org.pk: organisation_chain(org, parent_ids) for org in organisations}
    wanted = {pk for chain in chains.values() for pk in chain}
    by_organisation: dict[int, list[Offer]] = {}
    for offer in offers_in_force(Organisation.objects.filter(pk__in=wanted)):
        by_organisation.setdefault(offer.organisation_id, []).append(offer)
    return {
        org.pk: offer_rows(
            items, [offer for pk in chains[org.pk] for offer in by_organisation.get(pk, [])]
        )
        for org in organisations
    }


def practices_offering(service, on=None) -> list[Organisation]:
    """The active GP practices where a citizen can use this service today, by name: for a
    service only some practices offer, so its page can say which (one query)."""
    offers = _in_force(Offer.objects.filter(service=service), on)
    return list(
        Organisation.objects.filter(kind=OrganisationKind.GP_PRACTICE, active=True,
                                    pk__in=offers.values("organisation_id"))
        .only("name", "ods_code", "town").order_by("name")
    )


def details_to_look_up(practice: Organisation) -> str:
    """What a citizen still has to find on NHS Find a GP, in words ("its phone number,
    address and opening times"): opening times always, as the catalogue does not hold them."""
    missing = []
    if not practice.phone_href:
        missing.append("phone number")
    if not practice.address:
        missing.append("address")
    missing.append("opening times")
    if len(missing) == 1:
        return missing[0]
    return ", ".join(missing[:-1]) + " and " + missing[-1]
