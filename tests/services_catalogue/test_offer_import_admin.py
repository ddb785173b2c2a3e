"""Comms editors import offers in the admin: upload, check the preview, confirm."""

import pytest
from bs4 import BeautifulSoup
from django.core.files.uploadedfile import SimpleUploadedFile

from services_catalogue.models import Offer, OfferImport
from services_catalogue.views import SESSION_KEY

pytestmark = pytest.mark.django_db

HEADER = "ods_code,service_slug,capability\n"
UPLOAD = "/admin/offers/import/"
PREVIEW = "/admin/offers/import/preview/"


@pytest.fixture
def editor(client, member):
    user = member("Comms editors")
    client.force_login(user)
    return user


def upload(client, content, name="offers.csv"):
    data = content.encode("utf-8") if isinstance(content, str) else content
    return client.post(UPLOAD, {"file": SimpleUploadedFile(name, data, "text/csv")})


def soup(response):
    return BeautifulSoup(response.content, "html.parser")


def services_of(ods_code):
    return set(Offer.objects.filter(organisation__ods_code=ods_code)
               .values_list("service__slug", flat=True))


def test_an_editor_uploads_checks_the_preview_and_confirms(client, editor, demo):
    before = services_of("A84009")
    response = upload(client, HEADER + "A84009,nhs-app,\nA84009,nhs-111-online,\n")
    assert response.status_code == 302 and response["Location"].startswith(PREVIEW)
    assert services_of("A84009") == before, "uploading alone changes nothing"

    preview = client.get(response["Location"])
    page = soup(preview)
    assert page.select_one("[data-count=added]").get_text() == "1"
    assert page.select_one("[data-count=removed]").get_text() == str(len(before - {"nhs-app"}))
    assert "Organisations not in the file are not changed" in page.get_text()
    table = page.select_one("table#import-changes")
    assert table.select_one("caption") is not None
    assert all(th.get("scope") for th in table.select("th"))
    assert [tr["data-change"] for tr in table.select("tbody tr")].count("added") == 1

    form = page.select_one(f"form[action='{PREVIEW}']")
    fields = {i["name"]: i.get("value", "") for i in form.select("input[type=hidden]")}
    confirmed = client.post(PREVIEW, fields)
    assert confirmed.status_code == 302
    assert services_of("A84009") == {"nhs-app", "nhs-111-online"}
    record = OfferImport.objects.get()
    assert record.user == editor and record.via == "admin" and record.added == 1
    assert f"/inspect/{record.pk}/" in confirmed["Location"]
    assert SESSION_KEY not in client.session
    shown = client.get(confirmed["Location"])
    assert shown.status_code == 200 and b"offers.csv" in shown.content


def test_a_bad_file_lists_every_problem_by_line_and_column_and_keeps_nothing(client, editor, demo):
    before = services_of("A84009")
    response = upload(client, HEADER + "Z99999,nhs-app,\nA84009,nope,\n")
    assert response.status_code == 200
    rows = [[td.get_text() for td in tr.select("td")] for tr in soup(response).select("tbody tr")]
    assert ["2", "ods_code"] == rows[0][:2] and ["3", "service_slug"] == rows[1][:2]
    assert "was not imported: 2 problems" in soup(response).get_text()
    assert SESSION_KEY not in client.session
    assert services_of("A84009") == before


def test_hostile_cells_are_shown_escaped(client, editor, demo):
    response = upload(client, HEADER + '"<script>alert(1)</script>",nhs-app,\n')
    assert b"<script>alert(1)</script>" not in response.content
    assert b"&lt;script&gt;" in response.content


def test_a_file_over_the_size_limit_is_refused_at_upload(client, editor, demo, settings):
    settings.OFFER_IMPORT_MAX_BYTES = 50
    response = upload(client, HEADER + "A84009,nhs-app,\n" * 5)
    assert response.status_code == 200 and "the limit is 50 bytes" in soup(response).get_text()
    assert SESSION_KEY not in client.session


