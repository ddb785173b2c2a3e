"""What the API may show, how its filters select it, and loading it in a fixed number of queries.

Only live, public, non-retired services ever appear: a live page's row holds its
published revision (drafts live in revisions until published), so every field read
here is published content. Offers are read through `offers_in_force` and a GP
practice's services through `practice_offer`, the same functions the public pages
use, so the API and the practice pages cannot disagree.
"""

import datetime
import re
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q
from django.db.models.functions import Lower, Trim

from services_catalogue.models import (
    Capability,
    DigitalService,
    Lifecycle,
    Offer,
    Organisation,
    OrganisationKind,
)
from services_catalogue.practices import offers_in_force, practice_offer
from services_catalogue.search import search_services

from .taxonomy import ACCESS_FACTS_BY_ID, ACCESS_TAXONOMY, CAPABILITY_TAXONOMY, stable_id


def published_services():
    """The only services the API may ever show."""
    return DigitalService.objects.live().public().exclude(lifecycle=Lifecycle.RETIRED)


def normalise(name: str) -> str:
    """Provider names are matched to organisation names ignoring case and outer spaces."""
    return (name or "").strip().lower()


@dataclass(frozen=True)
class Provider:
    """A provider named on services that is not one of our organisations (e.g. NHS England).

    It still needs to be an HSDS organization with a stable id, so its id is derived
    from its name: it is the same on every request and survives edits to the services.
    """

    name: str
    spellings: tuple[str, ...] = ()

    @property
    def public_id(self) -> str:
        return stable_id("provider", normalise(self.name))


@dataclass
class Providers:
    """Who each provider name on a live service is: one of our organisations, or external."""

    organisations: dict[str, Organisation]
    external: dict[str, Provider]

    def for_name(self, name: str) -> Organisation | Provider:
        key = normalise(name)
        return self.organisations.get(key) or self.external.get(key) or Provider(name.strip())

    def external_by_id(self, public_id: str) -> Provider | None:
        return next((p for p in self.external.values() if p.public_id == public_id), None)


def organisations_named(keys) -> dict[str, Organisation]:
    """Active organisations by normalised name; where two share a name, the lowest ODS code."""
    found: dict[str, Organisation] = {}
    matches = (
        Organisation.objects.filter(active=True)
        .annotate(match_key=Lower(Trim("name")))
        .filter(match_key__in=list(keys))
        .select_related("parent")
        .order_by("ods_code")
    )
    for org in matches:
        found.setdefault(org.match_key, org)
    return found


def providers() -> Providers:
    """Every provider named on a live service, resolved: two queries, however many services."""
    spellings: dict[str, set[str]] = defaultdict(set)
    names = published_services().order_by().values_list("provider", flat=True).distinct()
    for name in names:
        spellings[normalise(name)].add(name.strip())
    organisations = organisations_named(spellings)
    external = {
        key: Provider(sorted(names)[0], tuple(sorted(names)))
        for key, names in sorted(spellings.items())
        if key not in organisations
    }
    return Providers(organisations=organisations, external=external)


# ---------------------------------------------------------------- filters


@dataclass(frozen=True)
class ServiceQuery:
    search: str = ""
    taxonomy_term_id: uuid.UUID | None = None
    taxonomy_id: uuid.UUID | None = None
    organization_id: uuid.UUID | None = None
    modified_after: datetime.datetime | None = None


def _with_term(term_id: uuid.UUID) -> Q:
    fact = ACCESS_FACTS_BY_ID.get(str(term_id))
    if fact is not None:
        return fact.q()
    return Q(pk__in=DigitalService.objects.filter(capabilities__public_id=term_id).values("pk"))


def _in_taxonomy(taxonomy_id: uuid.UUID) -> Q:
    if str(taxonomy_id) == CAPABILITY_TAXONOMY["id"]:
        return Q(pk__in=DigitalService.objects.filter(capabilities__isnull=False).values("pk"))
    if str(taxonomy_id) == ACCESS_TAXONOMY["id"]:
        return Q()  # every service has an NHS login term
    return Q(pk__in=[])


def ancestry(org: Organisation) -> list[Organisation]:
    """The organisation and those above it (practice, PCN, ICB), as `practice_offer` walks it."""
    chain = [org]
    parent = org.parent
    while parent is not None and len(chain) < 5:
        chain.append(parent)
        parent = parent.parent
    return chain


