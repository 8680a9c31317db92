"""When a dependency is down: a 503 with ``Retry-After``, never a 500.

smarketing needs two services while it answers a request: PostgreSQL (every page and
endpoint) and Redis (the cache; the Celery broker is the job machinery's business,
``leads/jobs.py``). When one of them cannot be reached the request cannot be served,
and the honest answer is *503 Service Unavailable* with ``Retry-After`` — a client
(or a person) tries again later — instead of a 500 that says the code is broken:

- on the API (paths under ``/api/`` but the Swagger UI page): JSON in the API's error
  shape, ``{"detail": "..."}``;
- in the browser: a friendly page (``templates/503.html``, translated) rendered
  without touching the database or the session, so it renders while they are down.

What counts as "down" (``unavailable_dependency``) is deliberately narrow, so a bug
still shows as a 500:

- the database: psycopg's connection failures only — the server refused or closed the
  connection, it is out of connection slots (``too many connections``, SQLSTATE
  53300), shutting down or starting (57P01-57P03), a connection exception (class
  08), or the connection pool gave no connection within its timeout
  (``psycopg_pool.PoolTimeout``, ``DATABASE_POOL_TIMEOUT``). Every other
  ``OperationalError`` (a statement timeout, a lock not available, a serialization
  failure, a full disk …) is not a dependency being down and stays a 500.
- the cache: redis-py's ``ConnectionError`` and ``TimeoutError`` raised by the
  cache (``CACHES`` sets short connect and socket timeouts, so a dead Redis fails in
  well under a second). A broker error reaches a request as kombu's own exception,
  not as one of these, and is not mapped here.

Two doors lead here. Exceptions a view raises reach ``DependencyDownMiddleware``'s
``process_exception`` (DRF's views answer theirs through
``leads.web.api_errors.exception_handler``, which asks the same question). An
exception raised in another middleware (a session saved after the view, say) never
reaches ``process_exception``: Django turns it into a 500 first and announces it with
``got_request_exception``; ``_remember_dependency_down`` notes it on the request and
the middleware, first in ``MIDDLEWARE``, replaces that 500 with the 503.

The throttle of the API, the one user of the cache today, does not refuse calls when
Redis is down: ``smarketing.throttling`` counts in the process's memory meanwhile.
"""

from __future__ import annotations

import logging
import sys

import psycopg
import psycopg_pool
import redis.exceptions
from django.core.signals import got_request_exception
from django.db import OperationalError as DjangoOperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_lazy

logger = logging.getLogger(__name__)

# Seconds a client is asked to wait before trying again (the Retry-After header).
# Long enough for a full pool to drain or a restarted service to come back, short
# enough that a person retrying by hand is not sent away for long.
RETRY_AFTER_SECONDS = 10

DATABASE = "database"
CACHE = "cache"

# SQLSTATEs of a server that cannot take the connection or is going away.
_DOWN_SQLSTATES = {"53300", "57P01", "57P02", "57P03"}
_REQUEST_FLAG = "_smarketing_dependency_down"

_API_MESSAGES = {
    DATABASE: gettext_lazy(
        "The service is unavailable: its database is out of reach or busy. "
        "Try again after the delay in the Retry-After header."
    ),
    CACHE: gettext_lazy(
        "The service is unavailable: its cache is out of reach. "
        "Try again after the delay in the Retry-After header."
    ),
}


def unavailable_dependency(exc: BaseException | None) -> str | None:
    """``"database"`` or ``"cache"`` when ``exc`` says that service cannot be reached
    (see the module's docstring for what counts), else ``None``."""
    if isinstance(exc, redis.exceptions.ConnectionError | redis.exceptions.TimeoutError):
        return CACHE
    if isinstance(exc, DjangoOperationalError):
        exc = exc.__cause__  # Django wraps the driver's exception, keeping it as the cause
    if isinstance(exc, psycopg.OperationalError) and _is_connection_failure(exc):
        return DATABASE
    return None


def _is_connection_failure(exc: psycopg.OperationalError) -> bool:
    if isinstance(exc, psycopg_pool.PoolTimeout | psycopg_pool.TooManyRequests):
        return True
    sqlstate = exc.sqlstate
    # No SQLSTATE: libpq's own failure — refused, closed, lost, a connect timeout.
    # (psycopg reports "too many connections" at connect time this way as well.)
    return sqlstate is None or sqlstate.startswith("08") or sqlstate in _DOWN_SQLSTATES


def api_message(dependency: str) -> str:
    return str(_API_MESSAGES[dependency])


def is_api_request(request: HttpRequest) -> bool:
    """The API answers JSON; its documentation page (Swagger UI) is a page like others."""
    path = request.path
    return path.startswith("/api/") and not path.startswith("/api/docs/")


def log_unavailable(request, dependency: str, exc: BaseException | None) -> None:
    logger.warning(
        "503 for %s %s: the %s is unavailable (%s: %s)",
        request.method,
        request.path,
        dependency,
        type(exc).__name__,
        exc,
    )


def unavailable_response(
    request: HttpRequest, dependency: str, exc: BaseException | None = None
) -> HttpResponse:
    """The 503 for ``request``: JSON on the API, the friendly page elsewhere; both with
    Retry-After. Touches neither the database nor the session (``request.user`` is
    never read), so it can be built while they are down."""
    log_unavailable(request, dependency, exc)
    language = translation.get_language_from_request(request)
    with translation.override(language):
        if is_api_request(request):
            response: HttpResponse = JsonResponse({"detail": api_message(dependency)})
        else:
            html = render_to_string(
                "503.html",
                {
                    # No request context processors: they would read the user, and so
                    # the session, from the database that may be the one down.
                    "request": request,
                    "csrf_token": get_token(request),
                    "retry_after": RETRY_AFTER_SECONDS,
                    "retry_url": request.get_full_path() if request.method == "GET" else "",
                },
            )
            response = HttpResponse(html)
    response.status_code = 503
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def _remember_dependency_down(sender, request=None, **kwargs) -> None:
    """``got_request_exception``: an exception Django is turning into a 500 — if it is
    a dependency being down, note it for ``DependencyDownMiddleware``."""
    exc = sys.exc_info()[1]
    dependency = unavailable_dependency(exc)
    if dependency and request is not None:
        setattr(request, _REQUEST_FLAG, (dependency, exc))


got_request_exception.connect(_remember_dependency_down, dispatch_uid="smarketing.degrade")


class DependencyDownMiddleware:
    """First in ``MIDDLEWARE``: a request that failed because PostgreSQL or Redis is
    down answers 503 with Retry-After (JSON on the API, a page elsewhere)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        down = getattr(request, _REQUEST_FLAG, None)
        if down and response.status_code == 500:
            return unavailable_response(request, *down)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception):
        dependency = unavailable_dependency(exception)
        if dependency is None:
            return None
        return unavailable_response(request, dependency, exception)
