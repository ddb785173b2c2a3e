"""'Run now' in the admin: collect an uptake source, or audit a service, without waiting for
the schedule (after fixing a source's URL, or a service's start page).

A confirmation page (GET) and a POST that queues the same Celery task the schedule runs, so
what an editor starts is recorded, retried and listed exactly like a scheduled run. With
tasks in-process (no broker) it runs before the redirect.

Where to see the result: the page a user can already open (a service's Accessibility panel
on its edit page, the uptake sources list). Task runs are mentioned only to those who may
view them (superusers, or a group given tasks.view_taskrun): the list spans every task,
with sources' names and raw error text, so the staff groups do not get it.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.html import format_html
from django.views.generic import TemplateView
from wagtail.admin.auth import permission_denied
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from services_catalogue.models import DigitalService, UptakeSource

from .labels import counts_text, run_result
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

    def result_place(self, target) -> tuple[str, str, str]:
        """Where the result appears, for someone who cannot view task runs:
        (text before the link, the link's text, its URL)."""
        raise NotImplementedError

    def fetches_from_internet(self, target) -> bool:
        return True

    def nothing_to_do(self, target) -> str:
        """Why there is nothing to run for this target ("" when there is something)."""
        return ""

    def can_view_runs(self, user) -> bool:
        return user.has_perm("tasks.view_taskrun")

    def result_place_text(self, target) -> str:
        before, link, _url = self.result_place(target)
        return f"{before}{link}"

    def result_place_html(self, target) -> str:
        before, link, url = self.result_place(target)
        return format_html('{}<a href="{}">{}</a>', before, url, link)

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
        can_view_runs = self.can_view_runs(self.request.user)
        context.update(
            target=self.target, action=self.action, back_url=self.back_url(self.target),
            latest=latest, latest_result=self.latest_result(latest),
            offline=getattr(settings, "FETCH_OFFLINE", False)
            and self.fetches_from_internet(self.target),
            nothing_to_do=self.nothing_to_do(self.target),
            result_place=self.result_place_html(self.target),
            task_runs_url=reverse("wagtailsnippets_tasks_taskrun:list") if can_view_runs else "",
        )
        return context

    @staticmethod
    def latest_result(run) -> str:
        if run is None:
            return ""
        result = run_result(run)
        return "; ".join(part for part in (result["summary"], result["error"]) if part)

    def post(self, request, *args, **kwargs):
        if reason := self.nothing_to_do(self.target):
            messages.error(request, f"{self.action} {self.target}: {reason}")
            return redirect(self.back_url(self.target))
        where = ("the task runs" if self.can_view_runs(request.user)
                 else self.result_place_text(self.target))
        before = TaskRun.for_target(self.target).values_list("pk", flat=True).first() or 0
        try:
            self.enqueue(self.target)
        except Exception as error:  # noqa: BLE001 - in-process: the run itself is recorded
            messages.error(request, f"{self.action} {self.target}: it failed ({error}). "
                                    f"See {where} for details.")
            return redirect(self.back_url(self.target))
        run = TaskRun.for_target(self.target).filter(pk__gt=before).first()
        if run is None:
            if self.can_view_runs(request.user):
                queued = "It appears in Task runs when a worker starts it."
            else:
                queued = f"Its result appears in {where} when it has run."
            messages.success(request, f"{self.action} {self.target}: queued. {queued}")
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

    def result_place(self, target) -> tuple[str, str, str]:
        return ("the Last checked, Last changed and Last error columns of the ",
                "uptake sources list", self.back_url(target))

    def fetches_from_internet(self, target) -> bool:
        return bool(target.url)  # an uploaded file is read, not fetched

    def nothing_to_do(self, target) -> str:
        if target.url or target.upload:
            return ""
        return ("it has no URL or uploaded file, so there is nothing to collect: it only records "
                "the files given to manage.py import_uptake FILE --source NAME. Give it a URL "
                "or upload a file to collect it from here.")


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

    def result_place(self, target) -> tuple[str, str, str]:
        return ("the Accessibility panel on ", "the service's edit page", self.back_url(target))
