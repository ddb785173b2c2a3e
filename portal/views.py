from django.http import HttpResponse
from django.shortcuts import render


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


def server_error(request):
    return render(request, "500.html", status=500)


def benchmark_baseline(request):
    """The benchmark's yardstick (only routed when settings.BENCHMARK_BASELINE_VIEW is on).

    No database, no template: a plain-text 200 through the whole middleware stack. Not
    HTML, so the anonymous page cache never stores it.
    """
    return HttpResponse("ok\n", content_type="text/plain; charset=utf-8")
