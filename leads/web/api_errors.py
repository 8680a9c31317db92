"""One error shape for the API: ``{"detail": ..., "errors": {field: [messages]}}``.

Anything DRF would answer with its default shape still passes through here, so
clients always find field errors under ``errors``.

A dependency that is down (PostgreSQL out of connections or unreachable, Redis out of
reach: ``smarketing.degrade.unavailable_dependency``) answers 503 with ``Retry-After``
and ``{"detail": ...}``, never a 500.
"""

from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

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
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(data, dict) and "detail" in data and len(data) == 1:
        return response
    if isinstance(data, dict | list):
        response.data = {"detail": "Invalid input.", "errors": data}
    return response
