"""Bad requests get a JSON 400, 404 or 405 (never a 500), and every response allows any origin."""

import uuid

import pytest

from .hsds import errors
from .support import API

pytestmark = pytest.mark.django_db

BAD_PARAMETERS = [
    ("services", {"page": "0"}, "page"),
    ("services", {"page": "abc"}, "page"),
    ("services", {"page": "-1"}, "page"),
    ("services", {"page": "1.5"}, "page"),
    ("services", {"page": "9" * 40}, "page"),
    ("services", {"per_page": "100000"}, "per_page"),
    ("services", {"per_page": "-1"}, "per_page"),
    ("services", {"per_page": "0"}, "per_page"),
    ("services", {"modified_after": "notadate"}, "modified_after"),
    ("services", {"modified_after": "2025-13-45"}, "modified_after"),
    ("services", {"modified_after": "2025-02-30T25:00:00Z"}, "modified_after"),
    ("services", {"taxonomy_term_id": "not-a-uuid"}, "taxonomy_term_id"),
    ("services", {"taxonomy_id": "prescriptions"}, "taxonomy_id"),
    ("services", {"organization_id": "junk"}, "organization_id"),
    ("services", {"organization_id": "A84009"}, "organization_id"),
    ("services", {"search": "a" * 5000}, "search"),
    ("services", {"search": "repeat\x00prescription"}, "search"),
    ("services", {"full": "perhaps"}, "full"),
    ("services", {"format": "ndjson"}, "format"),
    ("organizations", {"page": "0"}, "page"),
    ("organizations", {"per_page": "100000"}, "per_page"),
    ("organizations", {"search": "x\x00"}, "search"),
    ("taxonomies", {"page": "abc"}, "page"),
    ("taxonomy_terms", {"per_page": "-1"}, "per_page"),
    ("taxonomy_terms", {"taxonomy_id": "junk"}, "taxonomy_id"),
]


@pytest.mark.parametrize(("path", "query", "parameter"), BAD_PARAMETERS)
def test_a_bad_parameter_is_a_400_that_names_it(api, demo, path, query, parameter):
    body = api(path, status=400, **query)
    assert body["status"] == 400
    assert body["parameter"] == parameter
    assert body["error"]


UNKNOWN_ADDRESSES = [
    f"services/{uuid.uuid4()}",
    "services/not-a-uuid",
    "services/nhs-app",
    f"organizations/{uuid.uuid4()}",
    "organizations/A84009",
    f"taxonomies/{uuid.uuid4()}",
    "taxonomies/junk",
    f"taxonomy_terms/{uuid.uuid4()}",
    "taxonomy_terms/prescriptions",
    "locations",
    "services/a/b",
    "%3Cscript%3E",
]


@pytest.mark.parametrize("path", UNKNOWN_ADDRESSES)
def test_an_unknown_id_or_address_is_a_json_404(api, demo, path):
    body = api(path, status=404)
    assert body["status"] == 404 and body["error"]


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
@pytest.mark.parametrize("path", ["", "services", "organizations", "download.csv"])
def test_the_api_is_read_only(client, demo, method, path):
    response = getattr(client, method)(API + path, data="{}", content_type="application/json")
    assert response.status_code == 405
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "GET" in response["Allow"]
    assert response.json()["status"] == 405


def test_a_preflight_request_is_answered_for_any_origin(client, demo):
    response = client.options(API + "services", HTTP_ORIGIN="https://example.org",
                              HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET")
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "GET" in response["Access-Control-Allow-Methods"]


@pytest.mark.parametrize("path", ["", "services", "organizations", "taxonomies",
                                  "taxonomy_terms", "download.json", "download.csv"])
def test_head_and_get_carry_the_cors_header_and_need_no_key(client, demo, path):
    for response in (client.get(API + path), client.head(API + path)):
        assert response.status_code == 200
        assert response["Access-Control-Allow-Origin"] == "*"


def test_a_page_past_the_end_is_empty_not_an_error(api, demo):
    body = api("services", page=999)
    assert body["empty"] and body["contents"] == [] and body["last_page"]
    assert body["total_items"] > 0


def test_an_unencoded_plus_in_a_utc_offset_is_understood(api, demo):
    assert api("services", modified_after="2000-01-01T00:00:00 01:00")["total_items"] > 0


@pytest.mark.parametrize("text", ["' OR 1=1 --", "<script>", "%", "_", "\"", "AND", "(", "*"])
def test_odd_search_text_is_searched_for_not_run(api, demo, text):
    api("services", search=text)
    api("organizations", search=text)
    api("taxonomy_terms", search=text)


def test_the_schema_validator_really_checks(demo):
    """Guards the other tests: a broken registry would let anything through."""
    assert errors({"id": "x", "status": "open", "url": "not a url"}, "service")
    assert errors({"contents": []}, "service_list")
