"""Background task runs in the Wagtail admin: a read-only list with progress and outcome."""

import django_filters
from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column, DateColumn, StatusTagColumn
from wagtail.admin.widgets import Button
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from .labels import counts_text, task_label
from .models import Outcome, TaskRun


class TaskRunPermissionPolicy(ModelPermissionPolicy):
    """Task runs are written by the tasks only: nobody adds, edits or deletes them here."""

    def user_has_permission(self, user, action):
        if action in ("add", "change", "delete"):
            return False
        return super().user_has_permission(user, action)

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)


# Must be registered before the snippet viewset creates a default policy.
register_permission_policy(TaskRun, TaskRunPermissionPolicy(TaskRun))


class TaskColumn(Column):
    """The task's plain-English name; its code name ("tasks.uptake.collect_source") is the
    cell's tooltip, for support staff, and is shown in the inspect view."""

    cell_template_name = "tasks/admin/task_cell.html"

    def get_value(self, instance):
        return task_label(instance.task_name)

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        context["task_name"] = instance.task_name
        return context


class OutcomeColumn(StatusTagColumn):
    """A status tag that reads as written ("Succeeded"), not in Wagtail's capitals."""

    cell_template_name = "tasks/admin/outcome_cell.html"


class CountsColumn(Column):
    """What the run did, in words ("12 rows imported (10 added, 2 unchanged)")."""

    def get_value(self, instance):
        return counts_text(instance.task_name, instance.counts)


class TaskRunFilterSet(WagtailFilterSet):
    """Filter by outcome, and by task under its plain-English name."""

    task_name = django_filters.ChoiceFilter(label="Task", choices=[])

    class Meta:
        model = TaskRun
        fields = ["outcome", "task_name"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        names = TaskRun.objects.order_by().values_list("task_name", flat=True).distinct()
        self.filters["task_name"].extra["choices"] = sorted(
            ((name, task_label(name)) for name in names), key=lambda choice: choice[1]
        )


class ProgressColumn(Column):
    cell_template_name = "tasks/admin/progress_cell.html"

    def get_value(self, instance):
        percent = instance.progress_percent
        if instance.outcome != Outcome.RUNNING and percent is None:
            return {"percent": None, "label": instance.progress_step}
        return {"percent": percent, "label": instance.progress_label}


class DurationColumn(Column):
    def get_value(self, instance):
        seconds = int(instance.duration.total_seconds())
        if seconds < 60:
            return f"{seconds}s"
        minutes, seconds = divmod(seconds, 60)
        if minutes < 60:
            return f"{minutes}m {seconds:02d}s"
        hours, minutes = divmod(minutes, 60)
        return f"{hours}h {minutes:02d}m"


class TaskRunViewSet(SnippetViewSet):
    model = TaskRun
    icon = "cogs"
    menu_label = "Task runs"
    menu_name = "task_runs"
    menu_order = 900
    add_to_admin_menu = True
    list_display = [
        TaskColumn("task_name", label="Task"),
        Column("target", label="Target"),
        DateColumn("started_at", label="Started"),
        DurationColumn("duration", label="Took"),
        OutcomeColumn(
            "outcome", label="Outcome", accessor="get_outcome_display",
            primary=lambda run: run.outcome == Outcome.RUNNING,
        ),
        ProgressColumn("progress", label="Progress"),
        CountsColumn("counts", label="Result"),
    ]
    filterset_class = TaskRunFilterSet
    search_fields = ["task_name", "target", "error", "celery_task_id"]
    search_backend_name = None
    ordering = ["-started_at"]
    inspect_view_enabled = True
    copy_view_enabled = False
    inspect_view_fields = [
        "task_name", "target", "target_content_type", "target_object_id", "celery_task_id",
        "attempt", "started_at", "finished_at", "outcome", "progress_done", "progress_total",
        "progress_step", "counts", "error",
    ]


register_snippet(TaskRunViewSet)


# -- "Run now" (tasks/admin_views.py) ------------------------------------------------------
@hooks.register("register_admin_urls")
def register_run_now_urls():
    from .admin_views import AuditServiceNowView, CollectSourceNowView

    return [
        path("tasks/uptake-sources/<int:pk>/collect/", CollectSourceNowView.as_view(),
             name="collect_uptake_source_now"),
        path("tasks/services/<int:pk>/audit/", AuditServiceNowView.as_view(),
             name="audit_service_now"),
    ]


@hooks.register("register_snippet_listing_buttons")
def collect_now_button(snippet, user, next_url=None):
    from services_catalogue.models import UptakeSource

    if isinstance(snippet, UptakeSource) and (snippet.url or snippet.document_id) \
            and user.has_perm("services_catalogue.change_uptakesource"):
        yield Button("Collect now", reverse("collect_uptake_source_now", args=[snippet.pk]),
                     icon_name="download", priority=15)
