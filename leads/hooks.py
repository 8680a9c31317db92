"""Seams between the lead lifecycle and what reacts to it (routing today, the SLA
engine later). Each list holds callables run in order, inside the transaction that
made the change; a callable that enqueues work wraps it in ``transaction.on_commit``.

- ``SQL_HOOKS``: a lead just became an SQL (an SDR converted it) — routing hands it
  to an AE team.
- ``ASSIGNMENT_HOOKS``: a lead was assigned or reassigned (``lead``, ``event``).
- ``MQL_HOOKS``: scoring just turned a lead into an MQL (``lead``) — routing hands
  it to an SDR team.
- ``SCORING``: how intake (a lower layer) scores what it stores — registered by
  ``leads.scoring.rescore.register`` (``LeadsConfig.ready``): ``intake_scorer(now=)``,
  ``rescore_leads(lead_ids=, version=, now=)``, ``open_lead_ids()``. Intake calls
  them through this module and never imports scoring.
- ``BATCH_CONTEXTS``: context-manager factories entered by ``batch()`` around a run
  of leads passing the hooks one after another (a re-score chunk's new MQLs): a hook
  may keep what cannot change within it (routing keeps its rules and domain lists).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

MQL_HOOKS: list[Callable[[Any], None]] = []
SQL_HOOKS: list[Callable[[Any], None]] = []
ASSIGNMENT_HOOKS: list[Callable[[Any, Any], None]] = []
BATCH_CONTEXTS: list[Callable[[], AbstractContextManager[Any]]] = []


@dataclass
class ScoringSeam:
    """The scoring functions intake calls (see the module docs); ``None`` until
    scoring registers them."""

    intake_scorer: Callable[..., Any] | None = None
    rescore_leads: Callable[..., Any] | None = None
    open_lead_ids: Callable[[], Any] | None = None


SCORING = ScoringSeam()


def _scoring(name: str) -> Callable[..., Any]:
    function = getattr(SCORING, name)
    if function is None:
        raise RuntimeError(
            f"leads.hooks.SCORING.{name} is not registered: leads.scoring.rescore.register "
            "runs in LeadsConfig.ready()"
        )
    return function


def intake_scorer(*, now: Any) -> Any:
    """A scorer for the leads intake is about to create (``version``, ``fill(lead,
    account) -> is_mql``), or ``None`` when no scoring model is published."""
    return _scoring("intake_scorer")(now=now)


def rescore_leads(*, lead_ids: Any, version: Any = None, now: Any = None) -> Any:
    """Re-score stored leads (their activity or account changed)."""
    return _scoring("rescore_leads")(lead_ids=lead_ids, version=version, now=now)


def open_lead_ids() -> Any:
    """The ids of the open leads (a queryset), those re-scored when their account changes."""
    return _scoring("open_lead_ids")()


@contextmanager
def batch() -> Iterator[None]:
    """Around many leads passing the hooks in a row (see ``BATCH_CONTEXTS``)."""
    with ExitStack() as stack:
        for factory in list(BATCH_CONTEXTS):
            stack.enter_context(factory())
        yield


def on_lead_became_mql(lead: Any) -> None:
    """The single seam for "this lead just became an MQL": calls every ``MQL_HOOKS``."""
    for hook in list(MQL_HOOKS):
        hook(lead)


def on_lead_became_sql(lead: Any) -> None:
    for hook in list(SQL_HOOKS):
        hook(lead)


def on_lead_assigned(lead: Any, event: Any) -> None:
    for hook in list(ASSIGNMENT_HOOKS):
        hook(lead, event)
