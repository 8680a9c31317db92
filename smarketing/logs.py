"""Logging filters (``LOGGING`` in settings).

``ClientErrorsOnOneLine`` — Django logs a view's ``PermissionDenied`` (403) and
``Http404`` with the exception's traceback (``django.utils.log.log_response`` passes
``exc_info``): a refused or missing page is the visitor's doing, not a defect, and a
dozen lines of traceback per refusal bury the real errors. On ``django.request`` a
record with a 4xx status keeps its one line (``Forbidden (Permission denied):
/leads/12/``) and loses the traceback; 5xx records keep theirs.
"""

from __future__ import annotations

import logging


class ClientErrorsOnOneLine(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
            record.stack_info = None
        return True
