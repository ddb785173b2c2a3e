"""Odd, huge and hostile requests get a page or a friendly 404, never a server error."""

import pytest
from bs4 import BeautifulSoup

pytestmark = pytest.mark.django_db

HOSTILE_QUERIES = [
    "/services/?page=999999",
    "/services/?page=-1",
    "/services/?page=abc",
    "/services/?need=not-a-need&scope=galaxy&channel=pigeon&nhs_login=maybe&language=xx",
    "/services/?q=" + "a" * 5000,
    "/services/?q=%00%01%02",
    '/services/?q=a"b',
    "/services/?q=*",
    "/services/?q=NEAR(a b) OR -c",
    "/services/?q=%22%22%22",
    "/services/?q=' OR 1=1 --",
    "/services/?q=<script>alert(1)</script>",
    "/services/?need=prescriptions&need=appointments",
    "/services/?unknown=1&" + "&".join(f"k{i}=v" for i in range(500)),
    "/practices/?q=" + "%F0%9F%92%A9" * 300,
    "/practices/?page=999999",
    "/help-getting-online/?place=Atlantis",
]


@pytest.mark.parametrize("url", HOSTILE_QUERIES)
def test_hostile_query_strings_still_render_the_page(client, demo, url):
    response = client.get(url)
    assert response.status_code == 200
    assert b"<script>alert(1)</script>" not in response.content


@pytest.mark.parametrize("url", [
    "/practices/NOTAPRACTICE/",
    "/practices/A84009X99999999/",
    "/practices/%3Cscript%3E/",
    "/practices/QHM/",
    "/services/no-such-service/",
    "/no-such-page/",
])
def test_unknown_or_malformed_addresses_are_a_friendly_404(client, demo, url):
    response = client.get(url)
    assert response.status_code == 404
    assert b"Page not found" in response.content


def test_a_search_for_a_script_tag_is_shown_escaped(client, demo):
    response = client.get("/services/?q=<b>bold</b>")
    assert b"&lt;b&gt;bold&lt;/b&gt;" in response.content


@pytest.mark.parametrize("path, limit", [("/services/", 200), ("/practices/", 100)])
def test_an_overlong_search_is_not_ignored_silently(client, demo, path, limit):
    response = client.get(path, {"q": "x" * 3000})
    assert response.status_code == 200
    page = BeautifulSoup(response.content, "html.parser")
    group = page.select_one(".nhsuk-form-group--error")
    assert group is not None
    message = group.select_one(".nhsuk-error-message")
    assert f"{limit} characters or fewer" in message.get_text()
    field = group.select_one("input[name=q]")
    assert "nhsuk-input--error" in field["class"]
    assert field["aria-describedby"] == message["id"]
    # the NHS.UK pattern: the title says so, and a summary links to the field
    assert page.select_one("title").get_text().startswith("Error: ")
    summary = page.select_one(".nhsuk-error-summary")
    link = summary.select_one(f"a[href='#{field['id']}']")
    assert f"{limit} characters or fewer" in link.get_text()


def test_a_page_with_nothing_refused_has_no_error_summary(client, demo):
    page = BeautifulSoup(client.get("/services/", {"q": "prescription"}).content, "html.parser")
    assert page.select_one(".nhsuk-error-summary") is None
    assert not page.select_one("title").get_text().startswith("Error")


def test_a_choice_no_longer_offered_says_so_in_plain_english(client, demo):
    page = BeautifulSoup(client.get("/services/", {"need": "<b>gone</b>"}).content, "html.parser")
    message = page.select_one(".nhsuk-error-message")
    assert message.get_text(" ", strip=True) == "Error: Choose one of the options in the list."
    assert page.select_one("b") is None or "gone" not in page.select_one("b").get_text()
