"""Load the demo ICS: real Northumberland practices, real national services, made-up offers.

Idempotent: running it again updates the reference records and creates what is
missing, but never overwrites a page an editor has changed.
"""

import csv
import datetime
import random
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import transaction
from wagtail.models import Page, Site
from wagtail.search import index as search_index

from portal.models import (
    GuidePage,
    HelpGettingOnlinePage,
    HomePage,
    PracticeIndexPage,
    ServiceIndexPage,
    SiteSettings,
)
from services_catalogue.models import (
    Capability,
    ConsistentOffer,
    ConsistentOfferItem,
    DigitalService,
    InclusionSupport,
    Language,
    Offer,
    Organisation,
)

from . import content
from .uptake import load_demo_uptake

DATA_DIR = Path(__file__).resolve().parent / "data"
PRACTICES_CSV = DATA_DIR / "northumberland_practices.csv"
OFFER_SEED = 20250401


def read_practices() -> list[dict]:
    with PRACTICES_CSV.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _child_page(parent: Page, model, slug: str, **fields):
    existing = model.objects.child_of(parent).filter(slug=slug).first()
    if existing is not None:
        return existing
    page = model(slug=slug, **fields)
    parent.add_child(instance=page)
    page.save_revision().publish()
    return page


def load_pages() -> dict:
    root = Page.get_first_root_node()
    home = HomePage.objects.first()
    if home is None:
        home = HomePage(
            title="Health services you can use online",
            slug="home-dfd",
            intro="Find NHS and care services you can use on your phone or computer, what your GP practice offers, and free help to get online.",
        )
        root.add_child(instance=home)
        home.save_revision().publish()
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        site = Site(hostname="localhost", port=80, is_default_site=True, root_page=home)
    site.root_page = home
    site.site_name = content.ICS_NAME
    site.save()
    # Wagtail's placeholder welcome page is not part of our site.
    for page in Page.objects.child_of(root).exclude(pk=home.pk):
        if page.specific_class is Page:
            page.delete()

    services = _child_page(
        home, ServiceIndexPage, "services", title="Services by what you need to do",
        intro="Find NHS and care services you can use online. National services work wherever you live in England.",
    )
    practices = _child_page(
        home, PracticeIndexPage, "practices", title="Find your GP practice",
        intro="See what you can do online at your GP practice, and what to use if it is not offered there.",
    )
    help_page = _child_page(
        home, HelpGettingOnlinePage, "help-getting-online", title="Help getting online",
        intro="Free help near you to use the internet, health apps and websites. You do not need to be good with computers.",
    )
    _child_page(
        home, GuidePage, "set-up-nhs-login", title="How to set up NHS login",
        summary="NHS login lets you use the NHS App and other health services online. It takes about 20 minutes.",
        body=[
            {"type": "text", "value": (
                "<h2>What you need</h2><ul><li>an email address</li><li>a mobile phone number</li>"
                "<li>photo ID, such as a passport or driving licence, for full access</li></ul>"
                "<h2>If you get stuck</h2><p>Ask at your library or your GP practice. "
                "You can always phone your practice instead.</p>")},
        ],
    )
    return {"home": home, "services": services, "practices": practices, "help": help_page}


def load_reference() -> None:
    for code, name in content.LANGUAGES:
        Language.objects.update_or_create(code=code, defaults={"name": name})
    for order, (slug, name, label, description, _default) in enumerate(content.CAPABILITIES):
        Capability.objects.update_or_create(
            slug=slug,
            defaults={"name": name, "citizen_label": label, "description": description,
                      "sort_order": (order + 1) * 10},
        )


def load_services(index: ServiceIndexPage) -> dict[str, DigitalService]:
    capabilities = {c.slug: c for c in Capability.objects.all()}
    languages = {lang.code: lang for lang in Language.objects.all()}
    services = {}
    for spec in content.SERVICES:
        spec = dict(spec)
        capability_slugs = spec.pop("capabilities")
        language_codes = spec.pop("languages")
        existing = DigitalService.objects.filter(slug=spec["slug"]).first()
        if existing is not None:
            services[existing.slug] = existing
            continue
        service = DigitalService(
            last_reviewed=datetime.date.today() - datetime.timedelta(days=30), **spec
        )
        service.capabilities = [capabilities[s] for s in capability_slugs]
        service.languages = [languages[c] for c in language_codes]
        index.add_child(instance=service)
        service.save_revision().publish()
        services[service.slug] = service
    return services


def index_services() -> None:
    """Bring every service's search index entry up to date.

    A service is indexed when it is saved, with what it was searchable by then: a
    database loaded before (say) its needs were searchable would never find a service
    by its needs, since reloading leaves existing services alone.
    """
    for service in DigitalService.objects.prefetch_related("capabilities"):
        search_index.insert_or_update_object(service)