def service_ids_through(org: Organisation) -> set[int]:
    """The services a citizen can use through this organisation: those it provides
    and those offered to the people it serves.

    HSDS's organization_id filter is worded for the provider only, but a GP practice
    provides nothing and offers a great deal; "what can I use at my practice" is the
    question citizens and referrers ask, so the offer counts too. For a practice the
    offer is exactly what its public page shows (`practice_offer`); for any other
    organisation it is what it and those above it offer.
    """
    key = normalise(org.name)
    provided: set[int] = set()
    if organisations_named([key]).get(key) == org:
        provided = set(
            published_services()
            .annotate(match_key=Lower(Trim("provider")))
            .filter(match_key=key)
            .values_list("pk", flat=True)
        )
    if org.kind == OrganisationKind.GP_PRACTICE:
        offered = {service.pk for row in practice_offer(org) for service in row.services}
    else:
        offered = set(
            offers_in_force([o.pk for o in ancestry(org)])
            .prefetch_related(None)
            .values_list("service_id", flat=True)
        )
    return provided | offered


def _through_organisation(org_id: uuid.UUID) -> Q:
    org = (
        Organisation.objects.filter(public_id=org_id, active=True)
        .select_related("parent__parent__parent")
        .first()
    )
    if org is not None:
        return Q(pk__in=service_ids_through(org))
    provider = providers().external_by_id(str(org_id))
    if provider is not None:
        return Q(provider__in=provider.spellings)
    return Q(pk__in=[])


def matching_service_ids(query: ServiceQuery) -> list[int]:
    """The ids of the published services matching the query, in the order the API lists them:
    by relevance when searching, otherwise by name."""
    services = published_services()
    if query.taxonomy_term_id is not None:
        services = services.filter(_with_term(query.taxonomy_term_id))
    if query.taxonomy_id is not None:
        services = services.filter(_in_taxonomy(query.taxonomy_id))
    if query.organization_id is not None:
        services = services.filter(_through_organisation(query.organization_id))
    if query.modified_after is not None:
        services = services.filter(last_published_at__gte=query.modified_after)
    if query.search:
        # The site's own search (needs, plurals, everyday words), so that the open data
        # finds what a citizen searching the site finds, in the same order.
        if not re.search(r"\w", query.search):
            return []
        return [service.pk for service in search_services(services, query.search)]
    return list(services.order_by("title", "pk").values_list("pk", flat=True))


# ---------------------------------------------------------------- loading


@dataclass
class Catalogue:
    """Everything the mapping needs beyond the service rows, loaded once per request.

    Mapping functions read only from here and from the (prefetched) rows, so the number
    of queries does not grow with the number of services on a page.
    """

    api_url: str  # absolute URL of the API root, ending in "/"
    site_url: str  # absolute URL of the site root, ending in "/"
    ics_name: str
    providers: Providers
    offers: dict[int, list[Offer]] = field(default_factory=dict)
    page_urls: dict[int, str] = field(default_factory=dict)

    def provider_for(self, service: DigitalService) -> Organisation | Provider:
        return self.providers.for_name(service.provider)


def load_services(ids: list[int]) -> list[DigitalService]:
    """The services with these ids, in this order, with what mapping reads prefetched."""
    rows = (
        DigitalService.objects.filter(pk__in=ids)
        .select_related("live_revision__user")
        .prefetch_related("capabilities", "languages")
    )
    by_id = {service.pk: service for service in rows}
    return [by_id[pk] for pk in ids if pk in by_id]


def offers_by_service(services) -> dict[int, list[Offer]]:
    """Offers in force of active organisations, by service: where each service is offered."""
    offers = (
        offers_in_force(Organisation.objects.filter(active=True))
        .filter(service__in=[s.pk for s in services])
        .select_related("organisation")
        .order_by("organisation__name", "organisation__ods_code")
    )
    found: dict[int, list[Offer]] = defaultdict(list)
    for offer in offers:
        found[offer.service_id].append(offer)
    return dict(found)


def capabilities():
    return Capability.objects.order_by("sort_order", "name")


def organisations(search_text: str = ""):
    """Active organisations for the list; searching matches the name or the ODS code."""
    rows = Organisation.objects.filter(active=True).select_related("parent").order_by(
        "name", "ods_code"
    )
    if search_text:
        rows = rows.filter(Q(name__icontains=search_text) | Q(ods_code__iexact=search_text))
    return rows


def organisations_page(search_text: str, known: Providers, offset: int, limit: int):
    """(one page of organizations, how many in all): our active organisations by name, then
    the external providers, so that every service's organization can be found in the list."""
    rows = organisations(search_text)
    external = [p for p in known.external.values()
                if not search_text or search_text.lower() in p.name.lower()]
    counted = rows.count()
    page: list = list(rows[offset:offset + limit]) if offset < counted else []
    page += external[max(0, offset - counted):max(0, offset + limit - counted)]
    return page, counted + len(external)


def published_service_pk(public_id: uuid.UUID) -> int | None:
    return published_services().filter(public_id=public_id).values_list("pk", flat=True).first()


def organisation(public_id: uuid.UUID) -> Organisation | None:
    return (
        Organisation.objects.filter(public_id=public_id, active=True)
        .select_related("parent__parent__parent")
        .first()
    )
