"""Finding an accessibility statement and checking the parts the 2018 regulations require."""

import datetime

import pytest

from services_catalogue.audit.statement import (
    PARTS,
    check_statement,
    parse_date,
    statement_links,
)
from tests.services_catalogue.audits.sites import statement

TODAY = datetime.date(2026, 3, 3)


@pytest.mark.parametrize("text, expected", [
    ("23 September 2024", datetime.date(2024, 9, 23)),
    ("on 23rd September 2024.", datetime.date(2024, 9, 23)),
    ("1st of March 2025", datetime.date(2025, 3, 1)),
    ("4 Sept 2023", datetime.date(2023, 9, 4)),
    ("September 23, 2024", datetime.date(2024, 9, 23)),
    ("2024-09-23", datetime.date(2024, 9, 23)),
    ("23/09/2024", datetime.date(2024, 9, 23)),
    ("September 2024", datetime.date(2024, 9, 1)),
    ("on 31 February 2024 or 3 March 2024", datetime.date(2024, 3, 3)),  # invalid date skipped
    ("no date here", None),
    ("version 2.2 of 2018", None),
])
def test_dates_are_read_as_people_write_them(text, expected):
    assert parse_date(text) == expected


def test_a_complete_recent_statement_has_every_part():
    html = statement(datetime.date(2025, 9, 23), datetime.date(2026, 1, 10)).decode()
    check = check_statement(html, today=TODAY)
    assert check.missing == []
    assert check.compliance_status == "partially compliant"
    assert check.prepared_on == datetime.date(2025, 9, 23)
    assert check.reviewed_on == datetime.date(2026, 1, 10)
    assert not check.out_of_date and check.looks_like_statement
    data = check.as_json()
    assert set(data["parts"]) == set(PARTS) and all(data["parts"].values())
    assert data["prepared_on"] == "2025-09-23"


def test_a_statement_not_reviewed_for_a_year_is_out_of_date():
    html = statement(datetime.date(2020, 9, 23), datetime.date(2025, 3, 1)).decode()
    check = check_statement(html, today=TODAY)
    assert check.reviewed_on == datetime.date(2025, 3, 1)
    assert check.out_of_date  # 367 days before TODAY


def test_a_recent_review_keeps_an_old_statement_current():
    html = statement(datetime.date(2019, 1, 5), datetime.date(2025, 6, 1)).decode()
    assert not check_statement(html, today=TODAY).out_of_date


def test_only_a_preparation_date_still_dates_the_statement():
    html = statement(datetime.date(2024, 1, 1), None).decode()
    check = check_statement(html, today=TODAY)
    assert check.out_of_date
    assert check.missing == ["review_date"]


def test_missing_parts_are_named():
    html = statement(None, None, status="", enforcement=False, contact=False,
                     non_accessible=False).decode()
    check = check_statement(html, today=TODAY)
    assert set(check.missing) >= {
        "compliance_status", "non_accessible_content", "preparation_date", "review_date",
        "enforcement_procedure",
    }
    assert not check.out_of_date  # no date at all: missing, not out of date


@pytest.mark.parametrize("sentence, status", [
    ("This website is fully compliant with WCAG 2.2 AA.", "fully compliant"),
    ("This service is partially compliant with the standard.", "partially compliant"),
    ("The app is not compliant with the guidelines.", "not compliant"),
    ("This website is non-compliant with WCAG.", "not compliant"),
])
def test_compliance_status(sentence, status):
    html = f"<html><title>Accessibility statement</title><p>{sentence}</p></html>"
    assert check_statement(html, today=TODAY).compliance_status == status


def test_fully_compliant_needs_no_list_of_non_accessible_content():
    html = "<title>Accessibility statement</title><p>This website is fully compliant.</p>"
    assert check_statement(html, today=TODAY).parts["non_accessible_content"]


@pytest.mark.parametrize("snippet", [
    "<p>Contact the EHRC.</p>",
    "<p>contact the Equality Advisory and Support Service (EASS)</p>",
    "<p>The Equality and Human Rights Commission enforces the regulations.</p>",
])
def test_enforcement_procedure(snippet):
    assert check_statement(snippet, today=TODAY).parts["enforcement_procedure"]


def test_lower_case_acronyms_in_words_are_not_the_enforcement_procedure():
    assert not check_statement("<p>ehrc eass seas</p>", today=TODAY).parts[
        "enforcement_procedure"]


@pytest.mark.parametrize("snippet", [
    '<a href="mailto:a@b.nhs.uk">Email us</a>', "<p>Call 0191 496 0000</p>",
    "<p>Write to help@example.org</p>", "<h2>Feedback and contact information</h2>",
])
def test_feedback_contact(snippet):
    assert check_statement(snippet, today=TODAY).parts["feedback_contact"]


def test_the_date_is_taken_from_its_own_sentence():
    html = "<p>This statement was prepared. It was last reviewed on 4 March 2025.</p>"
    check = check_statement(html, today=TODAY)
    assert check.prepared_on is None and check.reviewed_on == datetime.date(2025, 3, 4)


def test_script_and_style_text_is_not_read():
    html = "<script>var s='last reviewed on 1 January 2026'</script><p>Nothing</p>"
    assert check_statement(html, today=TODAY).reviewed_on is None


def test_statement_links_are_found_the_likeliest_first():
    html = """
      <a href="/help">Help</a>
      <a href="/about/accessibility-info">About</a>
      <a href="/access">Accessibility</a>
      <a href="https://other.example/a11y">  Accessibility
         statement </a>
      <a href="mailto:accessibility@example.org">Accessibility statement by email</a>
      <a href="javascript:void(0)">Accessibility statement</a>
      <a href="#accessibility">Accessibility</a>
    """
    assert statement_links(html, "https://service.example/start/") == [
        "https://other.example/a11y",
        "https://service.example/access",
        "https://service.example/about/accessibility-info",
    ]


def test_statement_links_resolve_relative_to_the_page_and_drop_fragments():
    html = '<a href="statement#top" aria-label="Accessibility statement">A11y</a>'
    assert statement_links(html, "https://x.example/app/") == ["https://x.example/app/statement"]


def test_hostile_markup_does_not_break_link_finding():
    html = "<div>" * 100_000 + '<a href="/accessibility">Accessibility</a>'
    assert statement_links(html, "https://x.example/") in ([], ["https://x.example/accessibility"])


def test_malformed_and_very_long_links_are_ignored():
    html = ('<a href="http://[bad">Accessibility statement</a>'
            f'<a href="/accessibility?{"x" * 3000}">Accessibility statement</a>'
            '<a href="/accessibility">Accessibility</a>')
    assert statement_links(html, "https://x.example/") == ["https://x.example/accessibility"]