def load_consistent_offer(services: dict[str, DigitalService]) -> None:
    """Put every demo capability in the consistent offer, with its national default.

    The first run sets the consistent offer up; later runs only fill a national
    default left empty, and never add back, reorder or replace what an editor chose.
    """
    setting = ConsistentOffer.load()
    capabilities = {c.slug: c for c in Capability.objects.all()}
    items = {item.capability_id: item for item in setting.items.all()}
    for order, (slug, _name, _label, _description, default_slug) in enumerate(
        content.CAPABILITIES
    ):
        capability = capabilities[slug]
        default = services[default_slug] if default_slug else None
        item = items.get(capability.pk)
        if item is None and not items:
            ConsistentOfferItem.objects.create(
                setting=setting, capability=capability, national_default=default,
                sort_order=order,
            )
        elif item is not None and item.national_default_id is None and default is not None:
            item.national_default = default
            item.save(update_fields=["national_default"])


def load_organisations() -> list[Organisation]:
    icb = None
    for spec in content.ORGANISATIONS:
        org, _ = Organisation.objects.update_or_create(
            ods_code=spec["ods_code"], defaults={k: v for k, v in spec.items() if k != "ods_code"}
        )
        if org.kind == "icb":
            icb = org
    pcns = {}
    for place, code in content.PCNS.items():
        pcns[place], _ = Organisation.objects.update_or_create(
            ods_code=code,
            defaults={"name": f"{place} Primary Care Network", "kind": "pcn", "place": place,
                      "parent": icb},
        )
    practices = []
    for row in read_practices():
        practice, _ = Organisation.objects.update_or_create(
            ods_code=row["ods_code"],
            defaults={
                "name": row["name"], "kind": "gp_practice", "postcode": row["postcode"],
                "town": row["town"], "place": row["place"], "parent": pcns[row["place"]],
                "registered_patients": int(row["registered_patients"]),
                "imd_score": float(row["imd_score"]), "active": True,
            },
        )
        practices.append(practice)
    return practices


def load_offers(practices: list[Organisation], services: dict[str, DigitalService]) -> None:
    """Made-up offers: every practice has the NHS App, with realistic gaps in what it switches on.

    Repeat prescriptions are on everywhere (as they are in practice across England); the
    record-access features vary, as practices switch them on one by one.
    """
    if Offer.objects.exists():
        return
    rng = random.Random(OFFER_SEED)
    capabilities = {c.slug: c for c in Capability.objects.all()}
    app_core = ["appointments", "health-record"]
    app_optional = {"test-results": 0.85, "correspondence": 0.6, "care-plans": 0.35,
                    "screening": 0.5, "referral": 0.9, "advice": 1.0}
    for practice in practices:
        switched_on = ["prescriptions"] + [s for s in app_core if rng.random() < 0.95]
        switched_on += [s for s, p in app_optional.items() if rng.random() < p]
        offer = Offer.objects.create(organisation=practice, service=services["nhs-app"])
        offer.capabilities.set([capabilities[s] for s in switched_on])
        offer.save()
        if rng.random() < 0.8:
            Offer.objects.create(organisation=practice, service=services["gp-online-consultation"])
        if practice.place in ("Blyth", "Ashington and Bedlington", "Tynedale") or rng.random() < 0.3:
            Offer.objects.create(
                organisation=practice, service=services["home-blood-pressure-monitoring"]
            )
    icb = Organisation.objects.get(kind="icb")
    for slug in ("hospital-patient-portal", "physio-self-referral", "adult-social-care-online"):
        Offer.objects.create(organisation=icb, service=services[slug])


def load_support() -> None:
    for name, kind, place, description, address, hours, phone in content.SUPPORT:
        InclusionSupport.objects.update_or_create(
            name=name,
            defaults={"kind": kind, "place": place, "description": description,
                      "address": address, "opening_times": hours, "phone": phone},
        )


def ensure_admin(username: str, password: str) -> bool:
    """Create the demo superuser if missing; returns whether it was created."""
    User = get_user_model()
    if User.objects.filter(username=username).exists():
        return False
    User.objects.create_superuser(username, f"{username}@example.org", password)
    return True


@transaction.atomic
def load_demo() -> dict:
    load_reference()
    pages = load_pages()
    services = load_services(pages["services"])
    index_services()
    load_consistent_offer(services)
    practices = load_organisations()
    load_offers(practices, services)
    load_support()
    site_settings = SiteSettings.load()
    site_settings.ics_name = content.ICS_NAME
    site_settings.demonstration_data = True
    site_settings.save()
    load_demo_uptake()
    return {"practices": len(practices), "services": len(services)}
