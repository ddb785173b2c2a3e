"""Comms editors import practices' phone numbers and addresses in the admin: upload, check
the preview, confirm (the same steps as the offers import)."""

import base64
import zlib

import pytest
from bs4 import BeautifulSoup
from django.core.files.uploadedfile import SimpleUploadedFile

from services_catalogue.views import CONTACTS_SESSION_KEY, SESSION_KEY
from tests.services_catalogue.test_contacts_import import (
    ALNWICK,
    ALNWICK_ROW,
    ELSEWHERE_ROW,
    contacts,
    csv_bytes,
    epraccur_row,
)

pytestmark = pytest.mark.django_db

UPLOAD = "/admin/practices/contacts/import/"
PREVIEW = "/admin/practices/contacts/import/preview/"
BEFORE = ("", "", "NE66 2NL")  # the demo's Alnwick Medical Group: a postcode, nothing else
AFTER = ("01665 510888", "Infirmary Drive", "NE66 2NL")


@pytest.fixture
def editor(client, member):
    user = member("Comms editors")
    client.force_login(user)
    return user


def upload(client, data: bytes, name="epraccur.csv"):
    return client.post(UPLOAD, {"file": SimpleUploadedFile(name, data, "text/csv")})


def soup(response):
    return BeautifulSoup(response.content, "html.parser")


def confirm_fields(page) -> dict:
    form = page.select_one(f"form[action='{PREVIEW}'][method=post]")
    assert form.select_one("input[name=csrfmiddlewaretoken]") is not None
    return {i["name"]: i.get("value", "") for i in form.select("input[type=hidden]")
            if i["name"] != "csrfmiddlewaretoken"}


def previewed(client, data: bytes) -> tuple[BeautifulSoup, dict]:
    response = upload(client, data)
    assert response.status_code == 302 and response["Location"].startswith(PREVIEW)
    page = soup(client.get(response["Location"]))
    return page, confirm_fields(page)


def success_messages(response) -> list[str]:
    return [str(message).strip() for message in response.context["messages"]]


def test_the_upload_page_has_a_labelled_file_input_and_says_where_epraccur_comes_from(
        client, editor):
    page = soup(client.get(UPLOAD))
    field = page.select_one("input[type=file][name=file]")
    assert page.select_one(f"label[for='{field['id']}']").get_text(strip=True).startswith(
        "CSV file")
    help_text = page.select_one(f"#{field['aria-describedby']}").get_text()
    assert "NHS ODS Data Search and Export" in help_text and "epraccur" in help_text
    links = [a["href"] for a in page.select("a")]
    assert "https://www.odsdatasearchandexport.nhs.uk/" in links


def test_an_editor_uploads_epraccur_checks_the_preview_and_confirms(client, editor):
    closed = epraccur_row("A84007", "PONTELAND MEDICAL GROUP", "PONTELAND",
                          postcode="NE20 9SD", status="C")
    data = csv_bytes(ALNWICK_ROW, ELSEWHERE_ROW, closed)
    page, fields = previewed(client, data)
    assert contacts(ALNWICK) == BEFORE, "uploading and previewing change nothing"

    assert "NHS ODS's GP practice file (epraccur)" in page.select_one("[data-detail=form]").text
    assert "3 rows" in page.get_text()
    counts = {td["data-count"]: td.get_text() for td in page.select("#import-counts td")}
    assert counts == {"changed": "1", "phone": "1", "address": "1", "postcode": "0",
                      "unchanged": "1", "skipped": "1"}
    assert "A84007" in page.select_one("#import-warnings").get_text()
    table = page.select_one("table#import-changes")
    assert table.select_one("caption").get_text(strip=True)
    assert all(th.get("scope") in ("col", "row") for th in table.select("th"))
    rows = [[cell.get_text(strip=True) for cell in tr.select("th, td")]
            for tr in table.select("tbody tr")]
    assert rows == [
        ["Alnwick Medical Group", ALNWICK, "Phone number", "(empty)", "01665 510888"],
        ["Alnwick Medical Group", ALNWICK, "Address", "(empty)", "Infirmary Drive"],
    ]

    confirmed = client.post(PREVIEW, fields, follow=True)
    assert confirmed.redirect_chain == [(UPLOAD, 302)]
    assert contacts(ALNWICK) == AFTER
    assert success_messages(confirmed) == [
        "Imported epraccur.csv: 1 practice changed (phone numbers 1, addresses 1), "
        "1 unchanged, 1 row skipped (not in the catalogue)."
    ]
    assert CONTACTS_SESSION_KEY not in client.session

    again = client.post(PREVIEW, fields)
    assert again.status_code == 302 and again["Location"] == UPLOAD
    assert contacts(ALNWICK) == AFTER, "a second confirm of the same upload is harmless"


def test_our_own_form_is_previewed_and_imported(client, editor):
    page, fields = previewed(client, csv_bytes("ods_code,phone,postcode",
                                               f"{ALNWICK},01665 510888,ne66 2nl"))
    assert "Our own form" in page.select_one("[data-detail=form]").text
    assert [tr["data-field"] for tr in page.select("#import-changes tbody tr")] == ["phone"]
    client.post(PREVIEW, fields)
    assert contacts(ALNWICK) == ("01665 510888", "", "NE66 2NL")


