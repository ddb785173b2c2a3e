"""A citizen finds what their GP practice offers online, and browses services without JavaScript."""

import re

import pytest

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def expected_offer(ods_code: str, capability_slug: str) -> dict:
    """What the practice page should show for one need, from the same logic the page uses."""
    from services_catalogue.models import Organisation
    from services_catalogue.practices import practice_offer

    practice = Organisation.objects.get(ods_code=ods_code)
    (row,) = [r for r in practice_offer(practice) if r.capability.slug == capability_slug]
    if row.offered:
        return {"offered": True, "links": [s.title for s in row.services]}
    default = row.national_default
    return {"offered": False, "links": [default.title] if default else []}


def test_from_home_page_to_how_to_order_a_repeat_prescription(demo_site, page):
    page.goto(demo_site + "/")
    page.get_by_label("Practice name, town or postcode").fill("Blyth")
    page.get_by_role("button", name="Find practice").click()

    page.wait_for_url(re.compile(r"/practices/\?q=Blyth$"))
    assert page.get_by_role("heading", level=2, name="2 practices found").is_visible()
    results = page.get_by_role("list", name="2 practices found")
    assert results.get_by_role("link").all_inner_texts() == [
        "Marine Medical Group",
        "Railway Medical Group",
    ]
    results.get_by_role("link", name="Railway Medical Group").click()

    page.wait_for_url(re.compile(r"/practices/A84009/$"))
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Railway Medical Group: what you can do online"
    )
    table = page.get_by_role("table", name="What you can do online at Railway Medical Group")
    row = table.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name="Order a repeat prescription", exact=True)
    )
    assert row.count() == 1
    # The row names what to use: every demo practice takes repeat prescriptions in the NHS App.
    expected = expected_offer("A84009", "prescriptions")
    links = row.get_by_role("link").all_inner_texts()
    assert links == expected["links"], row.inner_text()
    assert expected["offered"]
    assert "Not offered online here" not in row.inner_text()
    assert "NHS App" in links
    row.get_by_role("link", name="NHS App", exact=True).click()

    page.wait_for_url(re.compile(r"/services/nhs-app/$"))
    assert page.get_by_role("heading", level=1).inner_text() == "NHS App"
    how_to_start = page.get_by_role("heading", level=2, name="How to start")
    assert how_to_start.is_visible()
    first_steps = how_to_start.locator("xpath=following-sibling::p[1]").inner_text()
    assert "Download the NHS App" in first_steps


def test_filter_services_by_need_without_javascript(demo_site, new_context):
    from services_catalogue.models import DigitalService, Lifecycle

    expected = set(
        DigitalService.objects.live()
        .filter(capabilities__slug="prescriptions")
        .exclude(lifecycle=Lifecycle.RETIRED)
        .values_list("title", flat=True)
    )
    assert "NHS App" in expected

    context = new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(demo_site + "/services/")
    everything = page.locator("#results-heading").inner_text()

    page.get_by_label("What do you need to do?").select_option(label="Order a repeat prescription")
    page.get_by_role("button", name="Show services").click()

    page.wait_for_url(re.compile(r"/services/\?(.*&)?need=prescriptions(&|$)"))
    heading = page.locator("#results-heading").inner_text()
    assert heading != everything
    assert heading == (
        f"{len(expected)} service{'s' if len(expected) != 1 else ''} "
        "for Order a repeat prescription"
    )
    results = page.get_by_role("list", name=heading)
    titles = results.get_by_role("heading", level=3).all_inner_texts()
    assert set(titles) == expected
    assert len(titles) == len(expected)
    assert "NHS 111 online" not in titles
    assert page.get_by_label("What do you need to do?").input_value() == "prescriptions"
    assert page.get_by_role("link", name="Clear filters").is_visible()
