"""Retire Wagtail's own "Editors" and "Moderators" groups and its default "Moderators
approval" workflow, which every new Wagtail site gets and which this project replaced
(0002: Comms editors, Comms approvers, Inclusion leads, and the "Service page approval"
workflow on the root page).

Why: beside ours they are a trap. "Moderators" may publish any page, so a comms lead who
adds someone to it, taking it for the approvers' group, has opened a second way to publish.
Only a group nobody belongs to is deleted (a site that uses one keeps it); the default
workflow and its task are disabled, not deleted, so any history that names them stays
readable, and only when no page or snippet type uses the workflow.
"""

from django.conf import settings
from django.db import migrations

WAGTAIL_GROUPS = ("Editors", "Moderators")
WAGTAIL_WORKFLOW = "Moderators approval"


def retire_wagtail_defaults(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    User = apps.get_model(settings.AUTH_USER_MODEL)
    Workflow = apps.get_model("wagtailcore", "Workflow")
    WorkflowPage = apps.get_model("wagtailcore", "WorkflowPage")
    WorkflowContentType = apps.get_model("wagtailcore", "WorkflowContentType")
    Task = apps.get_model("wagtailcore", "Task")
    for group in Group.objects.filter(name__in=WAGTAIL_GROUPS):
        if not User.objects.filter(groups=group).exists():
            group.delete()
    for workflow in Workflow.objects.filter(name=WAGTAIL_WORKFLOW, active=True):
        if (WorkflowPage.objects.filter(workflow=workflow).exists()
                or WorkflowContentType.objects.filter(workflow=workflow).exists()):
            continue
        workflow.active = False
        workflow.save(update_fields=["active"])
        Task.objects.filter(name=WAGTAIL_WORKFLOW, workflow_tasks__workflow=workflow).update(
            active=False)


class Migration(migrations.Migration):
    dependencies = [
        ("services_catalogue", "0012_scope_labels"),
        ("services_catalogue", "0002_staff_groups"),
        ("wagtailcore", "0098_apitoken"),
    ]

    operations = [
        migrations.RunPython(retire_wagtail_defaults, migrations.RunPython.noop),
    ]
