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
from django.utils.html import format_html
from django.views.generic import TemplateView
from wagtail.admin import messages
from wagtail.admin.auth import permission_denied
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from . import contacts_import, offer_import
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


def _store_upload(request, name: str, data: bytes, *, key: str = SESSION_KEY) -> str:
    token = secrets.token_urlsafe(16)
    request.session[key] = {
        "token": token,
        "name": name,
        "sha256": offer_import.sha256(data),
        "data": base64.b64encode(zlib.compress(data, 6)).decode("ascii"),
    }
    return token


def _stored_upload(request, token: str, *, key: str = SESSION_KEY,
                   limit: int | None = None) -> tuple[str, bytes] | None:
    stored = request.session.get(key)
    if not stored or not token or not secrets.compare_digest(stored.get("token", ""), token):
        return None
    try:
        data = zlib.decompress(base64.b64decode(stored["data"]))
    except (ValueError, zlib.error, KeyError):
        return None
    if limit is None:
        limit = offer_import.max_bytes()
    if len(data) > limit or offer_import.sha256(data) != stored.get("sha256"):
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


# ---------------------------------------------------------------------------------------
# Import practice contacts: the offers' upload -> preview -> confirm, for
# services_catalogue.contacts_import (phone numbers, addresses and postcodes from epraccur
# or our own form). The file waits in the session under its own key.

CONTACTS_SESSION_KEY = "contacts_import_upload"
# The staff who may import offers; the import edits organisations, so that too.
CONTACTS_PERMISSIONS = ("services_catalogue.add_offer", "services_catalogue.change_organisation")
ODS_SEARCH_URL = "https://www.odsdatasearchandexport.nhs.uk/"
CONTACTS_FORMS = {
    contacts_import.FORM_ODS: "NHS ODS's GP practice file (epraccur)",
    contacts_import.FORM_OWN: "Our own form (ods_code, address, phone, postcode)",
}
CONTACTS_COUNTED = {"phone": "phone numbers", "address": "addresses", "postcode": "postcodes"}


def may_import_contacts(user) -> bool:
    return user.has_perms(CONTACTS_PERMISSIONS)


class ContactsUploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text=format_html(
            "epraccur.csv from NHS ODS Data Search and Export (<a href=\"{}\">{}</a>, report "
            "“epraccur”), as downloaded; or a CSV with the header "
            "<code>ods_code,address,phone</code> (<code>postcode</code> optional).",
            ODS_SEARCH_URL, ODS_SEARCH_URL,
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > contacts_import.max_bytes():
            raise forms.ValidationError(
                f"The file is {upload.size:,} bytes; the limit is "
                f"{contacts_import.max_bytes():,} bytes."
            )
        return upload


class ContactsImportAdminView(PermissionRequiredAdminView):
    header_icon = "upload"
    permission = "services_catalogue.add_offer"

    def dispatch(self, request, *args, **kwargs):
        if not may_import_contacts(request.user):
            return permission_denied(request)
        return super().dispatch(request, *args, **kwargs)


class ContactsImportUploadView(ContactsImportAdminView):
    template_name = "services_catalogue/admin/contacts_import_upload.html"
    page_title = "Import practice contacts"

    def get(self, request, *args, **kwargs):
        request.session.pop(CONTACTS_SESSION_KEY, None)
        return self.render_to_response(self.get_context_data(form=ContactsUploadForm()))

    def post(self, request, *args, **kwargs):
        form = ContactsUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        upload = form.cleaned_data["file"]
        data = upload.read(contacts_import.max_bytes() + 1)
        name = Path(upload.name or "contacts.csv").name[:255]
        try:
            contacts_import.prepare_contacts(data)  # refuse a bad file before keeping it
        except contacts_import.ContactsImportError as error:
            return self.render_to_response(
                self.get_context_data(form=ContactsUploadForm(), error=error, file_name=name)
            )
        token = _store_upload(request, name, data, key=CONTACTS_SESSION_KEY)
        return redirect(f"{reverse('contacts_import_preview')}?token={token}")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(max_bytes=contacts_import.max_bytes(), ods_search_url=ODS_SEARCH_URL)
        return context


class ContactsImportPreviewView(ContactsImportAdminView):
    template_name = "services_catalogue/admin/contacts_import_preview.html"
    page_title = "Check the changes"
    parent_crumbs = [{"url": reverse_lazy("contacts_import"), "label": "Import practice contacts"}]

    def _stored(self, token):
        return _stored_upload(self.request, token, key=CONTACTS_SESSION_KEY,
                              limit=contacts_import.max_bytes())

    def _expired(self):
        messages.error(
            self.request, "That upload has expired, was imported already or was replaced by "
            "another. Upload the file again."
        )
        return redirect("contacts_import")

    def get(self, request, *args, **kwargs):
        token = request.GET.get("token", "")
        stored = self._stored(token)
        if stored is None:
            return self._expired()
        name, data = stored
        try:
            plan = contacts_import.prepare_contacts(data)
        except contacts_import.ContactsImportError as error:
            return self._refused(name, error)
        return self.render_to_response(self.get_context_data(plan=plan, name=name, token=token,
                                                             data=data))

    def post(self, request, *args, **kwargs):
        token = request.POST.get("token", "")
        stored = self._stored(token)
        if stored is None:
            return self._expired()
        name, data = stored
        if not secrets.compare_digest(offer_import.sha256(data), request.POST.get("sha256", "")):
            return self._expired()
        try:
            plan = contacts_import.import_contacts(
                data, expected_digest=request.POST.get("digest", ""))
        except contacts_import.PlanChanged as changed:
            messages.warning(
                request,
                "The practices' details changed after you uploaded the file, so nothing was "
                "imported. Check the changes below again.",
            )
            return self.render_to_response(
                self.get_context_data(plan=changed.plan, name=name, token=token, data=data)
            )
        except contacts_import.ContactsImportError as error:
            return self._refused(name, error)
        request.session.pop(CONTACTS_SESSION_KEY, None)
        counts = ", ".join(f"{CONTACTS_COUNTED[field]} {plan.count(field)}"
                           for field in contacts_import.FIELDS if plan.count(field))
        messages.success(
            request,
            f"Imported {name}: {len(plan.changes)} practice{pluralise(len(plan.changes))} "
            f"changed{f' ({counts})' if counts else ''}, {plan.unchanged} unchanged, "
            f"{plan.skipped} row{pluralise(plan.skipped)} skipped (not in the catalogue).",
        )
        return redirect("contacts_import")

    def _refused(self, name, error):
        self.request.session.pop(CONTACTS_SESSION_KEY, None)
        view = ContactsImportUploadView()
        view.setup(self.request)
        return view.render_to_response(
            view.get_context_data(form=ContactsUploadForm(), error=error, file_name=name)
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        plan = kwargs.get("plan")
        if plan is not None:
            rows = [
                {"practice": change.organisation, "field": field,
                 "label": contacts_import.FIELD_WORDS[field].capitalize(),
                 "before": before, "after": after}
                for change in plan.changes for field, (before, after) in change.fields.items()
            ]
            context.update(
                form_label=CONTACTS_FORMS.get(plan.form, plan.form),
                counts={field: plan.count(field) for field in contacts_import.FIELDS},
                rows=rows[:PREVIEW_ROWS],
                hidden_rows=max(0, len(rows) - PREVIEW_ROWS),
                sha256=offer_import.sha256(kwargs["data"]),
                digest=contacts_import.plan_digest(plan),
            )
        return context


def pluralise(count: int) -> str:
    return "" if count == 1 else "s"
