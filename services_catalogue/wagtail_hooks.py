"""How comms teams see the catalogue in the Wagtail admin."""

from django.urls import path, reverse
from laces.components import Component
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from .models import Capability, InclusionSupport, Language, Organisation
from .reviews import services_for_review
from .views import OverdueReviewsView


class OrganisationViewSet(SnippetViewSet):
    model = Organisation
    icon = "group"
    menu_label = "Organisations"
    list_display = ["name", "ods_code", "kind", "place", "active"]
    list_filter = ["kind", "place", "active"]
    search_fields = ["name", "ods_code", "town"]
    search_backend_name = None  # plain ORM matching: ODS codes and partial names both work
    ordering = ["name"]


class CapabilityViewSet(SnippetViewSet):
    model = Capability
    icon = "list-ul"
    menu_label = "Capabilities"
    list_display = ["name", "citizen_label", "in_consistent_offer", "national_default"]
    list_filter = ["in_consistent_offer"]
    search_fields = ["name", "citizen_label"]
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
    list_display = ["name", "kind", "place", "active"]
    list_filter = ["kind", "place", "active"]
    search_fields = ["name", "place"]
    search_backend_name = None


class CatalogueGroup(SnippetViewSetGroup):
    menu_label = "Catalogue"
    menu_icon = "folder-open-inverse"
    menu_order = 200
    items = (OrganisationViewSet, CapabilityViewSet, LanguageViewSet, InclusionSupportViewSet)


register_snippet(CatalogueGroup)


@hooks.register("register_admin_urls")
def register_catalogue_admin_urls():
    return [path("reviews/overdue/", OverdueReviewsView.as_view(), name="overdue_reviews")]


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
