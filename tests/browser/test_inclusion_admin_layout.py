"""The inclusion lead's admin screens at 1024 px: wide tables scroll sideways inside their
own region (by keyboard too) instead of being cut off, and the header names the page."""

import re

import pytest

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "a-long-test-password-4821"


def sign_in_as_inclusion_lead(page, base_url: str) -> None:
    from django.contrib.auth.models import Group, User

    user = User.objects.create_user("inclusion-lead", "lead@example.org", PASSWORD)
    user.groups.add(Group.objects.get(name="Inclusion leads"))
    page.goto(base_url + "/admin/login/")
    page.locator("input[name=username]").fill("inclusion-lead")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form.login-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/admin/$"))


def test_wide_inclusion_tables_scroll_inside_their_region_at_1024px(demo_site, page):
    sign_in_as_inclusion_lead(page, demo_site)
    page.goto(demo_site + "/admin/inclusion/?service=nhs-app&metric=registrations"
                          "&dimension=practice")
    page.locator("#table-funnel").wait_for()
    assert page.viewport_size["width"] == 1024
    assert page.locator(".w-breadcrumbs li:not([hidden])").inner_text().strip() == \
        "Inclusion dashboard"
    # the page itself never scrolls sideways
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    for name in ("funnel", "lowest"):
        region = page.locator(f".dfd-scroll:has(#table-{name})")
        assert region.evaluate("el => getComputedStyle(el).overflowX") == "auto"
        wide = region.evaluate("el => el.scrollWidth > el.clientWidth")
        if not wide:
            continue  # fits at this width: nothing is cut off
        region.focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_function(
            f"document.querySelector('.dfd-scroll:has(#table-{name})').scrollLeft > 0")
        last = page.locator(f"#table-{name} thead th").last
        last.scroll_into_view_if_needed()
        box, frame = last.bounding_box(), region.bounding_box()
        assert box["x"] + box["width"] <= frame["x"] + frame["width"] + 1


CLIPPED_TEXT = """() => [...document.querySelectorAll("svg.inclusion-chart")].flatMap(svg => {
    const width = svg.viewBox.baseVal.width;
    return [...svg.querySelectorAll("text")].map(text => [text.textContent, text.getBBox()])
        .filter(([, box]) => box.x < -0.5 || box.x + box.width > width + 0.5)
        .map(([label, box]) => `${label}: ${box.x.toFixed(1)} to ${(box.x + box.width).toFixed(1)}`);
})"""


def test_chart_labels_are_drawn_whole_inside_their_charts(demo_site, page):
    sign_in_as_inclusion_lead(page, demo_site)
    for path in ("/admin/inclusion/?service=nhs-app&metric=registrations&dimension=practice",
                 "/admin/inclusion/evidence/"):
        page.goto(demo_site + path)
        page.locator("svg.inclusion-chart").first.wait_for()
        assert page.evaluate(CLIPPED_TEXT) == [], path


def test_the_evidence_page_shows_statuses_as_tags_and_names_itself(demo_site, page):
    sign_in_as_inclusion_lead(page, demo_site)
    page.goto(demo_site + "/admin/inclusion/evidence/")
    page.locator("#evidence-summary").wait_for()
    assert page.locator(".w-breadcrumbs li:not([hidden])").inner_text().strip() == \
        "Empower citizens: evidence"
    tag = page.locator("section#coverage h2 .w-status")
    assert tag.inner_text().strip().lower() in {"green", "amber", "red", "no data"}
    background = tag.evaluate("el => getComputedStyle(el).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_picking_another_service_narrows_the_measure_list_to_its_measures(demo_site, page):
    from services_catalogue.models import UptakeObservation

    def measures_of(slug):
        return set(UptakeObservation.objects.filter(service__slug=slug)
                   .values_list("metric", flat=True))

    sign_in_as_inclusion_lead(page, demo_site)
    page.goto(demo_site + "/admin/inclusion/?service=nhs-app&metric=registrations")
    page.locator("#table-funnel").wait_for()
    metric = page.locator("select[name=metric]")

    def offered():
        return set(metric.locator("option").evaluate_all("os => os.map(o => o.value)"))

    assert offered() == measures_of("nhs-app")
    page.locator("select[name=service]").select_option("nhs-login")
    assert offered() == measures_of("nhs-login")
    assert metric.input_value() in measures_of("nhs-login")
    page.locator("#dashboard-filters button[type=submit]").click()
    page.locator("#table-funnel").wait_for()
    assert page.locator("#measure-note").count() == 0  # nothing had to be corrected


def test_the_dashboard_filters_fit_a_320px_screen(demo_site, page):
    sign_in_as_inclusion_lead(page, demo_site)
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(demo_site + "/admin/inclusion/?service=nhs-app&metric=registrations")
    page.locator("#table-funnel").wait_for()
    overflowing = page.evaluate("""() => [...document.querySelectorAll('#dashboard-filters select')]
        .filter(el => el.getBoundingClientRect().right > window.innerWidth + 0.5)
        .map(el => `${el.name}: ${el.getBoundingClientRect().right}`)""")
    assert overflowing == []
