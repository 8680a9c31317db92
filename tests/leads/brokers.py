"""Celery apps on another broker, for the tests of ``leads.jobs``' outbox and sweeper.

``leads.jobs`` sends through Celery's current app; ``celery_app_on(url)`` makes an app
with the project's settings but another broker the current one for the ``with`` block
(this thread only, as Celery's ``set_current`` does), then gives the project's app back.
A dead port (``DEAD_BROKER``) is Redis being down; a ``filesystem://`` folder is the
broker of ``make run``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from celery import Celery, current_app

# Nothing listens on port 1: connecting is refused at once, as with a stopped Redis.
DEAD_BROKER = "redis://127.0.0.1:1/0"


def filesystem_options(folder: Path) -> dict[str, object]:
    """kombu's filesystem transport on ``folder`` (as settings set it for ``VAR_DIR``)."""
    for name in ("in", "processed"):
        (folder / name).mkdir(parents=True, exist_ok=True)
    return {
        "data_folder_in": str(folder / "in"),
        "data_folder_out": str(folder / "in"),
        "processed_folder": str(folder / "processed"),
        "store_processed": False,
    }


@contextlib.contextmanager
def celery_app_on(url: str, transport_options: dict | None = None) -> Iterator[Celery]:
    """The project's Celery configuration on the broker at ``url``, current for the block."""
    previous = current_app._get_current_object()
    app = Celery("smarketing", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.broker_url = url
    app.conf.broker_transport_options = transport_options or {}
    app.set_current()
    try:
        yield app
    finally:
        previous.set_current()
        app.close()
