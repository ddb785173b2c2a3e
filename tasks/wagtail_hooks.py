"""Background task runs in the Wagtail admin: a read-only list with progress and outcome."""

import django_filters
from django.template.defaultfilters import linebreaksbr
from django.urls import path, reverse
from django.utils.html import format_html
from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column, DateColumn, StatusTagColumn, TitleColumn
from wagtail.admin.widgets import Button
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import InspectView, SnippetViewSet

from .labels import run_progress, run_result, task_label
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


class TaskColumn(TitleColumn):
    """The task's plain-English name, linked to the run's inspect view (its error in full,
    its counts, its Celery id); its code name ("tasks.uptake.collect_source") is the link's
    tooltip, for support staff, and is shown in the inspect view."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("url_name", "wagtailsnippets_tasks_taskrun:inspect")
        super().__init__(*args, **kwargs)

    def get_value(self, instance):
        return task_label(instance.task_name)

    def get_link_attrs(self, instance, parent_context):
        return {**super().get_link_attrs(instance, parent_context),
                "title": instance.task_name}


class OutcomeColumn(StatusTagColumn):
    """A status tag that reads as written ("Succeeded"), not in Wagtail's capitals."""

    cell_template_name = "tasks/admin/outcome_cell.html"


class ResultColumn(Column):
    """What the run did, in words ("12 rows imported (10 added, 2 unchanged)"); for a failed
    run, why (its error, shortened: the full text is the tooltip and in the inspect view)."""

    cell_template_name = "tasks/admin/result_cell.html"

    def get_value(self, instance):
        return run_result(instance)


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
    """A bar while the run works; "Done", or where a failed run stopped, once finished."""

    cell_template_name = "tasks/admin/progress_cell.html"

    def get_value(self, instance):
        return run_progress(instance)


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


class TaskRunInspectView(InspectView):
    """A run in full: the error keeps its lines (a refused file lists each problem)."""

    def get_error_display_value(self):
        error = self.object.error.strip()
        if not error:
            return "None"
        return format_html('<div class="dfd-run-error-full">{}</div>', linebreaksbr(error))


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
        ResultColumn("counts", label="Result"),
    ]
    filterset_class = TaskRunFilterSet
    search_fields = ["task_name", "target", "error", "celery_task_id"]
    search_backend_name = None
    ordering = ["-started_at"]
    inspect_view_enabled = True
    inspect_view_class = TaskRunInspectView
    copy_view_enabled = False
    inspect_view_fields = [
        "task_name", "target", "outcome", "error", "started_at", "finished_at", "counts",
        "progress_done", "progress_total", "progress_step", "target_content_type",
        "target_object_id", "celery_task_id", "attempt",
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

    if isinstance(snippet, UptakeSource) and (snippet.url or snippet.upload) \
            and user.has_perm("services_catalogue.change_uptakesource"):
        yield Button("Collect now", reverse("collect_uptake_source_now", args=[snippet.pk]),
                     icon_name="download", priority=15)
