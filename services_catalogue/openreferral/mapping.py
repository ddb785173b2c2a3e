"""Catalogue objects as HSDS 3.0 dicts: plain functions, no requests, no queries.

Each function reads only the object it is given (with its prefetched relations) and
the request's `Catalogue`, so a page of fifty services costs the same queries as a
page of one, and the functions can be tested without a client. Field choices follow
the HSDS 3.0 schemas (see the docstrings where the catalogue's idea and HSDS's differ).
"""

import datetime
from collections.abc import Iterable

from services_catalogue.models import (
    Capability,
    DigitalService,
    Offer,
    Organisation,
    OrganisationKind,
    Scope,
)
from services_catalogue.practices import delivered_capability_ids

from .queries import Catalogue, Provider
from .taxonomy import ACCESS_FACTS, ACCESS_TAXONOMY, CAPABILITY_TAXONOMY, stable_id

HSDS_VERSION = "3.0"
PROFILE_URI = "https://openreferraluk.org/"
# ONS's persistent identifier for England (GSS code E92000001).
ENGLAND_URI = "http://statistics.data.gov.uk/id/statistical-geography/E92000001"
NHS_KINDS = {OrganisationKind.ICB, OrganisationKind.TRUST, OrganisationKind.PCN,
             OrganisationKind.GP_PRACTICE}


def _compact(data: dict) -> dict:
    """HSDS fields are optional unless required: leave out what we do not know, rather than
    send nulls the schemas do not allow."""
    return {key: value for key, value in data.items() if value is not None and value != ""}


def timestamp(moment: datetime.datetime | None) -> str | None:
    """RFC 3339 in UTC with milliseconds, as HSDS's `last_modified` example has it."""
    if moment is None:
        return None
    return moment.astimezone(datetime.UTC).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z"
    )


def modified_at(service: DigitalService) -> datetime.datetime | None:
    return service.last_published_at or service.first_published_at


# ---------------------------------------------------------------- root and paging


def api_root(catalogue: Catalogue) -> dict:
    return {
        "version": HSDS_VERSION,
        "profile": PROFILE_URI,
        "publisher": {"name": catalogue.ics_name, "url": catalogue.site_url},
        "endpoints": {
            name: catalogue.api_url + name
            for name in ("services", "organizations", "taxonomies", "taxonomy_terms")
        },
        "downloads": {
            "json": catalogue.api_url + "download.json",
            "csv": catalogue.api_url + "download.csv",
        },
    }


