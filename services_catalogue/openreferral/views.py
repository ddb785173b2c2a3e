"""Thin views for the Open Referral UK API: parse, query, map, respond.

Every response, errors included, is JSON (or the CSV download) with
`Access-Control-Allow-Origin: *`: the data is open, needs no key and is read from
other sites' browsers. Only GET, HEAD and OPTIONS are allowed.
"""

import json
import logging
from functools import wraps

from django.core import signals
from django.http import HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.views.decorators.csrf import csrf_exempt

from portal.models import SiteSettings

from . import mapping, params, queries
from .export import services_csv
from .taxonomy import TAXONOMIES

logger = logging.getLogger("django.request")
ALLOWED_METHODS = ("GET", "HEAD", "OPTIONS")


def error_response(status: int, message: str, parameter: str | None = None) -> JsonResponse:
    body = {"status": status, "error": message}
    if parameter:
        body["parameter"] = parameter
    return JsonResponse(body, status=status)


def _with_cors(response: HttpResponse) -> HttpResponse:
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Allow-Methods"] = ", ".join(ALLOWED_METHODS)
    response["Access-Control-Allow-Headers"] = "Accept, Content-Type"
    response["Access-Control-Max-Age"] = "86400"
    return response


def api_view(view):
    """Method check, CORS, and ApiError (or an unexpected failure) as a JSON error."""

    @csrf_exempt
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method == "OPTIONS":
            response = HttpResponse(status=204)
            response["Allow"] = ", ".join(ALLOWED_METHODS)
        elif request.method not in ("GET", "HEAD"):
            response = error_response(405, "This API is read-only: use GET.")
            response["Allow"] = ", ".join(ALLOWED_METHODS)
        else:
            try:
                response = view(request, *args, **kwargs)
                if response.status_code == 200:
                    patch_cache_control(response, public=True, max_age=60)
            except params.ApiError as refused:
                response = error_response(refused.status, refused.message, refused.parameter)
            except Exception:
                logger.exception("Open Referral API failed: %s", request.path,
                                 extra={"status_code": 500, "request": request})
                signals.got_request_exception.send(sender=None, request=request)
                response = error_response(500, "Something went wrong on our side.")
        return _with_cors(response)

    return wrapper


def _catalogue(request, services=(), *, offers: bool = False) -> queries.Catalogue:
    catalogue = queries.Catalogue(
        api_url=request.build_absolute_uri(reverse("openreferral:root")),
        site_url=request.build_absolute_uri("/"),
        ics_name=SiteSettings.load(request_or_site=request).ics_name,
        providers=queries.providers(),
    )
    if offers:
        catalogue.offers = queries.offers_by_service(services)
    return catalogue


def _service_query(request) -> queries.ServiceQuery:
    query = request.GET
    return queries.ServiceQuery(
        search=params.search(query),
        taxonomy_term_id=params.uuid_param(query, "taxonomy_term_id"),
        taxonomy_id=params.uuid_param(query, "taxonomy_id"),
        organization_id=params.uuid_param(query, "organization_id"),
        modified_after=params.modified_after(query),
    )


@api_view
def root(request):
    return JsonResponse(mapping.api_root(_catalogue(request)))


@api_view
def service_list(request):
    params.response_format(request.GET)
    paging = params.paging(request.GET)
    full = params.boolean(request.GET, "full")
    ids = queries.matching_service_ids(_service_query(request))
    services = queries.load_services(ids[paging.offset:paging.offset + paging.per_page])
    catalogue = _catalogue(request, services, offers=full)
    as_dict = mapping.service_full if full else mapping.service_summary
    contents = [as_dict(service, catalogue) for service in services]
    return JsonResponse(mapping.page_of(contents, len(ids), paging.page, paging.per_page))


@api_view
def service_detail(request, service_id):
    public_id = params.path_uuid(service_id)
    pk = queries.published_service_pk(public_id) if public_id else None
    if pk is None:
        raise params.ApiError(404, "No published service has that id.")
    services = queries.load_services([pk])
    catalogue = _catalogue(request, services, offers=True)
    return JsonResponse(mapping.service_full(services[0], catalogue))


