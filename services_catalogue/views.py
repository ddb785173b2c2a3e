import base64
import secrets
import zlib
from pathlib import Path

from django import forms
from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.views.generic import TemplateView
from wagtail.admin import messages
from wagtail.admin.auth import permission_denied
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from . import offer_import
from .models import OfferImport
from .offer_matrix import KIND_NOTE, MatrixFilterForm, gaps_csv, gaps_xlsx, offer_matrix
from .reviews import review_cutoff, services_for_review

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class PermissionRequiredAdminView(WagtailAdminTemplateMixin, TemplateView):
    """An admin page for users with `permission` (others are sent to the dashboard)."""

    permission = ""
    parent_crumbs: list[dict] = []

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm(self.permission):
            return permission_denied(request)
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, *self.parent_crumbs,
                {"url": "", "label": self.get_page_title()}]


class OverdueReviewsView(PermissionRequiredAdminView):
    """Editors' list of service records by review date, overdue ones flagged."""

    template_name = "services_catalogue/admin/overdue_reviews.html"
    page_title = "Service reviews"
    header_icon = "time"
    permission = "wagtailadmin.access_admin"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = services_for_review()
        context.update(
            rows=rows,
            overdue_count=sum(1 for _, overdue in rows if overdue),
            cutoff=review_cutoff(),
            interval_days=settings.SERVICE_REVIEW_INTERVAL_DAYS,
        )
        return context


# ---------------------------------------------------------------------------------------
# Import offers: upload -> preview -> confirm. The uploaded file waits in the session
# (compressed) between the steps, under a random token, and is checked again on confirm.

SESSION_KEY = "offer_import_upload"
PREVIEW_ROWS = 1000


class OfferUploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="Columns ods_code, service_slug and (optional) capability.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > offer_import.max_bytes():
            raise forms.ValidationError(
                f"The file is {upload.size:,} bytes; the limit is "
                f"{offer_import.max_bytes():,} bytes."
            )
        return upload


def _store_upload(request, name: str, data: bytes) -> str:
    token = secrets.token_urlsafe(16)
    request.session[SESSION_KEY] = {
        "token": token,
        "name": name,
        "sha256": offer_import.sha256(data),
        "data": base64.b64encode(zlib.compress(data, 6)).decode("ascii"),
    }
    return token


def _stored_upload(request, token: str) -> tuple[str, bytes] | None:
    stored = request.session.get(SESSION_KEY)
    if not stored or not token or not secrets.compare_digest(stored.get("token", ""), token):
        return None
    try:
        data = zlib.decompress(base64.b64decode(stored["data"]))
    except (ValueError, zlib.error, KeyError):
        return None
    if len(data) > offer_import.max_bytes() or offer_import.sha256(data) != stored.get("sha256"):
        return None
    return stored["name"], data


class OfferImportUploadView(PermissionRequiredAdminView):
    template_name = "services_catalogue/admin/offer_import_upload.html"
    page_title = "Import offers"
    header_icon = "upload"
    permission = "services_catalogue.add_offer"

    def get(self, request, *args, **kwargs):
        # Coming back here (or cancelling a preview) drops any upload waiting in the session.
        request.session.pop(SESSION_KEY, None)
        return self.render_to_response(self.get_context_data(form=OfferUploadForm()))

    def post(self, request, *args, **kwargs):
        form = OfferUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        upload = form.cleaned_data["file"]
        data = upload.read(offer_import.max_bytes() + 1)
        name = Path(upload.name or "offers.csv").name[:255]
        try:
            offer_import.prepare(data)  # refuse a bad file before keeping it
        except offer_import.OfferImportError as error:
            return self.render_to_response(
                self.get_context_data(form=OfferUploadForm(), error=error, file_name=name)
            )
        token = _store_upload(request, name, data)
        return redirect(f"{reverse('offer_import_preview')}?token={token}")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            max_bytes=offer_import.max_bytes(), max_problems=offer_import.MAX_PROBLEMS,
            imports_url=reverse(OfferImport.snippet_viewset.get_url_name("list")),
        )
        return context


