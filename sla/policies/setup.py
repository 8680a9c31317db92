"""What the terms versions register into ``leads.hooks`` (from ``SlaConfig.ready``)."""

from __future__ import annotations

from leads import hooks


def register() -> None:
    """The queue's gate before giving up on a lead: the published version's minimum
    attempts (``hooks.MIN_ATTEMPTS``)."""
    from sla.policies import selectors

    hooks.MIN_ATTEMPTS.current = selectors.min_attempts_in_force
