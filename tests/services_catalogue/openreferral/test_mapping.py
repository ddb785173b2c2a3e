"""The plain mapping functions, without a client."""

import datetime

import pytest

from services_catalogue.openreferral.mapping import identifier_scheme, page_of, timestamp
from services_catalogue.openreferral.params import ApiError, modified_after, paging
from services_catalogue.openreferral.taxonomy import ACCESS_FACTS, stable_id
from tests.factories import OrganisationFactory


def test_an_empty_result_is_one_empty_first_and_last_page():
    assert page_of([], 0, 1, 50) == {
        "total_items": 0, "total_pages": 0, "page_number": 1, "size": 0,
        "first_page": True, "last_page": True, "empty": True, "contents": []}


def test_paging_arithmetic():
    body = page_of(["x"] * 10, 25, 2, 10)
    assert (body["total_pages"], body["first_page"], body["last_page"]) == (3, False, False)
    assert page_of(["x"] * 5, 25, 3, 10)["last_page"]


def test_timestamps_are_rfc3339_utc_with_milliseconds():
    moment = datetime.datetime(2025, 3, 1, 10, 30, 45, 123456,
                               tzinfo=datetime.timezone(datetime.timedelta(hours=1)))
    assert timestamp(moment) == "2025-03-01T09:30:45.123Z"
    assert timestamp(None) is None


def test_derived_ids_are_stable_and_distinct():
    assert stable_id("provider", "nhs england") == stable_id("provider", "nhs england")
    assert stable_id("provider", "nhs england") != stable_id("provider", "nhs wales")
    assert len({fact.id for fact in ACCESS_FACTS}) == len(ACCESS_FACTS)
    assert len({fact.code for fact in ACCESS_FACTS}) == len(ACCESS_FACTS)


@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "code", "scheme"), [
    ("gp_practice", "A84009", "ODS"), ("icb", "QHM", "ODS"), ("trust", "RTF", "ODS"),
    ("pcn", "U99001", "ODS"), ("local_authority", "E06000057", None),
    ("voluntary", "1234567", "GB-CHC"), ("voluntary", "VCSDEMO1", None),
])
def test_identifier_schemes_follow_the_kind_of_code(kind, code, scheme):
    org = OrganisationFactory.build(kind=kind, ods_code=code)
    assert identifier_scheme(org)[0] == scheme


def test_parameters_default_and_parse():
    assert paging({}) == paging({"page": "", "per_page": ""})
    assert paging({"page": "3", "per_page": "20"}).offset == 40
    assert modified_after({"modified_after": "2025-01-31"}) == datetime.datetime(
        2025, 1, 31, tzinfo=datetime.UTC)
    with pytest.raises(ApiError):
        modified_after({"modified_after": "31/01/2025"})
