"""How comms teams see the catalogue in the Wagtail admin."""

import django_filters
from django.db.models import Exists, OuterRef, Subquery
from django.urls import path, reverse
from laces.components import Component
from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.tables import BooleanColumn, Column, DateColumn, TitleColumn
from wagtail.log_actions import LogFormatter
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from .models import (
    Capability,
    ConsistentOffer,
    ConsistentOfferItem,
    InclusionSupport,
    Language,
    OfferImport,
    Organisation,
)
from .offer_import import ACTION as IMPORT_OFFERS_ACTION
from .reviews import services_for_review
from .views import (
    ContactsImportPreviewView,
    ContactsImportUploadView,
    OfferImportPreviewView,
    OfferImportUploadView,
    OfferMatrixView,
    OverdueReviewsView,
    may_import_contacts,
)


class YesNoColumn(Column):
    """A true/false field in words, "Yes" or "No" (Wagtail's BooleanColumn has only a tick or
    cross, read out as "True" or "False")."""

    def get_value(self, instance):
        value = super().get_value(instance)
        return "" if value is None else ("Yes" if value else "No")


class ReadOnlyPermissionPolicy(ModelPermissionPolicy):
    """Nobody, not even a superuser, adds, edits or deletes these records in the admin."""

    def user_has_permission(self, user, action):
        if action in ("add", "change", "delete"):
            return False
        return super().user_has_permission(user, action)

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)


# Must be registered before the snippet viewset creates a default policy.
register_permission_policy(OfferImport, ReadOnlyPermissionPolicy(OfferImport))


