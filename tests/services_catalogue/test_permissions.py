"""What each staff group may do, as the migration sets it up."""

import pytest
from django.contrib.auth.models import Group
from wagtail.models import Workflow

from services_catalogue.models import Organisation

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(django_user_model):
    def make(group_name):
        user = django_user_model.objects.create_user(group_name.replace(" ", "_").lower(), password="pw")
        user.groups.add(Group.objects.get(name=group_name))
        return user
    return make


def test_the_three_staff_groups_exist():
    names = set(Group.objects.values_list("name", flat=True))
    assert {"Comms editors", "Comms approvers", "Inclusion leads"} <= names


def test_editors_can_edit_a_service_but_not_publish_it(member, demo):
    editor = member("Comms editors")
    permissions = demo["services"]["nhs-app"].permissions_for_user(editor)
    assert permissions.can_edit()
    assert not permissions.can_publish()


def test_approvers_can_publish(member, demo):
    permissions = demo["services"]["nhs-app"].permissions_for_user(member("Comms approvers"))
    assert permissions.can_publish()


def test_inclusion_leads_can_read_but_not_change_the_catalogue(member, demo):
    lead = member("Inclusion leads")
    assert lead.has_perm("services_catalogue.view_organisation")
    assert not lead.has_perm("services_catalogue.change_organisation")
    assert not demo["services"]["nhs-app"].permissions_for_user(lead).can_edit()


def test_service_pages_go_through_the_comms_approvers_workflow(demo):
    workflow = demo["services"]["nhs-app"].get_workflow()
    assert workflow == Workflow.objects.get(name="Service page approval")
    task = workflow.tasks.get().specific
    assert list(task.groups.values_list("name", flat=True)) == ["Comms approvers"]


def test_an_editor_can_open_the_organisation_snippets_and_edit_one(client, member, demo):
    client.force_login(member("Comms editors"))
    assert client.get("/admin/snippets/services_catalogue/organisation/?kind=gp_practice").status_code == 200
    practice = Organisation.objects.get(ods_code="A84009")
    response = client.get(f"/admin/snippets/services_catalogue/organisation/edit/{practice.pk}/")
    assert response.status_code == 200
    assert b"Digital services offered here" in response.content


def test_an_inclusion_lead_cannot_open_an_organisation_for_editing(client, member, demo):
    client.force_login(member("Inclusion leads"))
    practice = Organisation.objects.get(ods_code="A84009")
    response = client.get(f"/admin/snippets/services_catalogue/organisation/edit/{practice.pk}/")
    assert response.status_code in (302, 403)


def test_anonymous_visitors_are_sent_to_sign_in(client, demo):
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
