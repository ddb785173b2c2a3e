"""/api/openreferral/: HSDS 3.0 paths (no trailing slash, as HSDS writes them; one is tolerated).

The last pattern answers anything else under the prefix with a JSON 404, so a client's
typo gets a CORS-enabled JSON error instead of falling through to the site's HTML 404.
"""

from django.urls import path, re_path

from . import views

app_name = "openreferral"

ID = r"(?P<{}>[^/]+)/?$"

urlpatterns = [
    path("", views.root, name="root"),
    re_path(r"^services/?$", views.service_list, name="services"),
    re_path(r"^services/" + ID.format("service_id"), views.service_detail, name="service"),
    re_path(r"^organizations/?$", views.organization_list, name="organizations"),
    re_path(r"^organizations/" + ID.format("organization_id"), views.organization_detail,
            name="organization"),
    re_path(r"^taxonomies/?$", views.taxonomy_list, name="taxonomies"),
    re_path(r"^taxonomies/" + ID.format("taxonomy_id"), views.taxonomy_detail, name="taxonomy"),
    re_path(r"^taxonomy_terms/?$", views.taxonomy_term_list, name="taxonomy_terms"),
    re_path(r"^taxonomy_terms/" + ID.format("term_id"), views.taxonomy_term_detail,
            name="taxonomy_term"),
    path("download.json", views.download_json, name="download_json"),
    path("download.csv", views.download_csv, name="download_csv"),
    re_path(r"^(?P<rest>.*)$", views.not_found),
]
