"""Editors see which service records are overdue for review."""

import datetime

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Group

from services_catalogue.reviews import services_for_review

pytestmark = pytest.mark.django_db


def test_a_service_last_reviewed_beyond_the_interval_is_overdue(demo, settings):
    settings.SERVICE_REVIEW_INTERVAL_DAYS = 90
    stale = demo["services"]["nhs-login"]
    stale.last_reviewed = datetime.date.today() - datetime.timedelta(days=91)
    stale.save()
    fresh = demo["services"]["nhs-app"]
    fresh.last_reviewed = datetime.date.today() - datetime.timedelta(days=89)
    fresh.save()
    overdue = {service.slug: flag for service, flag in services_for_review()}
    assert overdue["nhs-login"] is True
    assert overdue["nhs-app"] is False
    assert stale.review_overdue and not fresh.review_overdue


def test_the_overdue_report_lists_overdue_services_first(client, demo, django_user_model):
    stale = demo["services"]["nhs-111-online"]
    stale.last_reviewed = datetime.date(2020, 1, 1)
    stale.save()
    editor = django_user_model.objects.create_user("ed", password="pw")
    editor.groups.add(Group.objects.get(name="Comms editors"))
    client.force_login(editor)
    page = BeautifulSoup(client.get("/admin/reviews/overdue/").content, "html.parser")
    first = page.select("table.listing tbody tr")[0]
    assert "NHS 111 online" in first.get_text() and "Overdue" in first.get_text()


def test_the_admin_dashboard_counts_overdue_reviews(client, demo, django_user_model):
    for slug in ("nhs-login", "nhs-website"):
        service = demo["services"][slug]
        service.last_reviewed = datetime.date(2020, 1, 1)
        service.save()
    client.force_login(django_user_model.objects.create_superuser("boss", "b@example.org", "pw"))
    page = BeautifulSoup(client.get("/admin/").content, "html.parser")
    panel = page.select_one("section[aria-labelledby=overdue-reviews-heading]")
    assert panel is not None
    assert "2 of 12 service records are overdue" in panel.get_text()


def test_the_overdue_report_names_itself_in_the_breadcrumbs_and_counts_in_good_grammar(
        admin_client, demo):
    page = BeautifulSoup(admin_client.get("/admin/reviews/overdue/").content, "html.parser")
    crumbs = [" ".join(li.get_text().split()) for li in page.select("[data-w-breadcrumbs] li")]
    assert "Service reviews" in crumbs
    intro = " ".join(page.select_one("main p, #main p").get_text().split())
    overdue = sum(1 for _, is_overdue in services_for_review() if is_overdue)
    verb = "record was" if overdue == 1 else "records were"
    assert f"{overdue} {verb} last reviewed before" in intro


def test_retired_services_and_drafts_never_published_are_not_due_for_review(demo):
    from tests.factories import make_service

    old = datetime.date(2020, 1, 1)
    retired = make_service(demo["services_index"], lifecycle="retired", last_reviewed=old)
    draft = make_service(demo["services_index"], live=False, last_reviewed=old)
    published = make_service(demo["services_index"], last_reviewed=old)
    listed = {service.pk: overdue for service, overdue in services_for_review()}
    assert retired.pk not in listed and draft.pk not in listed
    assert listed[published.pk] is True
    # a published service with a draft of changes is still reviewed
    published.save_revision()
    assert published.pk in {service.pk for service, _ in services_for_review()}
