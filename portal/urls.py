from django.conf import settings
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("api/openreferral/", include("services_catalogue.openreferral.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns += [path("", include(wagtail_urls))]

if settings.BENCHMARK_BASELINE_VIEW:  # bench/catalogue.py's yardstick; off in production
    from portal.views import benchmark_baseline

    urlpatterns.insert(0, path("_bench/baseline/", benchmark_baseline))

handler404 = "portal.views.page_not_found"
handler500 = "portal.views.server_error"
