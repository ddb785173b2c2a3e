"""A static accessibility checker implementing W3C ACT rules on parsed HTML.

``check_html(html, url)`` parses the page once with lexbor (selectolax) and runs each rule,
returning one :class:`Finding` per test target and rule.  A rule that does not apply to the
page yields nothing (ACT "inapplicable").  Rules whose outcome depends on rendering (colour
contrast, layout) are not implemented; where a rule's applicability or expectation depends
on something the markup does not contain, the finding's outcome is ``cantTell``.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

from . import rules_aria, rules_names, rules_page, rules_tables  # noqa: F401  (registration)
from .base import CANT_TELL, FAILED, PASSED, RULES, Finding, RuleSpec, css_selector
from .dom import El, Page

__all__ = [
    "CANT_TELL",
    "FAILED",
    "PASSED",
    "RULES",
    "Finding",
    "check_html",
    "css_selector",
    "iter_results",
    "open_page",
    "rule_ids",
]

RULE_ORDER = (
    "5f99a7 6cfa84 ff89c9 in6db8 bc4a75 5c01ea 6a7281 73f2c2 97a4e1 de46e4 46ca7f 7d6734 "
    "e086e5 ffd0e9 b5c3f8 bf051a 2779a5 cae760 akn7bn 59796f 23a2a8 c487ae m6b1q3 bc659a "
    "bisz58 b4f0c3 8fc3b6 307n5z 674b10 4e8ab6 2t702h d0f69e a25f45"
).split()
RULES.sort(key=lambda r: RULE_ORDER.index(r.id) if r.id in RULE_ORDER else len(RULE_ORDER))


_new = object.__new__


def _finding(rule: str, wcag: list[str], outcome: str, target: str, message: str) -> Finding:
    """Finding(...) without the frozen dataclass's per-field ``object.__setattr__`` calls (a
    page can have a thousand findings); the result is an ordinary, equal, frozen Finding."""
    f = _new(Finding)
    f.__dict__.update(rule=rule, wcag=wcag, outcome=outcome, target=target, message=message)
    return f


def rule_ids() -> list[str]:
    return [r.id for r in RULES]


def iter_results(page: Page) -> Iterator[tuple[RuleSpec, str, El | None, str]]:
    """(rule, outcome, element or None for the page, message) for each test target, rule by
    rule; the target selector of an element is :func:`css_selector` (while the page is
    open)."""
    for spec in RULES:
        for outcome, el, message in spec.fn(page):
            yield spec, outcome, el, message


@contextmanager
def open_page(html: str, url: str = "", *, lazy: bool = True) -> Iterator[Page]:
    """The parsed page for :func:`iter_results`, released on leaving the block.

    Lazy by default: elements are materialised as the rules ask for them, so a caller that
    wants only some target selectors does not pay for the others."""
    # The page model is many small linked objects; pausing the cyclic garbage collector while
    # building and checking it avoids repeated full collections on large pages, and releasing
    # it afterwards frees it at once instead of leaving cycles for the collector.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    page = None
    try:
        page = Page(html, url, lazy=lazy)
        yield page
    finally:
        if page is not None:
            page.release()
        if gc_was_enabled:
            gc.enable()


def check_html(html: str, url: str = "") -> list[Finding]:
    """Check a page against the implemented ACT rules."""
    with open_page(html, url) as page:
        findings: list[Finding] = []
        append = findings.append
        for spec in RULES:
            rule_id = spec.id
            wcag = spec.wcag
            for outcome, el, message in spec.fn(page):
                append(_finding(rule_id, list(wcag), outcome, css_selector(page, el), message))
        return findings
