"""The findings' stored shape, for both engines."""

import pytest

from services_catalogue.audit import engines
from tasks.accessibility import check_html
from tests.tasks.test_accessibility_units import _realistic_page


@pytest.mark.parametrize("tags, expected", [
    (["wcag2a", "wcag111", "cat.text-alternatives"], ["1.1.1"]),
    (["wcag21aa", "wcag1410"], ["1.4.10"]),
    (["wcag22aa", "wcag2411"], ["2.4.11"]),
    (["wcag2aa", "wcag143", "wcag412", "best-practice", "ACT"], ["1.4.3", "4.1.2"]),
    (["wcag2a"], []),
])
def test_axe_tags_become_success_criteria(tags, expected):
    assert engines.wcag_criteria(tags) == expected


AXE_RESULTS = {
    "testEngine": {"name": "axe-core", "version": "4.10.0"},
    "violations": [{
        "id": "image-alt", "impact": "critical", "tags": ["wcag2a", "wcag111"],
        "help": "Images must have alternative text",
        "nodes": [{"target": ["main > img"], "impact": "critical"},
                  {"target": ["#logo"], "impact": "critical"}],
    }],
    "incomplete": [{
        "id": "color-contrast", "impact": "serious", "tags": ["wcag2aa", "wcag143"],
        "help": "Elements must meet minimum color contrast ratio thresholds",
        "nodes": [{"target": [["iframe", "p"]], "impact": "serious"}],
    }],
    "passes": [{"id": "document-title", "impact": None, "tags": ["wcag2a", "wcag242"],
                "help": "Documents must have <title> element", "nodes": [{"target": ["html"]}]}],
    "inapplicable": [{"id": "video-caption", "tags": ["wcag2a", "wcag122"], "nodes": []}],
}


def test_axe_results_become_findings_with_impact_and_node_counts():
    findings = engines.axe_findings(AXE_RESULTS)
    assert findings == [
        {"rule": "image-alt", "wcag": ["1.1.1"], "outcome": "failed", "target": "main > img",
         "message": "Images must have alternative text", "nodes": 2, "impact": "critical"},
        {"rule": "color-contrast", "wcag": ["1.4.3"], "outcome": "cantTell",
         "target": "iframe p",
         "message": "Elements must meet minimum color contrast ratio thresholds", "nodes": 1,
         "impact": "serious"},
        {"rule": "document-title", "wcag": ["2.4.2"], "outcome": "passed", "target": "html",
         "message": "Documents must have <title> element", "nodes": 1},
    ]
    assert engines.count_outcomes(findings) == {"passed": 1, "failed": 2, "cantTell": 1}


def test_static_findings_are_check_html_as_dicts():
    html = '<html lang="en"><title>T</title><img src="a.png"><a href="/x"></a></html>'
    findings = engines.static_findings(html, "https://x.example/")
    expected = check_html(html, "https://x.example/")
    assert [(f["rule"], f["outcome"], f["target"]) for f in findings] == [
        (f.rule, f.outcome, f.target) for f in expected]
    assert set(findings[0]) == {"rule", "wcag", "outcome", "target", "message"}


def test_compacting_keeps_failures_groups_passes_and_preserves_counts():
    findings = engines.static_findings(_realistic_page(100_000, seed=4) + "<img src=x>" * 3)
    counts = engines.count_outcomes(findings)
    compact = engines.compact_findings(findings)
    assert engines.count_outcomes(compact) == counts
    assert counts["passed"] > 1000 and len(compact) < 60
    failed = [f for f in compact if f["outcome"] == "failed"]
    assert len(failed) == counts["failed"] and all("nodes" not in f for f in failed)


def test_compacting_caps_the_number_of_listed_failures():
    findings = [{"rule": "r", "wcag": [], "outcome": "failed", "target": f"#e{i}",
                 "message": "m"} for i in range(1200)]
    compact = engines.compact_findings(findings, limit=500)
    assert len(compact) == 501
    assert compact[-1]["nodes"] == 700
    assert engines.count_outcomes(compact)["failed"] == 1200


def test_the_engine_defaults_to_static(settings, monkeypatch):
    monkeypatch.delenv("ACCESSIBILITY_AUDIT_ENGINE", raising=False)
    del settings.ACCESSIBILITY_AUDIT_ENGINE
    assert engines.default_engine() == "static"
    settings.ACCESSIBILITY_AUDIT_ENGINE = "axe"
    assert engines.default_engine() == "axe"
    settings.ACCESSIBILITY_AUDIT_ENGINE = "nonsense"
    assert engines.default_engine() == "static"


def test_a_missing_browser_is_noticed(settings, tmp_path):
    settings.ACCESSIBILITY_AUDIT_BROWSER = str(tmp_path / "no-chromium")
    assert not engines.browser_available()
    not_executable = tmp_path / "chromium"
    not_executable.write_text("")
    settings.ACCESSIBILITY_AUDIT_BROWSER = str(not_executable)
    assert not engines.browser_available()


def test_stored_findings_are_bounded_and_free_of_nul_characters():
    findings = [{"rule": "r", "wcag": [], "outcome": "failed", "target": "#a\x00" + "b" * 900,
                 "message": "m" * 5000}]
    (stored,) = engines.compact_findings(findings)
    assert "\x00" not in stored["target"] and len(stored["target"]) == engines.MAX_TARGET_CHARS
    assert len(stored["message"]) == engines.MAX_MESSAGE_CHARS


def test_without_playwright_the_axe_engine_says_what_is_missing(monkeypatch):
    import sys

    monkeypatch.setattr(engines, "browser_available", lambda: True)
    assert engines.axe_unavailable_reason() == ""
    monkeypatch.setitem(sys.modules, "playwright", None)
    assert engines.axe_unavailable_reason() == engines.NO_PACKAGES_NOTE
    monkeypatch.setattr(engines, "browser_available", lambda: False)
    assert engines.axe_unavailable_reason() == engines.NO_BROWSER_NOTE
