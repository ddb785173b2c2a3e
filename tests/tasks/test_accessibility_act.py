"""The static accessibility checker against the W3C ACT Rules test cases.

Every example of the 33 implemented rules (shared/data/act-rules/cases.json) is checked for
its exact expected outcome, and a summary test reports the exact and the ACT-consistent
rates.  A second set of tests shows that lexbor's parse of each example agrees with html5lib,
the reference implementation of the HTML parsing algorithm.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tasks.accessibility import Finding, check_html, rule_ids

_DEFAULT_CASES = Path(__file__).resolve().parents[3] / "shared/data/act-rules/cases.json"
CASES_PATH = Path(os.environ.get("ACT_CASES", _DEFAULT_CASES))

if not CASES_PATH.exists():  # pragma: no cover - depends on the checkout
    pytest.skip(f"ACT test cases not found at {CASES_PATH}", allow_module_level=True)

CASES = json.loads(CASES_PATH.read_text(encoding="utf-8"))["cases"]
RULES_PATH = CASES_PATH.with_name("rules.json")

# Examples whose exact outcome a static parse does not reach: (rule id, title) -> reason.
# (Consistency in ACT's sense must still hold for them; see the summary test.)
KNOWN_MISSES: dict[tuple[str, str], str] = {}


def page_outcome(findings: list[Finding], rule_id: str) -> str:
    """ACT's mapping from a rule's findings on a page to one outcome."""
    outcomes = {f.outcome for f in findings if f.rule == rule_id}
    for outcome in ("failed", "cantTell", "passed"):
        if outcome in outcomes:
            return outcome
    return "inapplicable"


def is_consistent(expected: str, got: str) -> bool:
    if expected == "failed":
        return got in ("failed", "cantTell")
    return got != "failed"


def _case_id(case: dict) -> str:
    return f"{case['rule_id']}-{case['title'].replace(' ', '')}"


def _params():
    for case in CASES:
        key = (case["rule_id"], case["title"])
        marks = []
        if key in KNOWN_MISSES:
            marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_MISSES[key]))
        yield pytest.param(case, id=_case_id(case), marks=marks)


@pytest.mark.parametrize("case", list(_params()))
def test_example_has_expected_outcome(case):
    findings = check_html(case["html"])
    got = page_outcome(findings, case["rule_id"])
    assert got == case["expected"], f"{case['description']}\n{case['html']}"


def test_every_rule_of_the_shared_set_is_implemented():
    wanted = {r["rule_id"] for r in json.loads(RULES_PATH.read_text())["rules"]}
    assert wanted == set(rule_ids())
    assert {c["rule_id"] for c in CASES} <= set(rule_ids())


def test_findings_use_the_rules_success_criteria():
    rules = {r["rule_id"]: r for r in json.loads(RULES_PATH.read_text())["rules"]}
    seen = set()
    for case in CASES:
        for f in check_html(case["html"]):
            if f.rule in seen:
                continue
            seen.add(f.rule)
            assert f.wcag == [w["sc"] for w in rules[f.rule]["wcag"]]
    assert len(seen) >= 30


def test_summary_exact_and_consistent_rates():
    exact = consistent = 0
    misses = []
    for case in CASES:
        got = page_outcome(check_html(case["html"]), case["rule_id"])
        exact += got == case["expected"]
        consistent += is_consistent(case["expected"], got)
        if got != case["expected"]:
            misses.append(
                f"{case['rule_id']} {case['title']}: expected {case['expected']}, got {got}"
            )
    n = len(CASES)
    print(f"\nACT examples: {n}; exact {exact / n:.1%}; consistent {consistent / n:.1%}")
    for m in misses:
        print("  miss:", m)
    assert exact / n >= 0.95
    assert consistent / n >= 0.98


# ----------------------------------------------------------------------------- the parse
_NS = {
    "http://www.w3.org/1999/xhtml": "html",
    "http://www.w3.org/2000/svg": "svg",
    "http://www.w3.org/1998/Math/MathML": "math",
}


def _reference_tree(html: str) -> tuple[list[tuple[str, str]], str]:
    """Elements (namespace, name) in tree order and the document's text, per html5lib."""
    html5lib = pytest.importorskip("html5lib")
    doc = html5lib.parse(html, treebuilder="etree", namespaceHTMLElements=True)
    elements: list[tuple[str, str]] = []
    text: list[str] = []

    def walk(e):
        if not isinstance(e.tag, str):  # comment
            if e.tail:
                text.append(e.tail)
            return
        ns, _, local = e.tag[1:].partition("}")
        elements.append((_NS.get(ns, ns), local.lower()))
        if local != "template":  # template contents are a separate fragment
            if e.text:
                text.append(e.text)
            for c in e:
                walk(c)
        if e.tail:
            text.append(e.tail)

    walk(doc)
    return elements, "".join(text)


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_lexbor_parse_agrees_with_html5lib(case):
    from tasks.act.dom import Page

    page = Page(case["html"])
    elements, text = _reference_tree(case["html"])
    assert [(e.ns, e.tag) for e in page.els] == elements
    assert page.root.text_content() == text
