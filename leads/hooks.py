"""Seams between the lead lifecycle and what reacts to it (routing today, the SLA
engine later). Each list holds callables run in order, inside the transaction that
made the change; a callable that enqueues work wraps it in ``transaction.on_commit``.

- ``SQL_HOOKS``: a lead just became an SQL (an SDR converted it) — routing hands it
  to an AE team.
- ``ASSIGNMENT_HOOKS``: a lead was assigned or reassigned (``lead``, ``event``).
- The MQL seam lives with scoring: ``leads.scoring.services.MQL_HOOKS``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

SQL_HOOKS: list[Callable[[Any], None]] = []
ASSIGNMENT_HOOKS: list[Callable[[Any, Any], None]] = []


def on_lead_became_sql(lead: Any) -> None:
    for hook in list(SQL_HOOKS):
        hook(lead)


def on_lead_assigned(lead: Any, event: Any) -> None:
    for hook in list(ASSIGNMENT_HOOKS):
        hook(lead, event)