def page_of(contents: list, total: int, page: int, per_page: int) -> dict:
    """HSDS's paged envelope. A page past the end is an empty page, not an error."""
    total_pages = -(-total // per_page)
    return {
        "total_items": total,
        "total_pages": total_pages,
        "page_number": page,
        "size": len(contents),
        "first_page": page == 1,
        "last_page": page >= total_pages,
        "empty": not contents,
        "contents": contents,
    }


# ---------------------------------------------------------------- organizations


def identifier_scheme(org: Organisation) -> tuple[str | None, str]:
    """(identifier_scheme, identifier_type) for the code in `ods_code`.

    NHS bodies carry their ODS code; councils and voluntary bodies carry their ONS code
    or Charity Commission number in the same field (see `Organisation`).
    """
    code = org.ods_code
    if org.kind in NHS_KINDS:
        return "ODS", "NHS Organisation Data Service code"
    if org.kind == OrganisationKind.LOCAL_AUTHORITY:
        return None, "ONS GSS code"
    if code.isdigit():
        return "GB-CHC", "Charity Commission registration number"
    return None, "Local identifier"


def organization_description(org: Organisation | Provider) -> str:
    if isinstance(org, Provider):
        return ("Provider of digital services in this catalogue. It is not one of the "
                "organisations the catalogue records, so it has no ODS code here.")
    text = org.get_kind_display()
    if org.town:
        text += f" in {org.town}"
    if org.parent is not None:
        text += f", part of {org.parent.name}"
    return text + "."


def organization_summary(org: Organisation | Provider) -> dict:
    """The one-to-one fields (HSDS compiled/organization_list.json)."""
    if isinstance(org, Provider):
        return {"id": org.public_id, "name": org.name,
                "description": organization_description(org)}
    return _compact({
        "id": str(org.public_id),
        "name": org.name,
        "description": organization_description(org),
        "website": org.website,
        "parent_organization_id": str(org.parent.public_id) if org.parent else None,
    })


def organization_identifiers(org: Organisation | Provider) -> list[dict]:
    if isinstance(org, Provider):
        return []
    scheme, kind = identifier_scheme(org)
    return [_compact({
        "id": stable_id("identifier", org.public_id, scheme or kind),
        "organization_id": str(org.public_id),
        "identifier_scheme": scheme,
        "identifier_type": kind,
        "identifier": org.ods_code,
    })]


def organization_phones(org: Organisation | Provider) -> list[dict]:
    """The number patients call, in HSDS phone.json; none for a national provider."""
    if isinstance(org, Provider) or not org.phone_href:
        return []
    return [{
        "id": stable_id("phone", org.public_id),
        "organization_id": str(org.public_id),
        "number": org.phone,
        "type": "voice",
        "languages": [],
        "attributes": [],
        "metadata": [],
    }]


def organization_full(org: Organisation | Provider, services: Iterable[dict] | None = None) -> dict:
    """Fully nested (HSDS compiled/organization.json). The catalogue records an
    organisation's phone number (published) but no contacts or physical locations (the
    street address is shown on the practice's page only), so those lists are empty.
    `services`, when given,
    are the services used through it (see `queries.service_ids_through`); an organization
    nested inside a service leaves them out, as HSDS's compiled service schema does."""
    nested = {
        **organization_summary(org),
        "organization_identifiers": organization_identifiers(org),
        "funding": [],
        "contacts": [],
        "phones": organization_phones(org),
        "locations": [],
        "programs": [],
        "attributes": [],
        "metadata": [],
    }
    if services is not None:
        nested["services"] = list(services)
    return nested


# ---------------------------------------------------------------- taxonomies


def taxonomy(data: dict, catalogue: Catalogue) -> dict:
    return {**data, "uri": catalogue.api_url + f"taxonomies/{data['id']}"}


def capability_term(capability: Capability) -> dict:
    return {
        "id": str(capability.public_id),
        "code": capability.slug,
        "name": capability.name,
        "description": capability.description or capability.citizen_label,
        "taxonomy": CAPABILITY_TAXONOMY["name"],
        "taxonomy_id": CAPABILITY_TAXONOMY["id"],
        "language": "en",
    }


def access_term(fact) -> dict:
    return {
        "id": fact.id,
        "code": fact.code,
        "name": fact.name,
        "description": fact.description,
        "taxonomy": ACCESS_TAXONOMY["name"],
        "taxonomy_id": ACCESS_TAXONOMY["id"],
        "language": "en",
    }


def taxonomy_terms(capabilities: Iterable[Capability]) -> list[dict]:
    """Every term: the capabilities (ids are their public_ids), then the access facts."""
    return [capability_term(c) for c in capabilities] + [access_term(f) for f in ACCESS_FACTS]


# ---------------------------------------------------------------- services


def service_summary(service: DigitalService, catalogue: Catalogue) -> dict:
    """The one-to-one fields and the organization (HSDS compiled/service_list.json).

    The catalogue's plain-English fields map to HSDS's free-text ones: summary to
    description, who can use it to eligibility, how to start to application process,
    cost to fees description, last reviewed to assured date.
    """
    org = catalogue.provider_for(service)
    return _compact({
        "id": str(service.public_id),
        "organization_id": str(org.public_id),
        "name": service.title,
        "description": service.summary,
        "url": service.service_url,
        "status": "active",
        "application_process": service.how_to_start,
        "eligibility_description": service.who_can_use,
        "fees_description": service.cost,
        "assured_date": service.last_reviewed.isoformat() if service.last_reviewed else None,
        "last_modified": timestamp(modified_at(service)),
        "organization": organization_summary(org),
    })


def service_full(service: DigitalService, catalogue: Catalogue) -> dict:
    """A fully nested service (HSDS compiled/service.json), as `/services/{id}` returns it."""
    org = catalogue.provider_for(service)
    return {
        **service_summary(service, catalogue),
        "organization": organization_full(org),
        "service_areas": service_areas(service, catalogue),
        "service_at_locations": [service_at_virtual_location(service, org)],
        "languages": languages(service),
        "attributes": attributes(service),
        "contacts": [],
        "phones": [],
        "schedules": [],
        "funding": [],
        "cost_options": [],
        "required_documents": [],
        "metadata": metadata(service, catalogue),
    }


def languages(service: DigitalService) -> list[dict]:
    service_id = str(service.public_id)
    return [
        {"id": stable_id("language", service_id, language.code), "service_id": service_id,
         "name": language.name, "code": language.code}
        for language in service.languages.all()
    ]


def _attribute(service_id: str, term: dict, link_type: str, value: str | None = None) -> dict:
    return _compact({
        "id": stable_id("attribute", service_id, term["id"]),
        "link_id": service_id,
        "link_type": link_type,
        "link_entity": "service",
        "taxonomy_term_id": term["id"],
        "value": value,
        "taxonomy_term": term,
    })


def attributes(service: DigitalService) -> list[dict]:
    """The needs it meets (capability terms), then the access facts that hold for it."""
    service_id = str(service.public_id)
    found = [_attribute(service_id, capability_term(c), "capability")
             for c in service.capabilities.all()]
    found += [_attribute(service_id, access_term(fact), "access", fact.value(service))
              for fact in ACCESS_FACTS if fact.holds(service)]
    return found


def _delivered_labels(offer: Offer) -> list[str]:
    capabilities = {c.pk: c for c in offer.service.capabilities.all()}
    capabilities.update({c.pk: c for c in offer.capabilities.all()})
    delivered = [capabilities[pk] for pk in delivered_capability_ids(offer) if pk in capabilities]
    return [c.citizen_label for c in sorted(delivered, key=lambda c: (c.sort_order, c.name))]


def service_areas(service: DigitalService, catalogue: Catalogue) -> list[dict]:
    """Where it is offered: England for a national service; otherwise each organisation that
    offers it (its offers in force), or the whole ICS for an ICS-wide one offered by nobody
    in particular. An organisation's area is identified by its URL in this API, because the
    catalogue holds no boundaries."""
    service_id = str(service.public_id)
    if service.scope == Scope.NATIONAL:
        return [{
            "id": stable_id("area", service_id, "england"), "service_id": service_id,
            "name": "England", "description": "Anyone in England can use it.",
            "uri": ENGLAND_URI,
        }]
    areas = []
    for offer in catalogue.offers.get(service.pk, []):
        org = offer.organisation
        description = f"Offered through {org.name} (code {org.ods_code})"
        labels = _delivered_labels(offer)
        if labels:
            description += " for: " + "; ".join(labels)
        areas.append({
            "id": stable_id("area", service_id, org.public_id), "service_id": service_id,
            "name": org.name, "description": description + ".",
            "uri": catalogue.api_url + f"organizations/{org.public_id}",
        })
    if not areas and service.scope == Scope.ICS:
        areas.append({
            "id": stable_id("area", service_id, "ics"), "service_id": service_id,
            "name": catalogue.ics_name,
            "description": f"Anyone {catalogue.ics_name} serves can use it.",
        })
    return areas


def service_at_virtual_location(service: DigitalService, org: Organisation | Provider) -> dict:
    """A digital service is used at its web address: one HSDS virtual location, carrying the
    accessibility statement (HSDS keeps accessibility on locations)."""
    service_id = str(service.public_id)
    location_id = stable_id("location", service_id, "virtual")
    accessibility = []
    if service.accessibility_statement_url:
        accessibility.append({
            "id": stable_id("accessibility", location_id),
            "location_id": location_id,
            "description": "Accessibility statement",
            "url": service.accessibility_statement_url,
        })
    location = {
        "id": location_id,
        "location_type": "virtual",
        "url": service.service_url,
        "organization_id": str(org.public_id),
        "name": f"{service.title} online",
        "description": f"Use {service.title} online: " + ", ".join(service.channels) + "."
        if service.channels else f"Use {service.title} online.",
        "languages": [],
        "addresses": [],
        "contacts": [],
        "accessibility": accessibility,
        "phones": [],
        "schedules": [],
        "attributes": [],
        "metadata": [],
    }
    return {
        "id": stable_id("service_at_location", service_id, location_id),
        "service_id": service_id,
        "location_id": location_id,
        "contacts": [],
        "phones": [],
        "schedules": [],
        "location": location,
        "attributes": [],
        "metadata": [],
    }


def updated_by(service: DigitalService, catalogue: Catalogue) -> str:
    """The name of whoever wrote the published revision, or the ICS if it has none.

    Only a full name is published, never a username or email address: this is an open
    API, and a login name is half a credential.
    """
    revision = service.live_revision
    user = revision.user if revision is not None else None
    name = user.get_full_name().strip() if user is not None else ""
    return name or catalogue.ics_name


def metadata(service: DigitalService, catalogue: Catalogue) -> list[dict]:
    """One HSDS metadata entry for the published revision, from Wagtail's history.

    Wagtail versions the whole page, not fields, so `field_name` and the values are empty:
    the entry says when the record was last published, whether that created or updated it,
    and by whom.
    """
    when = modified_at(service)
    if when is None:
        return []
    first = service.first_published_at
    action = "create" if first is None or first == when else "update"
    service_id = str(service.public_id)
    return [{
        "id": stable_id("metadata", service_id, service.live_revision_id or timestamp(when)),
        "resource_id": service_id,
        "resource_type": "service",
        "last_action_date": when.astimezone(datetime.UTC).date().isoformat(),
        "last_action_type": action,
        "field_name": "",
        "previous_value": "",
        "replacement_value": "",
        "updated_by": updated_by(service, catalogue),
    }]
