"""Migration 0013 retires Wagtail's default groups and workflow, but only unused ones."""

import importlib

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from wagtail.models import GroupApprovalTask, Workflow, WorkflowPage

pytestmark = pytest.mark.django_db

migration = importlib.import_module(
    "services_catalogue.migrations.0013_retire_wagtail_default_groups")


def test_a_migrated_site_has_only_the_projects_groups_and_workflow():
    names = set(Group.objects.values_list("name", flat=True))
    assert {"Comms editors", "Comms approvers", "Inclusion leads"} <= names
    assert not names & {"Editors", "Moderators"}
    active = set(Workflow.objects.filter(active=True).values_list("name", flat=True))
    assert active == {"Service page approval"}
    assert not GroupApprovalTask.objects.filter(name="Moderators approval", active=True).exists()


def test_a_default_group_someone_belongs_to_is_kept(django_user_model):
    used = Group.objects.create(name="Moderators")
    django_user_model.objects.create_user("mod", password="pw").groups.add(used)
    Group.objects.create(name="Editors")
    migration.retire_wagtail_defaults(apps, None)
    assert set(Group.objects.filter(name__in=["Editors", "Moderators"])
               .values_list("name", flat=True)) == {"Moderators"}


def test_the_default_workflow_is_kept_where_a_page_uses_it(demo):
    workflow = Workflow.objects.create(name="Moderators approval", active=True)
    WorkflowPage.objects.create(page=demo["services_index"], workflow=workflow)
    migration.retire_wagtail_defaults(apps, None)
    workflow.refresh_from_db()
    assert workflow.active
