"""Seams between the lead lifecycle and what reacts to it (routing today, the SLA
engine later). Each list holds callables run in order, inside the transaction that
made the change; a callable that enqueues work wraps it in ``transaction.on_commit``.

- ``SQL_HOOKS``: a lead just became an SQL (an SDR converted it) — routing hands it
  to an AE team.
- ``ASSIGNMENT_HOOKS``: a lead was assigned or reassigned (``lead``, ``event``).
- The MQL seam lives with scoring: ``leads.scoring.services.MQL_HOOKS``.
- ``BATCH_CONTEXTS``: context-manager factories entered by ``batch()`` around a run
  of leads passing the hooks one after another (a re-score chunk's new MQLs): a hook
  may keep what cannot change within it (routing keeps its rules and domain lists).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from typing import Any

SQL_HOOKS: list[Callable[[Any], None]] = []
ASSIGNMENT_HOOKS: list[Callable[[Any, Any], None]] = []
BATCH_CONTEXTS: list[Callable[[], AbstractContextManager[Any]]] = []


@contextmanager
def batch() -> Iterator[None]:
    """Around many leads passing the hooks in a row (see ``BATCH_CONTEXTS``)."""
    with ExitStack() as stack:
        for factory in list(BATCH_CONTEXTS):
            stack.enter_context(factory())
        yield


def on_lead_became_sql(lead: Any) -> None:
    for hook in list(SQL_HOOKS):
        hook(lead)


def on_lead_assigned(lead: Any, event: Any) -> None:
    for hook in list(ASSIGNMENT_HOOKS):
        hook(lead, event)
