"""Scheduled publishing: Wagtail publishes pages whose go-live time has come when asked."""

from celery import shared_task
from django.core.management import call_command


def publish_scheduled_pages() -> None:
    call_command("publish_scheduled_pages", verbosity=0)


@shared_task(name="tasks.publishing.publish_scheduled_pages", ignore_result=True)
def publish_scheduled_pages_task() -> None:
    publish_scheduled_pages()
