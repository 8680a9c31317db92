"""One error shape for the API: ``{"detail": ..., "errors": {field: [messages]}}``.

Anything DRF would answer with its default shape still passes through here, so
clients always find field errors under ``errors``.
"""

from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(data, dict) and "detail" in data and len(data) == 1:
        return response
    if isinstance(data, dict | list):
        response.data = {"detail": "Invalid input.", "errors": data}
    return response