def test_a_file_that_changes_nothing_says_so(client, editor):
    data = csv_bytes(ALNWICK_ROW)
    client.post(PREVIEW, previewed(client, data)[1])
    page, _ = previewed(client, data)
    assert "Nothing would change" in page.get_text()
    assert page.select_one("#import-changes") is None
    assert page.select_one("[data-count=unchanged]").get_text() == "1"


def test_a_refused_file_lists_its_problems_by_line_and_column_and_changes_nothing(
        client, editor):
    bad_phone = epraccur_row(ALNWICK, "ALNWICK MEDICAL GROUP", "INFIRMARY DRIVE", "ALNWICK",
                             postcode="NE66 2NL", phone="0166 55")
    broken = epraccur_row("A84-07", "PONTELAND MEDICAL GROUP", "PONTELAND", postcode="NE20 9SD")
    response = upload(client, csv_bytes(ELSEWHERE_ROW, bad_phone, broken))

    assert response.status_code == 200
    page = soup(response)
    assert "epraccur.csv was not imported: 2 problems" in page.get_text()
    table = page.select_one("table#import-problems")
    assert table.select_one("caption") is not None
    assert all(th.get("scope") == "col" for th in table.select("th"))
    rows = [[td.get_text() for td in tr.select("td")] for tr in table.select("tbody tr")]
    assert [row[:2] for row in rows] == [["2", "contact telephone number (column 18)"],
                                         ["3", "organisation code (column 1)"]]
    assert "“0166 55”" in rows[0][2] and "“A84-07” is not an ODS code" in rows[1][2]
    assert CONTACTS_SESSION_KEY not in client.session
    assert contacts(ALNWICK) == BEFORE


def test_hostile_cells_are_shown_escaped(client, editor):
    response = upload(client, csv_bytes("ods_code,phone", '"<script>alert(1)</script>",1'))
    assert b"<script>alert(1)</script>" not in response.content
    assert b"&lt;script&gt;" in response.content


def test_a_file_over_the_size_limit_is_refused_at_upload(client, editor, settings):
    settings.CONTACTS_IMPORT_MAX_BYTES = 100
    response = upload(client, csv_bytes(ALNWICK_ROW))
    assert response.status_code == 200
    assert "the limit is 100 bytes" in soup(response).get_text()
    assert CONTACTS_SESSION_KEY not in client.session


def tamper(client, **changes):
    session = client.session
    stored = session[CONTACTS_SESSION_KEY]
    stored.update(changes)
    session[CONTACTS_SESSION_KEY] = stored
    session.save()


@pytest.mark.parametrize("how", ["other data", "missing", "wrong token", "wrong sha256"])
def test_confirming_a_tampered_or_missing_upload_changes_nothing(client, editor, how):
    _, fields = previewed(client, csv_bytes(ALNWICK_ROW))
    if how == "other data":  # another file under the same token: its sha256 does not match
        other = csv_bytes(ALNWICK_ROW.replace("01665 510888", "01665 510999"))
        tamper(client, data=base64.b64encode(zlib.compress(other)).decode("ascii"))
    elif how == "missing":
        session = client.session
        del session[CONTACTS_SESSION_KEY]
        session.save()
    elif how == "wrong token":
        fields["token"] = "forged"
    else:
        fields["sha256"] = "0" * 64

    response = client.post(PREVIEW, fields)

    assert response.status_code == 302 and response["Location"] == UPLOAD
    assert contacts(ALNWICK) == BEFORE
    assert client.get(PREVIEW + "?token=forged").status_code == 302


def test_if_the_practice_changes_after_the_preview_nothing_is_imported(client, editor):
    from services_catalogue.models import Organisation

    _, fields = previewed(client, csv_bytes(ALNWICK_ROW))
    Organisation.objects.filter(ods_code=ALNWICK).update(address="Edited meanwhile")

    response = client.post(PREVIEW, fields)

    assert response.status_code == 200
    assert "changed after you uploaded" in response.content.decode()
    assert contacts(ALNWICK) == ("", "Edited meanwhile", "NE66 2NL")
    page = soup(response)
    assert "Edited meanwhile" in page.select_one("#import-changes").get_text()
    client.post(PREVIEW, confirm_fields(page))
    assert contacts(ALNWICK) == AFTER, "confirming the new preview applies it"


def test_a_contacts_upload_and_an_offers_upload_wait_side_by_side(client, editor):
    previewed(client, csv_bytes(ALNWICK_ROW))
    client.post("/admin/offers/import/", {"file": SimpleUploadedFile(
        "offers.csv", b"ods_code,service_slug\nA84009,nhs-app\n", "text/csv")})
    assert SESSION_KEY in client.session and CONTACTS_SESSION_KEY in client.session


def test_inclusion_leads_cannot_import_contacts(client, member):
    client.force_login(member("Inclusion leads"))
    assert client.get(UPLOAD).status_code == 302
    response = upload(client, csv_bytes(ALNWICK_ROW))
    assert response.status_code == 302 and response["Location"] == "/admin/"
    response = client.post(PREVIEW, {"token": "x", "sha256": "x", "digest": "x"})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert contacts(ALNWICK) == BEFORE


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(UPLOAD)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_menu_item_links_to_the_import_for_permitted_users_only(client, member):
    client.force_login(member("Comms editors"))
    assert UPLOAD.encode() in client.get("/admin/").content
    client.force_login(member("Comms approvers"))
    assert UPLOAD.encode() in client.get("/admin/").content
    client.force_login(member("Inclusion leads"))
    assert UPLOAD.encode() not in client.get("/admin/").content