class OfferImportPreviewView(PermissionRequiredAdminView):
    template_name = "services_catalogue/admin/offer_import_preview.html"
    page_title = "Check the changes"
    header_icon = "upload"
    permission = "services_catalogue.add_offer"
    parent_crumbs = [{"url": reverse_lazy("offer_import"), "label": "Import offers"}]

    def _expired(self):
        messages.error(
            self.request, "That upload has expired or was replaced by another. Upload the file again."
        )
        return redirect("offer_import")

    def get(self, request, *args, **kwargs):
        token = request.GET.get("token", "")
        stored = _stored_upload(request, token)
        if stored is None:
            return self._expired()
        name, data = stored
        try:
            plan = offer_import.prepare(data)
        except offer_import.OfferImportError as error:
            return self._refused(name, error)
        return self.render_to_response(self.get_context_data(plan=plan, name=name, token=token,
                                                             data=data))

    def post(self, request, *args, **kwargs):
        token = request.POST.get("token", "")
        stored = _stored_upload(request, token)
        if stored is None:
            return self._expired()
        name, data = stored
        try:
            result = offer_import.import_offers(
                data, file_name=name, user=request.user, via=OfferImport.Via.ADMIN,
                expected_digest=request.POST.get("digest", ""),
            )
        except offer_import.PlanChanged as changed:
            messages.warning(
                request,
                "The offers changed after you uploaded the file, so nothing was imported. "
                "Check the changes below again.",
            )
            return self.render_to_response(
                self.get_context_data(plan=changed.plan, name=name, token=token, data=data)
            )
        except offer_import.OfferImportError as error:
            return self._refused(name, error)
        request.session.pop(SESSION_KEY, None)
        counts = result.plan.counts
        messages.success(
            request,
            f"Imported {name}: {counts['added']} added, {counts['removed']} removed, "
            f"{counts['changed']} changed, {counts['unchanged']} unchanged.",
        )
        return redirect(OfferImport.snippet_viewset.get_url_name("inspect"), result.record.pk)

    def _refused(self, name, error):
        view = OfferImportUploadView()
        view.setup(self.request)
        return view.render_to_response(
            view.get_context_data(form=OfferUploadForm(), error=error, file_name=name)
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        plan = kwargs.get("plan")
        if plan is not None:
            changes = plan.real_changes
            context.update(
                counts=plan.counts,
                changes=changes[:PREVIEW_ROWS],
                hidden_changes=max(0, len(changes) - PREVIEW_ROWS),
                sha256=offer_import.sha256(kwargs["data"]),
                digest=plan.digest,
            )
        return context


# ---------------------------------------------------------------------------------------
# The offer matrix


class OfferMatrixView(PermissionRequiredAdminView):
    template_name = "services_catalogue/admin/offer_matrix.html"
    page_title = "Offer matrix"
    header_icon = "table"
    permission = "services_catalogue.view_offer"

    def get(self, request, *args, **kwargs):
        form = MatrixFilterForm(request.GET)
        matrix = offer_matrix(form.filters())
        download = request.GET.get("download")
        if download in ("csv", "xlsx") and (not form.is_bound or form.is_valid()):
            stamp = timezone.localdate().isoformat()
            if download == "csv":
                response = HttpResponse(gaps_csv(matrix), content_type="text/csv; charset=utf-8")
            else:
                response = HttpResponse(gaps_xlsx(matrix), content_type=XLSX_TYPE)
            response["Content-Disposition"] = (
                f'attachment; filename="consistent-offer-gaps-{stamp}.{download}"'
            )
            return response
        query = request.GET.copy()
        query.pop("download", None)
        return self.render_to_response(self.get_context_data(
            # Invalid filters are all ignored: the form then shows what is shown (every GP
            # practice), and the one message above it says which filters were not valid.
            form=MatrixFilterForm() if form.errors else form,
            problems=form.problems, kind_note=KIND_NOTE if form.kind_ignored else "",
            matrix=matrix, querystring=query.urlencode(),
            coverage=matrix.capability_coverage, gaps=matrix.gaps,
        ))
