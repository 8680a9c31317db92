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
- ``EVENT_HOOKS``: events were written for these leads (``lead_ids``), called inside
  the writing transaction by every writer of ``LeadEvent`` rows (one lead or a bulk
  write) — the SLA engine recomputes those leads' clocks. A catch-up pass reads the
  events by ``recorded_at`` as well, so a writer that forgets is late, not lost.
- ``DEADLINE``: how the queue annotates ``next_step_deadline`` (the earliest due time
  of the lead's running SLA clocks, filled by ``sla``); ``None`` annotates nothing
  due (no SLA app). ``DEADLINE.warn`` annotates ``next_step_warn`` (amber from then).
- ``LEAD_PANELS``: callables ``(request, lead) -> dict | None`` adding a panel to the
  lead page (``{"template": name, **context}``); ``LEAD_API_FIELDS``: callables
  ``(request, lead) -> dict`` adding keys to the lead's API detail.
- ``NAV_ITEMS``: (url name, label, roles) entries other apps add to the navigation.
- ``DEMO_SEEDED``: callables ``(now=)`` run after the demo company is written and its
  clocks computed (``leads.demo``) — the SLA freezes the demo's closed months, as its
  daily run would have.
- ``MIN_ATTEMPTS``: how many touch attempts an SDR makes before giving up on a lead
  (disqualifying it for a reason other than "not ICP"): ``MIN_ATTEMPTS.current()``
  answers the number in force now — filled by ``sla`` (the published terms version's
  ``period.min_attempts``, read on each call so a publication counts at once);
  product.md's 6 (``DEFAULT_MIN_ATTEMPTS``) when nothing is registered. The queue and
  the demo ask ``min_attempts()``.
- ``HOME_PAGES``: callables ``(user) -> str | None`` asked in order by the home page
  (``leads.web.views.home``): the first that answers a URL is where that user's home
  opens (a director's on the SLA dashboard, filled by ``sla``); None: the usual home.
  ``/?overview=1`` always shows the usual home.
- ``BATCH_CONTEXTS``: context-manager factories entered by ``batch()`` around a run
  of leads passing the hooks one after another (a re-score chunk's new MQLs): a hook
  may keep what cannot change within it (routing keeps its rules and domain lists).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

MQL_HOOKS: list[Callable[[Any], None]] = []
SQL_HOOKS: list[Callable[[Any], None]] = []
ASSIGNMENT_HOOKS: list[Callable[[Any, Any], None]] = []
BATCH_CONTEXTS: list[Callable[[], AbstractContextManager[Any]]] = []
EVENT_HOOKS: list[Callable[..., None]] = []
LEAD_PANELS: list[Callable[[Any, Any], Any]] = []
LEAD_API_FIELDS: list[Callable[[Any, Any], dict]] = []
NAV_ITEMS: list[tuple[str, Any, tuple[str, ...] | None]] = []
HOME_PAGES: list[Callable[[Any], str | None]] = []
# More ``leads.integrity.Invariant`` rows for ``check_integrity`` (the SLA's clocks).
INVARIANTS: list[Any] = []
# Run after the demo is seeded (``now=`` the demo's time axis).
DEMO_SEEDED: list[Any] = []


@dataclass
class DeadlineSeam:
    """How the queue annotates its deadline (see the module docs)."""

    annotate: Callable[[Any], Any] | None = None


DEADLINE = DeadlineSeam()


@dataclass
class ScoringSeam:
    """The scoring functions intake calls (see the module docs); ``None`` until
    scoring registers them."""

    intake_scorer: Callable[..., Any] | None = None
    rescore_leads: Callable[..., Any] | None = None
    open_lead_ids: Callable[[], Any] | None = None


SCORING = ScoringSeam()

# product.md: "attempts before giving up ≥ 6" (when no SLA app says otherwise)
DEFAULT_MIN_ATTEMPTS = 6


@dataclass
class MinAttemptsSeam:
    """The minimum touch attempts before giving up on a lead (see the module docs)."""

    current: Callable[[], int] | None = None


MIN_ATTEMPTS = MinAttemptsSeam()


def min_attempts() -> int:
    """The touch attempts an SDR must have made on a lead before disqualifying it (a
    reason other than "not ICP"), as in force now."""
    if MIN_ATTEMPTS.current is None:
        return DEFAULT_MIN_ATTEMPTS
    return int(MIN_ATTEMPTS.current())


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


_pending = threading.local()
_inline = threading.local()


@contextmanager
def inline(*, now: Any = None) -> Iterator[None]:
    """Within it, ``EVENT_HOOKS`` are asked to do their work now, however many leads,
    as of ``now`` when given (the demo's seed: its history is written in bulk, as of
    its own time, and must open with its clocks)."""
    before = getattr(_inline, "on", None)
    _inline.on = {"now": now}
    try:
        yield
    finally:
        _inline.on = before


def inline_forced() -> dict | None:
    """``{"now": …}`` inside ``inline()``, else None."""
    return getattr(_inline, "on", None)


@contextmanager
def batch() -> Iterator[None]:
    """Around many leads passing the hooks in a row (see ``BATCH_CONTEXTS``). Within
    it ``on_events_written`` collects the lead ids and calls ``EVENT_HOOKS`` once, for
    all of them, when the batch ends without an error (still inside the transaction)."""
    outer = getattr(_pending, "ids", None) is None
    if outer:
        _pending.ids = set()
    try:
        with ExitStack() as stack:
            for factory in list(BATCH_CONTEXTS):
                stack.enter_context(factory())
            yield
        if outer and _pending.ids:
            ids, _pending.ids = sorted(_pending.ids), None
            for hook in list(EVENT_HOOKS):
                hook(ids, deferred=False)
    finally:
        if outer:
            _pending.ids = None


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


def on_events_written(lead_ids: Any, *, deferred: bool = False) -> None:
    """Events were just written for ``lead_ids`` (an iterable of ids, or one id), inside
    the writing transaction: calls every ``EVENT_HOOKS`` with the ids and ``deferred``
    (the writer is a hot path — the claim — that asks for the work to be done after
    its commit, by a worker; the hook decides)."""
    if isinstance(lead_ids, int):
        lead_ids = [lead_ids]
    ids = sorted({int(lead_id) for lead_id in lead_ids})
    if not ids:
        return
    pending = getattr(_pending, "ids", None)
    if pending is not None:  # inside batch(): called once when it ends
        pending.update(ids)
        return
    for hook in list(EVENT_HOOKS):
        hook(ids, deferred=deferred)


def annotate_deadline(queryset: Any) -> Any:
    """The queue's ``next_step_deadline`` (and ``next_step_warn``) annotations."""
    if DEADLINE.annotate is None:
        return queryset
    return DEADLINE.annotate(queryset)


def home_page(user: Any) -> str | None:
    """Where ``user``'s home opens (the first ``HOME_PAGES`` answer), or None."""
    for choose in list(HOME_PAGES):
        url = choose(user)
        if url:
            return url
    return None


def lead_panels(request: Any, lead: Any) -> list[dict]:
    panels = []
    for panel in list(LEAD_PANELS):
        result = panel(request, lead)
        if result:
            panels.append(result)
    return panels


def lead_api_fields(request: Any, lead: Any) -> dict:
    extra: dict = {}
    for fields in list(LEAD_API_FIELDS):
        extra.update(fields(request, lead))
    return extra
