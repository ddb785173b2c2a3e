"""A practice's offer: its own offers, those of its PCN and ICB, and the gaps."""

import datetime

import pytest

from services_catalogue.models import Capability, ConsistentOffer, Offer
from services_catalogue.practices import practice_offer
from tests.factories import OrganisationFactory, make_service

pytestmark = pytest.mark.django_db


@pytest.fixture
def practice(demo):
    pcn = demo["practices"][0].parent
    return OrganisationFactory(parent=pcn)


def row_for(rows, slug):
    return next(row for row in rows if row.capability.slug == slug)


def test_a_practice_with_no_offers_shows_every_capability_as_a_gap_except_ics_wide_ones(practice):
    rows = practice_offer(practice)
    assert len(rows) == ConsistentOffer.load().items.count()
    assert not row_for(rows, "prescriptions").offered
    # The NHS App orders prescriptions only where the practice allows it: no default.
    assert row_for(rows, "prescriptions").national_default is None
    assert row_for(rows, "self-triage").national_default.slug == "nhs-111-online"
    # The ICB offers physiotherapy self-referral to every practice's patients.
    assert "physio-self-referral" in [s.slug for s in row_for(rows, "referral").services]


def test_an_offer_with_no_capabilities_listed_delivers_everything_the_service_does(practice, demo):
    Offer.objects.create(organisation=practice, service=demo["services"]["nhs-app"])
    rows = practice_offer(practice)
    for slug in ["prescriptions", "appointments", "test-results", "health-record"]:
        assert demo["services"]["nhs-app"] in row_for(rows, slug).services


def test_an_offer_limited_to_some_capabilities_leaves_the_rest_as_gaps(practice, demo):
    offer = Offer.objects.create(organisation=practice, service=demo["services"]["nhs-app"])
    offer.capabilities.set(Capability.objects.filter(slug="prescriptions"))
    offer.save()
    rows = practice_offer(practice)
    assert row_for(rows, "prescriptions").offered
    assert not row_for(rows, "health-record").offered


def test_offers_that_have_ended_or_not_started_do_not_count(practice, demo):
    today = datetime.date.today()
    Offer.objects.create(organisation=practice, service=demo["services"]["nhs-app"],
                         until=today - datetime.timedelta(days=1))
    Offer.objects.create(organisation=practice, service=demo["services"]["nhs-111-online"],
                         since=today + datetime.timedelta(days=30))
    rows = practice_offer(practice)
    assert not row_for(rows, "prescriptions").offered
    assert demo["services"]["nhs-111-online"] not in row_for(rows, "self-triage").services


def test_retired_services_are_not_offered(practice, demo):
    retired = make_service(demo["services_index"], lifecycle="retired",
                           capabilities=Capability.objects.filter(slug="self-triage"))
    Offer.objects.create(organisation=practice, service=retired)
    assert not row_for(practice_offer(practice), "self-triage").offered


def test_a_pcn_offer_counts_for_all_its_practices(practice, demo):
    Offer.objects.create(organisation=practice.parent, service=demo["services"]["nhs-111-online"])
    assert row_for(practice_offer(practice), "self-triage").offered
