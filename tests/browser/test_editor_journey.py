"""A comms editor changes a service and submits it; a comms approver approves it; citizens see it.

Nothing an editor saves or submits reaches the public until an approver publishes it,
and publishing invalidates the anonymous page cache at once.
"""

import re

import pytest

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

OLD_SUMMARY = (
    "A free app and website to order repeat prescriptions, book appointments, "
    "see your GP health record and more."
)
NEW_SUMMARY = (
    "Order repeat prescriptions, book appointments and read your GP record, all in one free app."
)
PASSWORD = "a-long-test-password-4821"


def make_staff(username: str, group_name: str):
    from django.contrib.auth.models import Group, User

    user = User.objects.create_user(username, f"{username}@example.org", PASSWORD)
    user.groups.add(Group.objects.get(name=group_name))
    return user


def sign_in(page, base_url: str, username: str) -> None:
    page.goto(base_url + "/admin/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form.login-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/admin/$"))


def public_summary(new_context, url: str) -> str:
    """The summary an anonymous citizen sees, from a browser with an empty HTTP cache."""
    page = new_context().new_page()
    response = page.goto(url)
    assert response is not None and response.status == 200
    summary = page.locator("main h1 + p.nhsuk-lede-text").inner_text()
    page.close()
    return summary


def listing_summary(new_context, url: str) -> str:
    page = new_context().new_page()
    page.goto(url)
    card = page.locator("li.nhsuk-card").filter(
        has=page.get_by_role("link", name="NHS App", exact=True)
    )
    summary = card.locator(".nhsuk-card__description").inner_text()
    page.close()
    return summary


def wait_for_message(page, text: str) -> None:
    page.locator(".messages").filter(has_text=text).wait_for()


def test_editor_submits_approver_publishes_and_citizens_see_it(demo_site, new_context):
    from django.core.cache import cache

    from portal.cache import page_cache_key
    from services_catalogue.models import DigitalService

    service = DigitalService.objects.get(slug="nhs-app")
    assert service.summary == OLD_SUMMARY
    make_staff("comms-editor", "Comms editors")
    make_staff("comms-approver", "Comms approvers")
    public_url = demo_site + "/services/nhs-app/"
    listing_url = demo_site + "/services/"
    edit_url = f"{demo_site}/admin/pages/{service.pk}/edit/"

    # A citizen has seen the page, so the server has cached it for anonymous visitors.
    assert public_summary(new_context, public_url) == OLD_SUMMARY
    assert listing_summary(new_context, listing_url) == OLD_SUMMARY
    host = demo_site.split("://", 1)[1]
    assert cache.get(page_cache_key(host, "/services/nhs-app/")) is not None

    # The editor changes the summary and submits it for approval.
    editor = new_context().new_page()
    sign_in(editor, demo_site, "comms-editor")
    editor.goto(edit_url)
    footer = editor.get_by_role("navigation", name="Actions (footer)")
    assert footer.locator('button[name="action-publish"]').count() == 0, (
        "a comms editor must not be able to publish"
    )
    editor.locator('textarea[name="summary"]').fill(NEW_SUMMARY)
    submit = footer.locator('button[name="action-submit"]')
    if not submit.is_visible():
        footer.get_by_role("button", name="More actions").click()
    assert submit.inner_text().strip() == "Submit to Service page approval"
    submit.click()
    wait_for_message(editor, "'NHS App' has been submitted")

    # The draft is in moderation, and nothing of it has reached the public.
    service.refresh_from_db()
    assert service.summary == OLD_SUMMARY
    assert service.has_unpublished_changes
    assert service.current_workflow_state is not None
    assert public_summary(new_context, public_url) == OLD_SUMMARY
    assert listing_summary(new_context, listing_url) == OLD_SUMMARY

    # The approver finds it on the dashboard and approves it from the edit view.
    approver = new_context().new_page()
    sign_in(approver, demo_site, "comms-approver")
    awaiting = approver.get_by_role("region", name="Awaiting your review")
    awaiting.get_by_role("link", name="NHS App", exact=True).click()
    approver.wait_for_url(re.compile(rf"/admin/pages/{service.pk}/edit/$"))
    assert approver.locator('textarea[name="summary"]').input_value() == NEW_SUMMARY
    footer = approver.get_by_role("navigation", name="Actions (footer)")
    approve = footer.locator(
        'button[data-workflow-action-name="approve"]:not([data-workflow-action-modal-url])'
    )
    if not approve.is_visible():
        footer.get_by_role("button", name="More actions").click()
    assert approve.inner_text().strip() == "Approve and Publish"
    approve.click()
    # Wagtail reports a workflow action on the edit view as an update, back in the explorer.
    wait_for_message(approver, "'NHS App' has been updated")

    # Published: the next anonymous visitor gets the new summary, not the cached page.
    service.refresh_from_db()
    assert service.live and not service.has_unpublished_changes
    assert service.summary == NEW_SUMMARY
    assert service.current_workflow_state is None
    assert public_summary(new_context, public_url) == NEW_SUMMARY
    assert listing_summary(new_context, listing_url) == NEW_SUMMARY
