"""One error shape for the API: ``{"detail": ..., "errors": {field: [messages]}}``.

Anything DRF would answer with its default shape still passes through here, so
clients always find field errors under ``errors``. Django's own 400 and 404 (before
any API view runs: an unmatched URL, a request Django refuses) answer in the same
shape under ``/api/`` (``handler400`` / ``handler404`` in ``smarketing/urls.py``).

A dependency that is down (PostgreSQL out of connections or unreachable, Redis out of
reach: ``smarketing.degrade.unavailable_dependency``) answers 503 with ``Retry-After``
and ``{"detail": ...}``, never a 500.
"""

from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.utils.translation import gettext_lazy as _
from django.views import defaults
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from leads.web.api_parsing import BodyTooLarge
from smarketing import degrade


def exception_handler(exc, context):
    dependency = degrade.unavailable_dependency(exc)
    if dependency is not None:
        degrade.log_unavailable(context["request"], dependency, exc)
        return Response(
            {"detail": degrade.api_message(dependency)},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(degrade.RETRY_AFTER_SECONDS), "Cache-Control": "no-store"},
        )
    if isinstance(exc, RequestDataTooBig):
        exc = BodyTooLarge.over_limit()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(data, dict) and "detail" in data and len(data) == 1:
        return response
    if isinstance(data, dict | list):
        response.data = {"detail": "Invalid input.", "errors": data}
    return response


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def bad_request(request, exception):
    """Django's 400 (e.g. a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` read as a form):
    in the API's shape under ``/api/``, the site's page elsewhere."""
    if _is_api(request):
        return JsonResponse({"detail": str(_("Bad request."))}, status=400)
    return defaults.bad_request(request, exception)


def not_found(request, exception):
    """Django's 404 (a URL no route matches, e.g. ``/api/v1/leads/abc/``): in the API's
    shape under ``/api/``, the site's page elsewhere."""
    if _is_api(request):
        return JsonResponse({"detail": str(_("Not found."))}, status=404)
    return defaults.page_not_found(request, exception)
