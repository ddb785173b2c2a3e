"""Scheduled publishing: the beat task publishes a service whose go-live time has passed."""

import datetime

import pytest
from django.utils import timezone

from tasks.publishing import publish_scheduled_pages, publish_scheduled_pages_task

pytestmark = pytest.mark.django_db


def schedule_change(service, summary, when):
    service.summary = summary
    service.go_live_at = when
    revision = service.save_revision(approved_go_live_at=when)
    return revision


def test_a_change_scheduled_in_the_past_is_published(client, demo):
    service = demo["services"]["nhs-app"]
    schedule_change(service, "Scheduled sentence.", timezone.now() - datetime.timedelta(minutes=1))
    assert b"Scheduled sentence." not in client.get("/services/nhs-app/").content
    publish_scheduled_pages()
    assert b"Scheduled sentence." in client.get("/services/nhs-app/").content


def test_a_change_scheduled_in_the_future_waits(client, demo):
    service = demo["services"]["nhs-app"]
    schedule_change(service, "Not yet.", timezone.now() + datetime.timedelta(days=1))
    publish_scheduled_pages_task.delay()
    assert b"Not yet." not in client.get("/services/nhs-app/").content
