"""Every public page type passes axe-core's WCAG 2.2 AA rules, and works at 320 CSS pixels.

WCAG 1.4.10 Reflow: at 320 px wide nothing may need horizontal scrolling. Each page has
exactly one h1, and the first thing a keyboard user reaches is the skip link.
"""

import json
import re

import pytest
from axe_playwright_python.sync_playwright import Axe

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
NARROW = {"width": 320, "height": 640}
# The NHS.UK frontend's stylesheet loads the Frutiger web font from assets.nhs.uk. The
# browser's guard blocks it like any other off-site request; nothing else may be fetched.
NHS_FONTS = re.compile(r"^https://assets\.nhs\.uk/fonts/")

# (subtest name, path, expected HTTP status)
PAGE_TYPES = [
    ("home", "/", 200),
    ("services", "/services/", 200),
    ("services-filtered", "/services/?need=prescriptions&channel=app", 200),
    ("services-search", "/services/?q=prescription", 200),
    ("service", "/services/nhs-app/", 200),
    ("practices", "/practices/", 200),
    ("practices-search", "/practices/?q=Blyth", 200),
    ("services-refused-choice", "/services/?need=gone&q=" + "x" * 300, 200),
    ("practice", "/practices/A84009/", 200),
    ("help-getting-online", "/help-getting-online/", 200),
    ("guide", "/set-up-nhs-login/", 200),
    ("not-found", "/no-such-page/", 404),
]

_axe = Axe()


def describe_violations(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation.get('impact')}): {violation['help']}")
        lines.append(f"  {violation.get('helpUrl', '')}")
        for node in violation["nodes"][:10]:
            lines.append(f"    target {json.dumps(node['target'])}: {node['html'][:160]}")
            summary = " | ".join(node.get("failureSummary", "").splitlines())
            if summary:
                lines.append(f"      {summary[:300]}")
        if len(violation["nodes"]) > 10:
            lines.append(f"    ... and {len(violation['nodes']) - 10} more nodes")
    return "\n".join(lines)


def open_page(page, url: str, status: int):
    response = page.goto(url)
    assert response is not None, f"no response for {url}"
    assert response.status == status, f"{url} answered {response.status}, expected {status}"


def assert_no_axe_violations(page, where: str):
    results = _axe.run(page, options=AXE_OPTIONS)
    violations = results.response["violations"]
    if violations:
        raise AssertionError(
            f"{len(violations)} axe-core violation(s) on {where}:\n"
            + describe_violations(violations)
        )


def check_page_type(desktop, narrow, url: str, path: str, status: int) -> None:
    open_page(desktop, url, status)
    assert_no_axe_violations(desktop, f"{path} at 1024 px")

    open_page(narrow, url, status)
    assert_no_axe_violations(narrow, f"{path} at 320 px")

    scroll_width = narrow.evaluate("document.documentElement.scrollWidth")
    if scroll_width > NARROW["width"] + 1:
        wide = narrow.evaluate(
            """(limit) => [...document.querySelectorAll('body *')]
                .filter((el) => el.getBoundingClientRect().right > limit)
                .slice(0, 10)
                .map((el) => el.outerHTML.slice(0, 120))""",
            NARROW["width"] + 1,
        )
        raise AssertionError(
            f"{path} scrolls sideways at 320 px (scrollWidth {scroll_width}); "
            "elements reaching past the edge:\n" + "\n".join(wide)
        )

    headings = narrow.locator("h1").all_inner_texts()
    assert len(headings) == 1, f"{path} has {len(headings)} h1 elements: {headings}"

    narrow.keyboard.press("Tab")
    focused = narrow.evaluate(
        "({text: document.activeElement.textContent.trim(),"
        " tag: document.activeElement.tagName,"
        " href: document.activeElement.getAttribute('href')})"
    )
    assert focused["text"] == "Skip to main content", (
        f"the first Tab on {path} focused {focused}, not the skip link"
    )
    assert focused["href"] == "#maincontent", f"the skip link on {path} goes to {focused['href']}"
    assert narrow.locator("main#maincontent").count() == 1, f"{path} has no main#maincontent"


def test_every_public_page_type_is_accessible(demo_site, new_context, subtests, blocked_requests):
    """One subtest per page type, so that one run reports every page that fails.

    The demo loads once for all of them: loading it per page type would double the time.
    """
    desktop = new_context().new_page()
    narrow = new_context(viewport=NARROW).new_page()
    for name, path, status in PAGE_TYPES:
        with subtests.test(msg=name, path=path):
            check_page_type(desktop, narrow, demo_site + path, path, status)
    off_site = sorted({url for url in blocked_requests if not NHS_FONTS.match(url)})
    assert not off_site, f"public pages tried to load from other sites: {off_site}"
