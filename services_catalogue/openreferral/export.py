"""The analysts' CSV: one row per published service with its key facts.

Analysts open it in a spreadsheet, and editors' free text goes into it, so every
cell that a spreadsheet would run as a formula (starting =, +, -, @, or a tab or
carriage return, per OWASP's CSV injection advice) is prefixed with a single quote.
"""

import csv
import io

from services_catalogue.models import DigitalService

from .mapping import modified_at, timestamp
from .queries import Catalogue

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

COLUMNS = [
    "id", "name", "summary", "url", "catalogue_page", "organisation", "organisation_id",
    "organisation_code", "scope", "lifecycle", "capabilities", "nhs_login", "in_nhs_app",
    "smartphone_needed", "channels", "languages", "accessibility_statement_url", "cost",
    "who_can_use", "how_to_start", "help_using_it", "non_digital_alternative", "dtac_status",
    "offered_through", "last_reviewed", "last_published",
]


def spreadsheet_safe(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


def service_row(service: DigitalService, catalogue: Catalogue) -> list[str]:
    org = catalogue.provider_for(service)
    offered = [offer.organisation.name for offer in catalogue.offers.get(service.pk, [])]
    values = {
        "id": service.public_id,
        "name": service.title,
        "summary": service.summary,
        "url": service.service_url,
        "catalogue_page": catalogue.page_urls.get(service.pk, ""),
        "organisation": org.name,
        "organisation_id": org.public_id,
        "organisation_code": getattr(org, "ods_code", ""),
        "scope": service.get_scope_display(),
        "lifecycle": service.get_lifecycle_display(),
        "capabilities": "; ".join(c.name for c in service.capabilities.all()),
        "nhs_login": service.get_nhs_login_display(),
        "in_nhs_app": _yes_no(service.in_nhs_app),
        "smartphone_needed": _yes_no(service.smartphone_needed),
        "channels": "; ".join(service.channels),
        "languages": "; ".join(language.name for language in service.languages.all()),
        "accessibility_statement_url": service.accessibility_statement_url,
        "cost": service.cost,
        "who_can_use": service.who_can_use,
        "how_to_start": service.how_to_start,
        "help_using_it": service.assisted_help,
        "non_digital_alternative": service.non_digital_alternative,
        "dtac_status": service.get_dtac_status_display(),
        "offered_through": "; ".join(offered),
        "last_reviewed": service.last_reviewed.isoformat() if service.last_reviewed else "",
        "last_published": timestamp(modified_at(service)) or "",
    }
    return [spreadsheet_safe(values[column]) for column in COLUMNS]


def services_csv(services, catalogue: Catalogue) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for service in services:
        writer.writerow(service_row(service, catalogue))
    return buffer.getvalue()
