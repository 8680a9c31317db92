"""What the clocks register into ``leads.hooks`` (from ``SlaConfig.ready``)."""

from __future__ import annotations

from leads import hooks


def register() -> None:
    from sla.clocks import selectors, sync

    if sync.on_events not in hooks.EVENT_HOOKS:
        hooks.EVENT_HOOKS.append(sync.on_events)
    hooks.DEADLINE.annotate = selectors.annotate_deadline