@api_view
def organization_list(request):
    params.response_format(request.GET)
    paging = params.paging(request.GET)
    full = params.boolean(request.GET, "full")
    text = params.search(request.GET)
    catalogue = _catalogue(request)
    page, total = queries.organisations_page(text, catalogue.providers, paging.offset,
                                             paging.per_page)
    as_dict = mapping.organization_full if full else mapping.organization_summary
    contents = [as_dict(org) for org in page]
    return JsonResponse(mapping.page_of(contents, total, paging.page, paging.per_page))


@api_view
def organization_detail(request, organization_id):
    public_id = params.path_uuid(organization_id)
    full_services = params.boolean(request.GET, "full_service")
    catalogue = _catalogue(request)
    org = None
    if public_id is not None:
        org = queries.organisation(public_id) or catalogue.providers.external_by_id(str(public_id))
    if org is None:
        raise params.ApiError(404, "No organization has that id.")
    ids = queries.matching_service_ids(queries.ServiceQuery(organization_id=public_id))
    services = queries.load_services(ids)
    if full_services:
        catalogue.offers = queries.offers_by_service(services)
    as_dict = mapping.service_full if full_services else mapping.service_summary
    return JsonResponse(
        mapping.organization_full(org, [as_dict(service, catalogue) for service in services])
    )


@api_view
def taxonomy_list(request):
    paging = params.paging(request.GET)
    catalogue = _catalogue(request)
    everything = [mapping.taxonomy(data, catalogue) for data in TAXONOMIES]
    contents = everything[paging.offset:paging.offset + paging.per_page]
    return JsonResponse(mapping.page_of(contents, len(everything), paging.page, paging.per_page))


@api_view
def taxonomy_detail(request, taxonomy_id):
    wanted = str(params.path_uuid(taxonomy_id))
    found = next((data for data in TAXONOMIES if data["id"] == wanted), None)
    if found is None:
        raise params.ApiError(404, "No taxonomy has that id.")
    return JsonResponse(mapping.taxonomy(found, _catalogue(request)))


@api_view
def taxonomy_term_list(request):
    paging = params.paging(request.GET)
    text = params.search(request.GET).lower()
    taxonomy_id = params.uuid_param(request.GET, "taxonomy_id")
    terms = mapping.taxonomy_terms(queries.capabilities())
    if taxonomy_id is not None:
        terms = [term for term in terms if term["taxonomy_id"] == str(taxonomy_id)]
    if text:
        terms = [term for term in terms
                 if text in term["name"].lower() or text in term["description"].lower()]
    contents = terms[paging.offset:paging.offset + paging.per_page]
    return JsonResponse(mapping.page_of(contents, len(terms), paging.page, paging.per_page))


@api_view
def taxonomy_term_detail(request, term_id):
    terms = mapping.taxonomy_terms(queries.capabilities())
    wanted = str(params.path_uuid(term_id))
    found = next((term for term in terms if term["id"] == wanted), None)
    if found is None:
        raise params.ApiError(404, "No taxonomy term has that id.")
    return JsonResponse(found)


def _everything(request):
    services = queries.load_services(queries.matching_service_ids(queries.ServiceQuery()))
    catalogue = _catalogue(request, services, offers=True)
    return services, catalogue


def _attachment(response: HttpResponse, extension: str) -> HttpResponse:
    day = timezone.localdate().isoformat()
    response["Content-Disposition"] = (
        f'attachment; filename="digital-services-{day}.{extension}"'
    )
    return response


@api_view
def download_json(request):
    """The whole catalogue, fully nested: an array of services (HSDS service_package.json)."""
    services, catalogue = _everything(request)
    body = json.dumps([mapping.service_full(service, catalogue) for service in services])
    return _attachment(HttpResponse(body, content_type="application/json"), "json")


@api_view
def download_csv(request):
    services, catalogue = _everything(request)
    catalogue.page_urls = {
        service.pk: request.build_absolute_uri(service.get_url(request)) for service in services
    }
    body = services_csv(services, catalogue)
    return _attachment(HttpResponse(body, content_type="text/csv; charset=utf-8"), "csv")


@api_view
def not_found(request, rest=""):
    raise params.ApiError(404, "There is nothing at this address in the API.")

