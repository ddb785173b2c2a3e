"""The demo ICS: real practices from the public files, loaded idempotently."""

import csv

import pytest

from portal.demo.loader import PRACTICES_CSV, load_demo
from portal.models import SiteSettings
from services_catalogue.models import (
    Capability,
    DigitalService,
    InclusionSupport,
    Offer,
    Organisation,
)

pytestmark = pytest.mark.django_db


def counts():
    return {model.__name__: model.objects.count()
            for model in (Organisation, Capability, DigitalService, Offer, InclusionSupport)}


def test_loading_the_demo_twice_changes_nothing(demo):
    before = counts()
    load_demo()
    assert counts() == before


def test_reloading_keeps_an_editors_changes_to_a_service(demo):
    service = demo["services"]["nhs-app"]
    service.summary = "Edited by the comms team."
    service.save_revision().publish()
    load_demo()
    service.refresh_from_db()
    assert service.summary == "Edited by the comms team."


def test_practices_carry_their_published_list_sizes_and_deprivation(demo):
    with PRACTICES_CSV.open() as handle:
        published = {row["ods_code"]: row for row in csv.DictReader(handle)}
    practices = Organisation.objects.filter(kind="gp_practice")
    assert practices.count() == len(published) == 38
    railway = practices.get(ods_code="A84009")
    assert railway.registered_patients == int(published["A84009"]["registered_patients"]) == 26612
    assert railway.imd_score == pytest.approx(36.93)
    assert railway.parent.kind == "pcn" and railway.parent.parent.kind == "icb"


def test_every_practice_offers_the_nhs_app_and_the_site_warns_it_is_demonstration_data(demo):
    assert Offer.objects.filter(service__slug="nhs-app").count() == 38
    assert SiteSettings.load().demonstration_data is True


def test_the_demo_has_no_placeholder_text():
    text = " ".join(str(v) for spec in __import__("portal.demo.content", fromlist=["x"]).SERVICES
                    for v in spec.values()).lower()
    assert "lorem" not in text and "todo" not in text