class PermissionMenuItem(MenuItem):
    """A menu item shown only to users with `permission`."""

    def __init__(self, *args, permission: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.permission = permission

    def is_shown(self, request):
        return request.user.has_perm(self.permission)


class OrganisationViewSet(SnippetViewSet):
    model = Organisation
    icon = "group"
    menu_label = "Organisations"
    list_display = ["name", "ods_code", "kind", "place", YesNoColumn("active", label="Active")]
    list_filter = ["kind", "place", "active"]
    search_fields = ["name", "ods_code", "town"]
    search_backend_name = None  # plain ORM matching: ODS codes and partial names both work
    ordering = ["name"]


def _consistent_items():
    return ConsistentOfferItem.objects.filter(
        capability=OuterRef("pk"),
        setting=Subquery(ConsistentOffer.objects.order_by("pk").values("pk")[:1]),
    )


class CapabilityFilterSet(WagtailFilterSet):
    in_consistent_offer = django_filters.BooleanFilter(
        label="In the consistent offer", method="filter_in_consistent_offer"
    )

    def filter_in_consistent_offer(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(in_consistent_offer=value)

    class Meta:
        model = Capability
        fields = []


class CapabilityViewSet(SnippetViewSet):
    """Capabilities, with whether each is in the consistent offer (a site setting)."""

    model = Capability
    icon = "list-ul"
    menu_label = "Capabilities"
    list_display = [
        "name",
        "citizen_label",
        BooleanColumn("in_consistent_offer", label="In the consistent offer"),
        Column("national_default_title", label="National default"),
    ]
    filterset_class = CapabilityFilterSet
    search_fields = ["name", "citizen_label"]

    def get_queryset(self, request):
        return Capability.objects.annotate(
            in_consistent_offer=Exists(_consistent_items()),
            national_default_title=Subquery(
                _consistent_items().values("national_default__title")[:1]
            ),
        )
    search_backend_name = None


class LanguageViewSet(SnippetViewSet):
    model = Language
    icon = "globe"
    list_display = ["name", "code"]
    search_fields = ["name", "code"]
    search_backend_name = None


class InclusionSupportViewSet(SnippetViewSet):
    model = InclusionSupport
    icon = "help"
    menu_label = "Help getting online"
    list_display = ["name", "kind", "place", YesNoColumn("active", label="Active")]
    list_filter = ["kind", "place", "active"]
    search_fields = ["name", "place"]
    search_backend_name = None


class OfferImportViewSet(SnippetViewSet):
    """Each applied bulk import of offers: read-only (see ReadOnlyPermissionPolicy)."""

    model = OfferImport
    icon = "history"
    menu_label = "Offer imports"
    list_display = [
        TitleColumn("file_name", label="File"),
        DateColumn("imported_at", label="Imported"),
        Column("user", label="By"),
        Column("via", label="How", accessor="get_via_display"),
        Column("added"),
        Column("removed"),
        Column("changed"),
        Column("unchanged"),
    ]
    list_filter = ["via"]
    search_fields = ["file_name", "sha256"]
    ordering = ["-imported_at"]
    inspect_view_enabled = True
    copy_view_enabled = False
    inspect_view_fields = [
        "imported_at", "user", "via", "file_name", "sha256", "rows", "organisations",
        "added", "removed", "changed", "unchanged", "warnings",
    ]


class CatalogueGroup(SnippetViewSetGroup):
    menu_label = "Catalogue"
    menu_icon = "folder-open-inverse"
    menu_order = 200
    submenu_hook = "register_catalogue_menu_item"
    items = (
        OrganisationViewSet,
        CapabilityViewSet,
        LanguageViewSet,
        InclusionSupportViewSet,
        OfferImportViewSet,
    )


register_snippet(CatalogueGroup)


@hooks.register("register_admin_urls")
def register_catalogue_admin_urls():
    return [
        path("reviews/overdue/", OverdueReviewsView.as_view(), name="overdue_reviews"),
        path("offers/import/", OfferImportUploadView.as_view(), name="offer_import"),
        path("offers/import/preview/", OfferImportPreviewView.as_view(),
             name="offer_import_preview"),
        path("practices/contacts/import/", ContactsImportUploadView.as_view(),
             name="contacts_import"),
        path("practices/contacts/import/preview/", ContactsImportPreviewView.as_view(),
             name="contacts_import_preview"),
        path("offer-matrix/", OfferMatrixView.as_view(), name="offer_matrix"),
    ]


@hooks.register("register_catalogue_menu_item")
def register_import_offers_menu_item():
    return PermissionMenuItem(
        "Import offers", reverse("offer_import"), icon_name="upload", order=50,
        permission="services_catalogue.add_offer",
    )


class ContactsImportMenuItem(MenuItem):
    def is_shown(self, request):
        return may_import_contacts(request.user)


@hooks.register("register_catalogue_menu_item")
def register_import_contacts_menu_item():
    return ContactsImportMenuItem(
        "Import practice contacts", reverse("contacts_import"), icon_name="upload", order=51
    )


@hooks.register("register_reports_menu_item")
def register_offer_matrix_menu_item():
    return PermissionMenuItem(
        "Offer matrix", reverse("offer_matrix"), icon_name="table", order=110,
        permission="services_catalogue.view_offer",
    )


@hooks.register("register_log_actions")
def register_import_offers_log_action(actions):
    @actions.register_action(IMPORT_OFFERS_ACTION)
    class ImportOffersFormatter(LogFormatter):
        label = "Import offers"

        def format_message(self, log_entry):
            data = log_entry.data or {}
            counts = ", ".join(
                f"{data.get(kind, 0)} {kind}" for kind in ("added", "removed", "changed")
            )
            return f"Imported offers from {data.get('file_name', 'a CSV file')}: {counts}"


@hooks.register("register_reports_menu_item")
def register_overdue_reviews_menu_item():
    return MenuItem(
        "Service reviews overdue", reverse("overdue_reviews"), icon_name="time", order=100
    )


class OverdueReviewsPanel(Component):
    """Dashboard reminder: how many service records are overdue for review."""

    name = "overdue_reviews"
    order = 50
    template_name = "services_catalogue/admin/overdue_reviews_panel.html"

    def get_context_data(self, parent_context=None):
        rows = services_for_review()
        overdue = [service for service, is_overdue in rows if is_overdue]
        return {"overdue": overdue[:5], "overdue_count": len(overdue), "total": len(rows)}


@hooks.register("construct_homepage_panels")
def add_overdue_reviews_panel(request, panels):
    panels.append(OverdueReviewsPanel())


# -- Accessibility audits and link checks (services_catalogue/audit/) ---------------------
@hooks.register("register_admin_urls")
def register_audit_admin_urls():
    from .audit.admin import BrokenLinksView, FailingServicesView

    return [
        path("reports/accessibility-failing/", FailingServicesView.as_view(),
             name="accessibility_failing"),
        path("reports/broken-links/", BrokenLinksView.as_view(), name="broken_links"),
    ]


@hooks.register("register_reports_menu_item")
def register_accessibility_failing_menu_item():
    return MenuItem(
        "Accessibility audits failing", reverse("accessibility_failing"), icon_name="warning",
        order=120,
    )


@hooks.register("register_reports_menu_item")
def register_broken_links_menu_item():
    return MenuItem("Broken links", reverse("broken_links"), icon_name="link", order=130)


# -- Uptake: sources and the files imported (services_catalogue/uptake/) -----------------
from .models.uptake import UptakeFile, UptakeSource  # noqa: E402

register_permission_policy(UptakeFile, ReadOnlyPermissionPolicy(UptakeFile))


class UptakeSourceViewSet(SnippetViewSet):
    """Where uptake figures come from; collected on each source's own schedule."""

    model = UptakeSource
    icon = "download"
    menu_label = "Uptake sources"
    list_display = [
        "name",  # Wagtail's title column: the edit link and the row's buttons
        Column("format", label="Format", accessor="format_label"),
        Column("schedule", label="Schedule", accessor="get_schedule_display"),
        YesNoColumn("active", label="Active"),
        DateColumn("last_checked_at", label="Last checked"),
        DateColumn("last_changed_at", label="Last changed"),
        Column("last_error", label="Last error"),
    ]
    list_filter = ["format", "schedule", "active"]
    search_fields = ["name", "url"]
    search_backend_name = None
    ordering = ["name"]
    inspect_view_enabled = True
    inspect_view_fields = [
        "name", "format", "url", "schedule", "active", "auth_header_name",
        "auth_env_var", "column_mapping", "etag", "last_modified", "last_sha256",
        "last_dispatched_at", "last_checked_at", "last_changed_at", "last_error", "created_at",
    ]


class UptakeFileViewSet(SnippetViewSet):
    """Each file that changed uptake figures, with what it changed: read-only."""

    model = UptakeFile
    icon = "doc-full"
    menu_label = "Uptake files"
    list_display = [
        TitleColumn("source", label="Source"),
        DateColumn("fetched_at", label="Fetched"),
        Column("rows", label="Figures"),
        Column("inserted", label="Added"),
        Column("updated", label="Updated"),
        Column("deleted", label="Removed"),
        Column("unchanged", label="Unchanged"),
        Column("url", label="From"),
    ]
    list_filter = ["source"]
    search_fields = ["sha256", "url"]
    search_backend_name = None
    ordering = ["-fetched_at"]
    inspect_view_enabled = True
    copy_view_enabled = False
    inspect_view_fields = [
        "source", "sha256", "url", "fetched_at", "rows", "periods", "inserted", "updated",
        "deleted", "unchanged",
    ]

    def get_queryset(self, request):
        return UptakeFile.objects.select_related("source")


class MetricsGroup(SnippetViewSetGroup):
    menu_label = "Metrics"
    menu_icon = "table"
    menu_order = 210
    items = (UptakeSourceViewSet, UptakeFileViewSet)


register_snippet(MetricsGroup)
