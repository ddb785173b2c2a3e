"""'Run now' in the admin: collect an uptake source, or audit a service, without waiting for
the schedule (after fixing a source's URL, or a service's start page).

A confirmation page (GET) and a POST that queues the same Celery task the schedule runs, so
what an editor starts is recorded, retried and listed exactly like a scheduled run. With
tasks in-process (no broker) it runs before the redirect.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.generic import TemplateView
from wagtail.admin.auth import permission_denied
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from services_catalogue.models import DigitalService, UptakeSource

from .labels import counts_text
from .models import Outcome, TaskRun


class RunNowView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "tasks/admin/run_now.html"
    header_icon = "cogs"
    action = ""  # "Collect", "Audit"

    def get_target(self):
        raise NotImplementedError

    def allowed(self, user, target) -> bool:
        raise NotImplementedError

    def enqueue(self, target) -> None:
        raise NotImplementedError

    def back_url(self, target) -> str:
        raise NotImplementedError

    def dispatch(self, request, *args, **kwargs):
        self.target = self.get_target()
        if not self.allowed(request.user, self.target):
            return permission_denied(request)
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self):
        return f"{self.action} {self.target} now"

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": self.back_url(self.target),
                                          "label": str(self.target)},
                {"url": "", "label": self.get_page_title()}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        latest = TaskRun.for_target(self.target).first()
        context.update(target=self.target, action=self.action, back_url=self.back_url(self.target),
                       latest=latest,
                       latest_result=counts_text(latest.task_name, latest.counts) if latest else "",
                       offline=getattr(settings, "FETCH_OFFLINE", False))
        return context

    def post(self, request, *args, **kwargs):
        before = TaskRun.for_target(self.target).values_list("pk", flat=True).first() or 0
        try:
            self.enqueue(self.target)
        except Exception as error:  # noqa: BLE001 - in-process: the run itself is recorded
            messages.error(request, f"{self.action} {self.target}: it failed ({error}). "
                                    "See the task runs for details.")
            return redirect(self.back_url(self.target))
        run = TaskRun.for_target(self.target).filter(pk__gt=before).first()
        if run is None:
            messages.success(request, f"{self.action} {self.target}: queued. It appears in "
                                      "Task runs when a worker starts it.")
        elif run.outcome == Outcome.SUCCEEDED:
            result = counts_text(run.task_name, run.counts)
            messages.success(request, f"{self.action} {self.target}: done"
                                      f"{f' ({result})' if result else ''}.")
        else:
            messages.warning(request, f"{self.action} {self.target}: {run.get_outcome_display()}"
                                      f". {run.error[:300]}")
        return redirect(self.back_url(self.target))


class CollectSourceNowView(RunNowView):
    action = "Collect"

    def get_target(self):
        return get_object_or_404(UptakeSource, pk=self.kwargs["pk"])

    def allowed(self, user, target) -> bool:
        return user.has_perm("services_catalogue.change_uptakesource")

    def enqueue(self, target) -> None:
        from .uptake import collect_source_task

        collect_source_task.delay(target.pk)

    def back_url(self, target) -> str:
        return reverse("wagtailsnippets_services_catalogue_uptakesource:list")


class AuditServiceNowView(RunNowView):
    action = "Audit"

    def get_target(self):
        return get_object_or_404(DigitalService.objects.live(), pk=self.kwargs["pk"])

    def allowed(self, user, target) -> bool:
        return target.permissions_for_user(user).can_edit()

    def enqueue(self, target) -> None:
        from .audits import audit_service_task

        audit_service_task.delay(target.pk)

    def back_url(self, target) -> str:
        return reverse("wagtailadmin_pages:edit", args=[target.pk])