def test_a_file_that_changes_nothing_says_so_and_records_an_import_of_zero(client, editor, demo):
    lines = HEADER + "".join(
        f"A84009,{slug},\n" for slug in sorted(services_of("A84009"))
    )
    # Make the practice's offers match the file exactly (every capability of each service).
    offer = Offer.objects.get(organisation__ods_code="A84009", service__slug="nhs-app")
    offer.capabilities.clear()
    offer.save()
    page = soup(client.get(upload(client, lines)["Location"]))
    assert "Nothing would change" in page.get_text()
    assert page.select_one("[data-count=added]").get_text() == "0"
    assert page.select_one("[data-count=removed]").get_text() == "0"
    form = page.select_one(f"form[action='{PREVIEW}']")
    client.post(PREVIEW, {i["name"]: i.get("value", "") for i in form.select("input[type=hidden]")})
    record = OfferImport.objects.get()
    assert (record.added, record.removed, record.changed) == (0, 0, 0)
    assert record.unchanged == len(services_of("A84009"))


def test_if_the_offers_change_after_the_preview_nothing_is_imported(client, editor, demo):
    location = upload(client, HEADER + "A84009,nhs-111-online,\n")["Location"]
    form = soup(client.get(location)).select_one(f"form[action='{PREVIEW}']")
    fields = {i["name"]: i.get("value", "") for i in form.select("input[type=hidden]")}
    Offer.objects.filter(organisation__ods_code="A84009").delete()
    response = client.post(PREVIEW, fields)
    assert response.status_code == 200
    assert "changed after you uploaded" in response.content.decode()
    assert services_of("A84009") == set()
    assert not OfferImport.objects.exists()


def test_a_forged_or_stale_token_imports_nothing(client, editor, demo):
    upload(client, HEADER + "A84009,nhs-111-online,\n")
    before = services_of("A84009")
    response = client.post(PREVIEW, {"token": "forged", "digest": "x"})
    assert response.status_code == 302 and response["Location"] == UPLOAD
    assert client.get(PREVIEW + "?token=forged").status_code == 302
    assert services_of("A84009") == before


def test_a_second_upload_replaces_the_first(client, editor, demo):
    first = upload(client, HEADER + "A84009,nhs-111-online,\n")["Location"]
    upload(client, HEADER + "A84009,nhs-app,\n")
    assert client.get(first).status_code == 302


def test_inclusion_leads_cannot_import_offers(client, member, demo):
    client.force_login(member("Inclusion leads"))
    before = services_of("A84009")
    assert client.get(UPLOAD).status_code == 302
    response = upload(client, HEADER + "A84009,nhs-111-online,\n")
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert services_of("A84009") == before


def test_anonymous_visitors_are_sent_to_sign_in(client, demo):
    response = client.get(UPLOAD)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_editors_see_the_import_offers_menu_item_and_inclusion_leads_do_not(client, member, demo):
    client.force_login(member("Comms editors"))
    assert UPLOAD.encode() in client.get("/admin/").content
    client.force_login(member("Inclusion leads"))
    assert UPLOAD.encode() not in client.get("/admin/").content


def test_the_import_history_is_read_only_even_for_superusers(client, demo, django_user_model, editor):
    location = upload(client, HEADER + "A84009,nhs-111-online,\n")["Location"]
    form = soup(client.get(location)).select_one(f"form[action='{PREVIEW}']")
    client.post(PREVIEW, {i["name"]: i.get("value", "") for i in form.select("input[type=hidden]")})
    record = OfferImport.objects.get()
    admin = django_user_model.objects.create_superuser("root", "root@example.org", "pw")
    client.force_login(admin)
    listing = client.get("/admin/snippets/services_catalogue/offerimport/")
    assert listing.status_code == 200 and b"offers.csv" in listing.content
    assert client.get("/admin/snippets/services_catalogue/offerimport/add/").status_code != 200
    edit = f"/admin/snippets/services_catalogue/offerimport/edit/{record.pk}/"
    assert client.get(edit).status_code != 200
    delete = f"/admin/snippets/services_catalogue/offerimport/delete/{record.pk}/"
    assert client.post(delete).status_code != 200
    assert OfferImport.objects.filter(pk=record.pk).exists()


def test_inclusion_leads_can_read_the_import_history_and_site_history(client, member, demo):
    from services_catalogue.offer_import import import_offers

    import_offers((HEADER + "A84009,nhs-111-online,\n").encode(), file_name="weekly.csv")
    client.force_login(member("Inclusion leads"))
    assert b"weekly.csv" in client.get("/admin/snippets/services_catalogue/offerimport/").content
    history = client.get("/admin/reports/site-history/")
    assert history.status_code == 200 and b"Imported offers from weekly.csv" in history.content
