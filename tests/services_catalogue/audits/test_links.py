"""The link checker: external links in published content, checked and remembered."""

import datetime
import json

import pytest
from django.utils import timezone

from portal.models import GuidePage
from services_catalogue.audit.links import (
    LINK_CHECK_MAX_BYTES,
    check_links,
    collect_links,
    stream_links,
)
from services_catalogue.models import LinkCheck
from tests.factories import InclusionSupportFactory, make_service
from tests.services_catalogue.audits.sites import make_fetcher


@pytest.fixture
def link_fetcher():
    with make_fetcher(max_bytes=LINK_CHECK_MAX_BYTES) as fetcher:
        yield fetcher


def test_stream_links_finds_urls_in_any_block_and_hrefs_in_rich_text():
    raw = [
        {"type": "text", "value": '<p><a href="https://a.example/x">A</a> '
                                  '<a linktype="page" id="3">internal</a> '
                                  '<a href="/relative">rel</a> <a href="mailto:x@y.org">m</a></p>'},
        {"type": "action_link", "value": {"text": "Go", "external_url": "https://b.example/",
                                          "new_window": False, "internal_page": None}},
        {"type": "care_card", "value": {"body": [
            {"type": "richtext", "value": '<a href="http://c.example/deep">c</a>'}]}},
        {"type": "text", "value": '<a href="https://a.example/x">again</a>'},
        {"type": "text", "value": "see https://not-a-link.example in text"},
        {"type": "text", "value": '<a href="http://[broken">x</a> <a href="https://d.example/'
                                  + "x" * 3000 + '">long</a>'},
    ]
    assert stream_links(raw) == [
        "https://a.example/x", "https://b.example/", "http://c.example/deep"]
    assert stream_links(json.dumps(raw)) == stream_links(raw)


def publish_body(page, body):
    page.body = json.dumps(body)
    page.save_revision().publish()
    page.refresh_from_db()


@pytest.mark.django_db
def test_links_in_published_content_are_checked_and_broken_ones_flagged(demo, sites, link_fetcher):
    service = make_service(
        demo["services_index"], service_url=sites.url("/links/ok"),
        accessibility_statement_url=sites.url("/links/gone"),
        body=json.dumps([
            {"type": "text", "value": f'<p><a href="{sites.url("/broken")}">Broken</a> '
                                      '<a href="http://10.0.0.1/intranet">Intranet</a></p>'},
            {"type": "action_link", "value": {"text": "Big", "external_url": sites.url(
                "/links/big"), "new_window": False, "internal_page": None}},
        ]),
    )
    draft = make_service(demo["services_index"], live=False, service_url=sites.url("/x/draft"))
    guide = GuidePage.objects.live().get(slug="set-up-nhs-login")
    publish_body(guide, [{"type": "text", "value": f'<a href="{sites.url("/links/ok")}">ok</a>'}])
    help_page = demo["help"]
    publish_body(help_page, [{"type": "text",
                              "value": f'<a href="{sites.url("/links/gone")}">gone</a>'}])
    support = InclusionSupportFactory(website=sites.url("/links/gone"))
    InclusionSupportFactory(website=sites.url("/x/inactive"), active=False)

    before = len(sites.hits)
    result = check_links(link_fetcher)

    def row(url_path, **source):
        return LinkCheck.objects.get(url=sites.url(url_path), **source)

    assert not row("/links/ok", page=service).broken
    assert row("/links/ok", page=service).status == 200
    gone = row("/links/gone", page=service)
    assert gone.broken and gone.status == 404 and gone.error == "HTTP 404"
    assert gone.field == "accessibility_statement_url" and gone.first_broken_at
    assert row("/broken", page=service).broken
    intranet = LinkCheck.objects.get(url="http://10.0.0.1/intranet")
    assert intranet.broken and "private" in intranet.error and intranet.status is None
    big = row("/links/big", page=service)
    assert not big.broken and big.error == ""  # cut off at the size limit: still works
    assert not row("/links/ok", page=guide).broken
    assert row("/links/gone", page=help_page).broken
    assert row("/links/gone", support=support).broken
    assert not LinkCheck.objects.filter(url__contains="/x/").exists()  # drafts, inactive
    assert not LinkCheck.objects.filter(page=draft).exists()
    # the demo's own links resolve to nothing in tests: broken, and never contacted
    assert LinkCheck.objects.filter(url__startswith="https://www.nhs.uk/", broken=True).exists()
    assert result.broken == LinkCheck.objects.filter(broken=True).count()
    # each distinct URL fetched once however many pages link it
    assert sites.hits[before:].count("/links/gone") == 1 and result.urls < result.links


@pytest.mark.django_db
def test_each_run_updates_the_row_and_keeps_how_long_it_has_been_broken(
        demo, sites, link_fetcher):
    support = InclusionSupportFactory(website=sites.url("/links/gone"))
    check_links(link_fetcher)
    first = LinkCheck.objects.get(support=support)
    assert first.consecutive_failures == 1 and first.last_ok_at is None
    LinkCheck.objects.filter(pk=first.pk).update(
        first_broken_at=timezone.now() - datetime.timedelta(days=3))

    check_links(link_fetcher)
    second = LinkCheck.objects.get(support=support)
    assert second.pk == first.pk and second.consecutive_failures == 2
    assert (timezone.now() - second.first_broken_at).days == 3

    support.website = sites.url("/links/ok")
    support.save()
    check_links(link_fetcher)
    assert not LinkCheck.objects.filter(pk=first.pk).exists()  # the old link is gone
    fixed = LinkCheck.objects.get(support=support)
    assert not fixed.broken and fixed.last_ok_at and fixed.consecutive_failures == 0


@pytest.mark.django_db
def test_a_link_that_recovers_is_no_longer_broken(demo, sites, link_fetcher):
    support = InclusionSupportFactory(website=sites.url("/flaky/links-recover/1"))
    check_links(link_fetcher)
    assert LinkCheck.objects.get(support=support).broken
    check_links(link_fetcher)
    row = LinkCheck.objects.get(support=support)
    assert not row.broken and row.first_broken_at is None and row.status == 200


@pytest.mark.django_db
def test_collect_links_names_the_fields(demo, sites):
    service = make_service(demo["services_index"], service_url=sites.url("/links/ok"),
                           accessibility_statement_url=sites.url("/links/ok"))
    links = collect_links()
    assert links[(service.pk, None)][sites.url("/links/ok")] == [
        "service_url", "accessibility_statement_url"]
