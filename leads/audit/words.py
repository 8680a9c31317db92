"""The words for audit action codes, registered by each capability that writes records."""

from __future__ import annotations

_ACTIONS: dict[str, object] = {}


def register_actions(labels: dict[str, object]) -> None:
    """Register ``{action code: lazy translated label}`` (call at import time)."""
    _ACTIONS.update(labels)


def action_label(action: str) -> str:
    """The action's words in the active language, or the code as stored if unknown."""
    label = _ACTIONS.get(action)
    return str(label) if label is not None else action
