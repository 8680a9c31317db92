"""The API's throttles, counting in the process's memory while Redis is down.

DRF's throttles keep their counts in the default cache (Redis when ``REDIS_URL`` is
set). With Redis out of reach they raised on every call, so the whole API answered
500. A throttle protects the service from a runaway client; it is not a reason to
refuse every client. So while the cache cannot be reached the throttles here fail
*soft*, not open: they count in this process's memory (a ``LocMemCache``) and keep
limiting, per process instead of across processes (with gunicorn's 3 workers a client
may make up to 3x its rate for as long as Redis is down). The outage is logged once
per ``RETRY_SECONDS``; during that time Redis is not asked again (a blackholed Redis
would otherwise cost every call the cache's connect timeout); then the next call
tries Redis again and counting returns there.

The rates are read from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` when a throttle
is made, not when this module is imported, so a changed setting applies.
"""

from __future__ import annotations

import logging
import threading
import time

import redis.exceptions
from django.core.cache import cache as default_cache
from django.core.cache.backends.locmem import LocMemCache
from django.core.signals import setting_changed
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

logger = logging.getLogger(__name__)

RETRY_SECONDS = 10.0
_CACHE_DOWN = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


class FallbackCache:
    """The default cache, or this process's memory while the default one is down."""

    def __init__(self) -> None:
        self.local = LocMemCache(
            "smarketing-throttle-fallback", {"OPTIONS": {"MAX_ENTRIES": 10_000}}
        )
        self._lock = threading.Lock()
        self._down_until = 0.0

    @property
    def is_down(self) -> bool:
        return time.monotonic() < self._down_until

    def reset(self) -> None:
        with self._lock:
            self._down_until = 0.0
        self.local.clear()

    def _call(self, method: str, *args, **kwargs):
        if not self.is_down:
            try:
                return getattr(default_cache, method)(*args, **kwargs)
            except _CACHE_DOWN as exc:
                with self._lock:
                    self._down_until = time.monotonic() + RETRY_SECONDS
                logger.warning(
                    "the cache is unavailable (%s): API throttles count in this process's "
                    "memory for the next %g s",
                    exc,
                    RETRY_SECONDS,
                )
        return getattr(self.local, method)(*args, **kwargs)

    def get(self, key, default=None):
        return self._call("get", key, default)

    def set(self, key, value, timeout=None):
        return self._call("set", key, value, timeout)


fallback_cache = FallbackCache()


def _reset_on_cache_change(*, setting, **kwargs) -> None:
    if setting == "CACHES":  # tests point the cache elsewhere: start afresh
        fallback_cache.reset()


setting_changed.connect(_reset_on_cache_change, dispatch_uid="smarketing.throttling")


class _RatesFromSettings:
    cache = fallback_cache

    def __init__(self) -> None:
        self.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
        super().__init__()


class UserThrottle(_RatesFromSettings, UserRateThrottle):
    """DRF's ``UserRateThrottle`` (scope ``user``) on the fallback cache."""


class AnonThrottle(_RatesFromSettings, AnonRateThrottle):
    """DRF's ``AnonRateThrottle`` (scope ``anon``) on the fallback cache."""
