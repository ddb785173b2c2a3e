"""The uptake sources list in the admin says whether each source is active in words."""

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from services_catalogue.models import UptakeSource

pytestmark = pytest.mark.django_db


def test_the_active_column_says_yes_or_no(admin_client, demo):
    UptakeSource.objects.create(name="Switched off", format="dfd_csv", active=False)
    UptakeSource.objects.create(name="Collected", format="dfd_csv", active=True)
    page = BeautifulSoup(admin_client.get(
        reverse("wagtailsnippets_services_catalogue_uptakesource:list")).content.decode(),
        "html.parser")
    headings = [th.get_text(" ", strip=True) for th in page.select("table.listing thead th")]
    active = headings.index("Active")
    cells = {tr.select_one("td.title [id$=_title]").get_text(" ", strip=True):
             tr.find_all("td", recursive=False)[active].get_text(" ", strip=True)
             for tr in page.select("table.listing tbody tr")}
    assert cells["Switched off"] == "No"
    assert cells["Collected"] == "Yes"
    assert not {"True", "False"} & set(cells.values())
    column = " ".join(tr.find_all("td", recursive=False)[active].get_text(" ")
                      for tr in page.select("table.listing tbody tr"))
    assert "True" not in column and "False" not in column
