"""Create the staff groups, their permissions and the service-page approval workflow.

Comms editors edit and submit for moderation; Comms approvers publish (they are
the approval task's group); Inclusion leads read the catalogue.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CATALOGUE_MODELS = ["organisation", "capability", "language", "inclusionsupport", "offer"]


def ensure_permissions(apps):
    for label in ("services_catalogue", "wagtailcore", "wagtailadmin", "wagtaildocs", "wagtailimages"):
        config = apps.get_app_config(label)
        config.models_module = True
        create_permissions(config, apps=apps, verbosity=0)


def create_groups(apps, schema_editor):
    ensure_permissions(apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    ContentType = apps.get_model("contenttypes", "ContentType")
    Page = apps.get_model("wagtailcore", "Page")
    GroupPagePermission = apps.get_model("wagtailcore", "GroupPagePermission")
    Workflow = apps.get_model("wagtailcore", "Workflow")
    WorkflowTask = apps.get_model("wagtailcore", "WorkflowTask")
    WorkflowPage = apps.get_model("wagtailcore", "WorkflowPage")
    GroupApprovalTask = apps.get_model("wagtailcore", "GroupApprovalTask")

    def perm(app_label, codename):
        return Permission.objects.get(content_type__app_label=app_label, codename=codename)

    access_admin = perm("wagtailadmin", "access_admin")
    editors, _ = Group.objects.get_or_create(name="Comms editors")
    approvers, _ = Group.objects.get_or_create(name="Comms approvers")
    inclusion, _ = Group.objects.get_or_create(name="Inclusion leads")

    for group in (editors, approvers, inclusion):
        group.permissions.add(access_admin)
    for model in CATALOGUE_MODELS:
        inclusion.permissions.add(perm("services_catalogue", f"view_{model}"))
        for action in ("add", "change", "view"):
            editors.permissions.add(perm("services_catalogue", f"{action}_{model}"))
            approvers.permissions.add(perm("services_catalogue", f"{action}_{model}"))
        approvers.permissions.add(perm("services_catalogue", f"delete_{model}"))
    for group in (editors, approvers):
        for codename in ("add_document", "change_document", "choose_document"):
            group.permissions.add(perm("wagtaildocs", codename))
        for codename in ("add_image", "change_image", "choose_image"):
            group.permissions.add(perm("wagtailimages", codename))

    root = Page.objects.filter(depth=1).first()
    if root is None:
        return
    page_type = ContentType.objects.get(app_label="wagtailcore", model="page")

    def page_perm(codename):
        permission, _ = Permission.objects.get_or_create(
            content_type=page_type, codename=codename, defaults={"name": f"Can {codename}"}
        )
        return permission

    grants = {
        editors: ["add_page", "change_page"],
        approvers: ["add_page", "change_page", "publish_page", "lock_page", "unlock_page"],
        inclusion: [],
    }
    for group, codenames in grants.items():
        for codename in codenames:
            GroupPagePermission.objects.get_or_create(
                group=group, page=root, permission=page_perm(codename)
            )

    task_type, _ = ContentType.objects.get_or_create(
        app_label="wagtailcore", model="groupapprovaltask"
    )
    task, _ = GroupApprovalTask.objects.get_or_create(
        name="Comms approvers approval", defaults={"content_type": task_type, "active": True}
    )
    task.groups.set([approvers])
    workflow, created = Workflow.objects.get_or_create(
        name="Service page approval", defaults={"active": True}
    )
    if created:
        WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
    WorkflowPage.objects.update_or_create(page=root, defaults={"workflow": workflow})


def remove_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Workflow = apps.get_model("wagtailcore", "Workflow")
    Group.objects.filter(name__in=["Comms editors", "Comms approvers", "Inclusion leads"]).delete()
    Workflow.objects.filter(name="Service page approval").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("services_catalogue", "0001_initial"),
        ("wagtailcore", "0098_apitoken"),
        ("wagtailadmin", "0006_formstate"),
        ("wagtaildocs", "0014_alter_document_file_size"),
        ("wagtailimages", "0027_image_description"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
