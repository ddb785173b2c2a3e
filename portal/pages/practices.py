from django.core.paginator import Paginator
from django.db import models
from django.http import Http404
from django.shortcuts import redirect
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path, re_path
from wagtail.models import Page

from services_catalogue.models import Organisation
from services_catalogue.practices import (
    PracticeSearchForm,
    details_to_look_up,
    practice_offer,
    search_practices,
)


class PracticeIndexPage(RoutablePageMixin, Page):
    """/practices/: find a GP practice; /practices/<ODS code>/: what it offers online."""

    intro = models.TextField(blank=True)
    per_page = 25

    content_panels = Page.content_panels + [FieldPanel("intro")]
    parent_page_types = ["portal.HomePage"]
    subpage_types: list[str] = []
    max_count = 1

    @path("")
    def practice_search(self, request):
        form = PracticeSearchForm(request.GET)
        exact, practices = search_practices(form)
        if exact is not None:
            return redirect(self.url + self.reverse_subpage("practice", args=[exact.ods_code]))
        paginator = Paginator(practices, self.per_page)
        page_obj = paginator.get_page(request.GET.get("page"))
        return self.render(
            request,
            template="portal/practice_index_page.html",
            context_overrides={
                "form": form,
                "page_obj": page_obj,
                "practices": page_obj.object_list,
                "result_count": paginator.count,
                "searched": form.is_valid() and bool(form.cleaned_data.get("q")),
                "querystring": form.querystring(),
            },
        )

    @re_path(r"^(?P<ods_code>[A-Za-z0-9]{3,10})/$", name="practice")
    def practice(self, request, ods_code):
        if ods_code != ods_code.upper():
            return redirect(
                self.url + self.reverse_subpage("practice", args=[ods_code.upper()]),
                permanent=True,
            )
        try:
            practice = Organisation.objects.select_related("parent").get(
                ods_code=ods_code, kind="gp_practice", active=True
            )
        except Organisation.DoesNotExist as missing:
            raise Http404("No GP practice has that ODS code.") from missing
        return self.render(
            request,
            template="portal/practice_page.html",
            context_overrides={
                "practice": practice,
                "rows": practice_offer(practice),
                "look_up_on_find_a_gp": details_to_look_up(practice),
            },
        )
