"""One ``celery beat`` schedules at a time, however many are started.

``celery beat`` has no notion of a second beat: two of them (a deploy that starts
the new one before the old one stops, a beat on two hosts "for safety") both send
every entry, and the heartbeat and the nightly jobs ran twice. Settings name
``LockedScheduler`` (``CELERY_BEAT_SCHEDULER``), so every beat — ``make run``,
``make beat``, Docker — goes through it:

- Before it sends anything, a beat must hold **the beat lock**. The one that holds
  it is the *active* beat and schedules as ``celery beat`` always does; any other
  is a *standby*: it sends nothing and tries to take the lock every
  ``BEAT_LOCK_TTL / 3`` seconds, so it takes over within ``BEAT_LOCK_TTL``
  (default 60 s) of the active beat dying, and at once when it stops cleanly (it
  lets the lock go).
- **With a Redis broker** the lock is a Redis key on the broker's Redis
  (``smarketing:beat-lock``: every beat that sends to this broker competes for it),
  set with ``SET NX PX`` to a token naming the beat (host, pid) and a time to live
  of ``BEAT_LOCK_TTL`` seconds; the active beat renews it every third of that (only
  while the key still holds its own token — a Lua script, one round trip). A beat
  that was frozen (stopped, swapped out) past the TTL finds the key gone or
  another's, and steps back to standby. Redis unreachable: the beat sends nothing
  (the broker is that same Redis) and tries again.
- **With the filesystem broker** (``make run``: one machine, no Redis) the lock is
  an exclusive ``flock`` on ``BEAT_LOCK_FILE`` (default ``VAR_DIR/celerybeat.lock``)
  held for the life of the process: the kernel lets it go when the process ends,
  however it ends, so no time to live is needed.

A standby does not advance its own schedule: when it takes over, an entry that
fell due while it waited is sent at once (as after any beat restart). That can
repeat a send the dead beat had just made, and a lock can in principle be lost
between the check and a send (a beat frozen past the TTL) — which is why every
periodic task is also idempotent per period (``leads.periods``: the nightly jobs
keep one ``Job`` per night, the heartbeat one run per period). The lock keeps the
work single; the period keys keep it correct.

Two beats on one host need their own ``--schedule`` files (celery's shelve file is
not shared); the lock is what they share.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import socket
import time
import uuid
from pathlib import Path
from typing import Any, Protocol

from celery.beat import PersistentScheduler
from django.conf import settings

logger = logging.getLogger(__name__)

REDIS_KEY = "smarketing:beat-lock"

# Renew the key's time to live only while it still holds our token.
_RENEW = """
if redis.call("get", KEYS[1]) == ARGV[1] then
    return redis.call("pexpire", KEYS[1], ARGV[2])
end
return 0
"""
# Delete the key only while it still holds our token.
_DROP = """
if redis.call("get", KEYS[1]) == ARGV[1] then
    return redis.call("del", KEYS[1])
end
return 0
"""


class BeatLock(Protocol):
    def hold(self) -> bool:
        """Take or keep the lock: True while this beat may send."""

    def release(self) -> None:
        """Let the lock go (a clean shutdown), so a standby takes over at once."""

    def holder(self) -> str:
        """Who holds the lock, for the standby's log."""

    def describe(self) -> str: ...


class RedisBeatLock:
    """The beat lock as a Redis key with a time to live that its holder renews."""

    def __init__(self, url: str, *, ttl: float, key: str = REDIS_KEY) -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self.errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        self.key = key
        self.ttl_ms = max(int(ttl * 1000), 1000)
        self.token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.renew = self.client.register_script(_RENEW)
        self.drop = self.client.register_script(_DROP)
        self.held = False

    def hold(self) -> bool:
        try:
            if self.held and self.renew(keys=[self.key], args=[self.token, self.ttl_ms]):
                return True
            if self.held:
                logger.warning("beat: the beat lock %s expired or was taken", self.key)
            self.held = bool(self.client.set(self.key, self.token, nx=True, px=self.ttl_ms))
        except self.errors as exc:
            if self.held:
                logger.warning("beat: cannot renew the beat lock (%s); standing by", exc)
            else:
                logger.warning("beat: cannot reach Redis for the beat lock (%s)", exc)
            self.held = False
        return self.held

    def release(self) -> None:
        if not self.held:
            return
        self.held = False
        with contextlib.suppress(*self.errors):
            self.drop(keys=[self.key], args=[self.token])

    def holder(self) -> str:
        with contextlib.suppress(*self.errors):
            value = self.client.get(self.key)
            return value.decode() if value else "nobody"
        return "unknown"

    def describe(self) -> str:
        return f"Redis key {self.key} (time to live {self.ttl_ms / 1000:g} s)"


class FileBeatLock:
    """The beat lock as an exclusive ``flock`` on a file, held while the process lives."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.fd: int | None = None

    def hold(self) -> bool:
        if self.fd is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{socket.gethostname()}:{os.getpid()}\n".encode())
        self.fd = fd
        return True

    def release(self) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None

    def holder(self) -> str:
        try:
            return self.path.read_text().strip() or "nobody"
        except OSError:
            return "nobody"

    def describe(self) -> str:
        return f"file lock {self.path}"


def beat_lock(broker_url: str | None = None) -> BeatLock:
    """The lock the beats of this broker share: a Redis key on a Redis broker, else a
    file lock (the filesystem broker lives on one machine)."""
    url = broker_url if broker_url is not None else settings.CELERY_BROKER_URL
    if url.startswith(("redis://", "rediss://")):
        return RedisBeatLock(url, ttl=settings.BEAT_LOCK_TTL)
    return FileBeatLock(settings.BEAT_LOCK_FILE)


class LockedScheduler(PersistentScheduler):
    """Celery's persistent scheduler that sends only while it holds the beat lock
    (see the module docs). The lock is made on the first tick: celery also builds
    schedulers lazily for introspection, and those must take nothing."""

    _lock: BeatLock | None = None
    _active = False
    _checked_once = False
    _checked_at = 0.0

    @property
    def lock_interval(self) -> float:
        """How often the active beat renews and a standby tries: a third of the TTL."""
        return max(settings.BEAT_LOCK_TTL / 3, 0.2)

    def _holds_lock(self) -> bool:
        now = time.monotonic()
        if self._lock is None:
            self._lock = beat_lock(self.app.conf.broker_url)
        elif self._active and now - self._checked_at < self.lock_interval:
            return True  # renewed less than a third of the TTL ago
        active = self._lock.hold()
        self._checked_at = now
        if active and not self._active:
            logger.info("beat: holds the beat lock (%s); scheduling", self._lock.describe())
        elif not active and (self._active or not self._checked_once):
            logger.info(
                "beat: standing by; the beat lock (%s) is held by %s",
                self._lock.describe(),
                self._lock.holder(),
            )
        self._active = active
        self._checked_once = True
        return active

    def tick(self, *args: Any, **kwargs: Any) -> float:
        if not self._holds_lock():
            return self.lock_interval
        return min(super().tick(*args, **kwargs), self.lock_interval)

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self._lock is not None and self._active:
                self._lock.release()
                self._active = False
                logger.info("beat: let the beat lock go")
